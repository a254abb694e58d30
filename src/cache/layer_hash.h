// A snapshot's layer as an uncompressed tar that is hashed but not stored (a lazy
// blob, see lazy_content.h), with resumable hashing.
//
// The tar is the exact byte stream WriteLayerTar writes (default options, no
// SOURCE_DATE_EPOCH). While hashing, a small index is saved as
// ROOT/layer-index/<diff_id hex> (temp file + rename): per tar entry a fingerprint
// (a hash of kind, path, mode, uid, gid, size, mtime in ns, link or hard-link target,
// device number, for regular files the (st_dev, st_ino) pair and for other entries
// the xattrs: committed snapshot files are never modified, so an unchanged inode
// means unchanged content and xattrs),
// and SHA-256 midstates at entry boundaries about every 2 MiB of tar. Entries start
// on 512-byte boundaries, so a midstate there is exact.
//
// When the previous layer's index is given (the snapshot's origin, recorded by an
// incremental COPY), entries before the first differing fingerprint give the same
// tar bytes, so hashing restarts from the last midstate at or before it. The result
// is byte for byte the digest of a full pass. Any index that is missing, unreadable
// or from another kiln is ignored (a full pass).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/layer_diff.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

struct LayerHashStats {
  size_t entries = 0;
  size_t start_entry = 0;    // the entry hashing (re)started at; 0 = a full pass
  int64_t hashed_bytes = 0;  // tar bytes generated and hashed in this call
  bool reused = false;       // every fingerprint matched: the previous digest was reused
};

// ROOT/layer-index.
std::string LayerIndexDir(const std::string& root);

// The digest and size of the uncompressed tar of `changes` (LayerRecord with
// digest == diff_id, media type `application/vnd.oci.image.layer.v1.tar` or docker's
// `application/vnd.docker.image.rootfs.diff.tar`). `index_dir` "" keeps no index;
// `prev_diff_id` "" hashes from the start.
Result<LayerRecord> HashLayerTar(const std::vector<Change>& changes, const std::string& index_dir,
                                 const std::string& prev_diff_id, bool oci_media_types,
                                 LayerHashStats* stats = nullptr);

// For committed snapshot `key`: diffs it, hashes its layer (resuming from the layer of
// MetadataStore::SnapshotOrigin(key) when that was hashed before), records the lazy
// blob (PutLazyBlob) and the snapshot's layer (PutSnapshotLayer).
Result<LayerRecord> LazySnapshotLayer(const std::string& root, Snapshotter& sn, MetadataStore& md,
                                      const std::string& key, bool oci_media_types, LayerHashStats* stats = nullptr);

// The changes of snapshot `key`'s own diff, in tar order.
Result<std::vector<Change>> SnapshotChanges(Snapshotter& sn, const std::string& key);

}  // namespace kiln::cache
