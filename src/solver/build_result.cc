#include "solver/build_result.h"

#include <oneapi/tbb/parallel_for.h>

#include "base/digest.h"
#include "cache/layer_compress.h"
#include "cache/layer_hash.h"
#include "cache/layer_writer.h"
#include "solver/ops_internal.h"

namespace kiln::solver {

SnapshotBuildResult::SnapshotBuildResult(BuildOpResolver* r, std::string snapshot, nlohmann::json image_config)
    : r_(r), snapshot_(std::move(snapshot)), config_(std::move(image_config)) {}

SnapshotBuildResult::~SnapshotBuildResult() {
  if (rootfs_mounted_) {
    auto ns = r_->Mounts();
    if (ns.ok()) (void)(*ns)->Unmount(rootfs_);
  }
}

Result<std::string> SnapshotBuildResult::RootfsDir() {
  std::lock_guard l(mu_);
  if (!rootfs_.empty()) return rootfs_;
  ASSIGN_OR_RETURN(auto spec, r_->deps().snapshotter->View(snapshot_));
  if (spec.type == "overlay") {
    ASSIGN_OR_RETURN(MountNamespace * ns, r_->Mounts());
    ASSIGN_OR_RETURN(rootfs_, ns->Mount(spec, r_->Scratch() + "/mnt"));
    rootfs_mounted_ = true;
  } else {
    rootfs_ = spec.dir;
  }
  return rootfs_;
}

Result<std::vector<std::string>> SnapshotBuildResult::Chain() {
  std::vector<std::string> chain;
  for (std::string s = snapshot_; !s.empty();) {
    chain.insert(chain.begin(), s);
    ASSIGN_OR_RETURN(auto info, r_->deps().snapshotter->Stat(s));
    s = info.parent;
  }
  return chain;
}

Result<cache::LayerRecord> SnapshotBuildResult::LayerOf(const std::string& snapshot, const exporter::CompressionOptions& c,
                                                        bool rewrite, std::optional<int64_t> epoch) {
  auto& d = r_->deps();
  ASSIGN_OR_RETURN(cache::Compression want, cache::ParseCompression(c.type));
  if (!rewrite) {
    auto recs = d.metadata->SnapshotLayers(snapshot);
    if (recs.ok() && !recs->empty()) {
      for (const auto& rec : *recs) {
        auto have = cache::CompressionOfMediaType(rec.media_type);
        if (have.ok() && *have == want && d.content->Has(rec.digest)) return rec;
      }
      // Another compression is fine unless forced (as BuildKit keeps pulled layers),
      // but an uncompressed layer (the local store's) never stands in for a compressed one.
      if (!c.force)
        for (const auto& rec : *recs) {
          auto have = cache::CompressionOfMediaType(rec.media_type);
          if (have.ok() && *have == cache::Compression::kUncompressed && want != cache::Compression::kUncompressed)
            continue;
          if (d.content->Has(rec.digest)) return rec;
        }
    }
    // The local store's layers: hashed only, stored when first read.
    if (c.lazy && want == cache::Compression::kUncompressed && !c.level)
      return cache::LazySnapshotLayer(d.root, *d.snapshotter, *d.metadata, snapshot, /*oci_media_types=*/true);
  }
  ASSIGN_OR_RETURN(auto in, d.snapshotter->DiffInputs(snapshot));
  cache::LayerOptions lo;
  lo.compression = want;
  lo.level = c.level.value_or(-1);
  if (rewrite) lo.source_date_epoch = epoch;
  ASSIGN_OR_RETURN(auto rec, cache::WriteSnapshotLayer(in, *d.content, lo));
  if (!rewrite) (void)d.metadata->PutSnapshotLayer(snapshot, rec);
  return rec;
}

Result<std::vector<exporter::Layer>> SnapshotBuildResult::Layers(const exporter::CompressionOptions& compression,
                                                                 bool rewrite_timestamp,
                                                                 std::optional<int64_t> source_date_epoch) {
  ASSIGN_OR_RETURN(auto chain, Chain());
  std::vector<Result<cache::LayerRecord>> recs(chain.size(), Status::Internal("not computed"));
  tbb::parallel_for(size_t(0), chain.size(), [&](size_t i) {
    recs[i] = LayerOf(chain[i], compression, rewrite_timestamp, source_date_epoch);
  });
  std::vector<exporter::Layer> out;
  std::string top_snapshot;  // the snapshot of the last layer
  for (size_t i = 0; i < chain.size(); i++) {
    if (!recs[i].ok()) return recs[i].status().WithContext("layer of snapshot " + chain[i]);
    const auto& rec = *recs[i];
    exporter::Layer l;
    l.blob.media_type = rec.media_type;
    l.blob.digest = rec.digest;
    l.blob.size = rec.size;
    l.diff_id = rec.diff_id;
    auto srec = r_->deps().metadata->GetSnapshot(chain[i]);
    if (srec.ok()) l.created_ns = srec->created * 1000000000LL;
    out.push_back(std::move(l));
    top_snapshot = chain[i];
  }
  // Its view is the image's rootfs: remember it under the chain ID, so that a
  // build FROM this image uses it instead of unpacking the layers again. Not
  // with rewritten timestamps (the layers then differ from the snapshot).
  if (!rewrite_timestamp && !out.empty()) {
    std::vector<std::string> diff_ids;
    for (const auto& x : out) diff_ids.push_back(x.diff_id);
    std::string id = ChainId(diff_ids);
    auto have = r_->deps().metadata->ChainSnapshot(id);
    if (!have.ok() || *have != top_snapshot) (void)r_->deps().metadata->PutChainSnapshot(id, top_snapshot);
  }
  return out;
}

nlohmann::json SnapshotBuildResult::ImageConfig() { return config_; }

}  // namespace kiln::solver
