// Snapshots, as in containerd: committed snapshots are immutable directory
// layers; an active snapshot is a writable layer over a committed parent chain.
// The overlayfs implementation stacks committed layers as lowerdirs; a copy-based
// fallback is chosen where overlayfs is unavailable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::cache {

// How to mount a snapshot: for overlay, `lowers` (top first) plus `upper`/`work`
// when active; for the copy fallback, a single `dir`. A view with no layers at all
// is an empty directory `dir`.
struct MountSpec {
  std::string type;                 // "overlay" or "bind"
  std::vector<std::string> lowers;  // overlay lowerdirs, top-most first
  std::string upper, work;          // overlay, active snapshots only
  std::string dir;                  // bind: the directory itself
  bool readonly = false;
  // mount(2) data string for overlay ("lowerdir=...,upperdir=...,workdir=...").
  std::string OverlayOptions() const;
};

struct SnapshotInfo {
  std::string key;
  std::string parent;  // "" for a base snapshot
  bool committed = false;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;
  // A writable snapshot `key` over committed `parent` ("" = empty).
  virtual Result<MountSpec> Prepare(const std::string& key, const std::string& parent) = 0;
  // A read-only view of committed snapshot `parent`.
  virtual Result<MountSpec> View(const std::string& parent) = 0;
  // The mounts of an existing active snapshot.
  virtual Result<MountSpec> Mounts(const std::string& key) = 0;
  // Makes active snapshot `key` immutable under `name`.
  virtual Status Commit(const std::string& name, const std::string& key) = 0;
  virtual Status Remove(const std::string& key) = 0;
  virtual Result<SnapshotInfo> Stat(const std::string& key) = 0;
  // The directory holding only this snapshot's own changes (overlay upper or
  // committed layer dir), for diffing into a layer.
  virtual Result<std::string> LayerDir(const std::string& key) = 0;
  virtual std::string Kind() const = 0;  // "overlayfs" or "copy"

  // Additions (store engineer):
  // What to diff to get snapshot `key`'s layer. overlayfs: `upper` is the layer dir
  // (overlay whiteouts and opaque xattrs inside), `lower` is "". copy: `upper` is
  // the snapshot's full tree and `lower` its parent's full tree ("" for none).
  struct DiffInput {
    std::string lower, upper;
    bool overlay_upper = false;
  };
  virtual Result<DiffInput> DiffInputs(const std::string& key) = 0;
  // Every snapshot, for GC and `kiln du`.
  virtual Result<std::vector<SnapshotInfo>> List() = 0;
  // Bytes used on disk by snapshot `key`'s own directory (and its flattened copy).
  virtual Result<int64_t> Usage(const std::string& key) = 0;
};

struct SnapshotterOptions {
  // "" = probe (overlayfs if a test mount under ROOT works, else copy);
  // "overlayfs" or "copy" forces one. $KILN_SNAPSHOTTER overrides "".
  std::string kind;
  // Longest overlay lowerdir= option before a chain is flattened into one
  // directory (the kernel limits mount data to a page).
  size_t max_lowerdir_bytes = 3072;
};

// Overlayfs when it works under ROOT, else the copy fallback (logged at info level).
// Snapshot directories live under ROOT/snapshots/<id>/{fs,work}; records live in
// the metadata database (ROOT/metadata.db).
// LayerDir(): for overlayfs the snapshot's own changes; for copy its full tree.
Result<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& root);
Result<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& root, const SnapshotterOptions& options);

}  // namespace kiln::cache
