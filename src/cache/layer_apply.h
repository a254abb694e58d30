// Unpacks an OCI layer tar (plain, gzip or zstd; detected) into a directory,
// never writing outside it: absolute names, `..` components, entries below a
// symlink, and hard links to paths outside the layer's target are rejected with
// an error naming the entry. Whiteouts become overlay whiteouts (char 0/0
// devices, trusted.overlay.opaque=y) for an overlay upper dir, or deletions for a
// full tree (the copy snapshotter).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

enum class WhiteoutMode {
  kOverlay,  // dst is an overlay upper dir over the lower layers
  kDelete,   // dst is the full tree: delete what the layer whites out
};

struct ApplyResult {
  std::string diff_id;  // digest of the uncompressed tar
  int64_t uncompressed_size = 0;
  int64_t entries = 0;
};

// Unpacks the layer file at `blob_path` into `dst` (which must exist).
Result<ApplyResult> ApplyLayer(const std::string& blob_path, const std::string& dst, WhiteoutMode mode);

// Convenience for unpacking into active snapshot `key`: picks the mode from the
// snapshotter's kind and writes into its LayerDir.
Result<ApplyResult> ApplyLayerToSnapshot(const std::string& blob_path, Snapshotter& sn, const std::string& key);

}  // namespace kiln::cache
