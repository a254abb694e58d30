// Writes a layer (a list of Changes) as an OCI layer tar, compressed, straight into
// the content store in one streaming pass that also computes the diffID.
//
// Tar format: PAX (libarchive's restricted pax: ustar headers, extended headers only
// where needed: long names, big ids, xattrs as SCHILY.xattr.*), no block padding
// beyond the two zero records, uid/gid numbers without user/group names, all 12
// mode bits, mtimes in whole seconds (clamped to SOURCE_DATE_EPOCH when given, as
// BuildKit's rewrite-timestamp does), hard links within the layer as link entries,
// symlinks, fifos, char/block devices, the security.capability xattr (the only one
// moby and BuildKit export). Whiteouts are empty regular files `.wh.NAME` (mode
// 0600, as moby writes them) and `DIR/.wh..wh..opq` (mode 0), mtime
// SOURCE_DATE_EPOCH or 0.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/content_store.h"
#include "cache/layer_compress.h"
#include "cache/layer_diff.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

struct LayerOptions {
  Compression compression = Compression::kGzip;
  int level = -1;    // -1: default for the compression
  int threads = 0;   // 0: number of CPUs
  bool oci_media_types = true;
  std::optional<int64_t> source_date_epoch;  // clamp file mtimes to this
};

// The extended attributes a layer entry for `path` carries (not following a
// symlink), by name: security.capability only, as moby and BuildKit export them.
Result<std::map<std::string, std::string>> LayerXattrs(const std::string& path);
// The same for an open file (`path` names it in errors).
Result<std::map<std::string, std::string>> LayerXattrsOf(int fd, const std::string& path);

// Writes the changes as a tar to `sink` (uncompressed bytes, in order).
Status WriteLayerTar(const std::vector<Change>& changes, const LayerOptions& opts,
                     const std::function<Status(const void*, size_t)>& sink);

// Regular files (any non-directory with more than one link) already written in this
// layer: (st_dev, st_ino) -> the path of the first entry. A later entry with the same
// inode becomes a hard link entry to that path; an inode first seen in this layer is
// always written whole, even when it is hard-linked from other snapshots.
using HardLinkMap = std::map<std::pair<uint64_t, uint64_t>, std::string>;

// The tail of WriteLayerTar's output: the bytes of changes[start..] and the end
// records, as if changes[0..start) had been written before with `links` as their
// hard-link state. Every entry is finished (padded) before the next begins, so
// `before_entry(i)`, when given, is called when exactly the bytes of entries before
// i have gone to `sink` (a 512-byte boundary). WriteLayerTar == WriteLayerTarFrom(0, {}).
Status WriteLayerTarFrom(const std::vector<Change>& changes, size_t start, HardLinkMap links,
                         const LayerOptions& opts, const std::function<Status(const void*, size_t)>& sink,
                         const std::function<void(size_t)>& before_entry = nullptr);

// Tar + compress + store: returns the stored blob's descriptor and diffID.
Result<LayerRecord> WriteLayer(const std::vector<Change>& changes, ContentStore& store, const LayerOptions& opts);

// Diffs snapshot inputs (overlay upper dir, or two full trees) and writes the layer.
Result<LayerRecord> WriteSnapshotLayer(const Snapshotter::DiffInput& in, ContentStore& store,
                                       const LayerOptions& opts);

}  // namespace kiln::cache
