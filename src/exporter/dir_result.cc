#include "exporter/dir_result.h"

#include "cache/layer_diff.h"
#include "cache/layer_writer.h"

namespace kiln::exporter {

nlohmann::json DirectoryResult::DefaultConfig() {
  oci::Platform p = oci::HostPlatform();
  nlohmann::json c = {{"architecture", p.architecture}, {"os", p.os}, {"config", nlohmann::json::object()}};
  if (!p.variant.empty()) c["variant"] = p.variant;
  return c;
}

Result<std::vector<Layer>> DirectoryResult::Layers(const CompressionOptions& c, bool rewrite_timestamp,
                                                   std::optional<int64_t> source_date_epoch) {
  if (cached_ && cached_for_ == c) return *cached_;
  int64_t started = NowNs();
  ASSIGN_OR_RETURN(auto changes, cache::DiffDirectories("", rootfs_));
  cache::LayerOptions opts;
  ASSIGN_OR_RETURN(opts.compression, cache::ParseCompression(c.type));
  if (c.level) opts.level = *c.level;
  if (rewrite_timestamp) opts.source_date_epoch = source_date_epoch;
  ASSIGN_OR_RETURN(cache::LayerRecord rec, cache::WriteLayer(changes, store_, opts));
  Layer l;
  l.blob.media_type = rec.media_type;
  l.blob.digest = rec.digest;
  l.blob.size = rec.size;
  l.diff_id = rec.diff_id;
  l.created_ns = started;
  l.description = created_by_;
  cached_ = std::vector<Layer>{l};
  cached_for_ = c;
  return *cached_;
}

}  // namespace kiln::exporter
