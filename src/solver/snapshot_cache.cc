#include "solver/snapshot_cache.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "base/digest.h"
#include "base/log.h"
#include "cache/layer_apply.h"
#include "solver/build_values.h"
#include "solver/cache_key.h"

namespace kiln::solver {

Result<std::optional<std::vector<ValuePtr>>> SnapshotCache::Load(const std::string& key) {
  using Out = std::optional<std::vector<ValuePtr>>;
  auto rec = md_->GetCacheRecord(key);
  if (!rec.ok()) {
    if (rec.status().IsNotFound()) return Out();
    return rec.status();
  }
  int outputs = 1;
  bool scratch = false;
  try {
    auto j = nlohmann::json::parse(rec->metadata);
    outputs = j.value("outputs", 1);
    scratch = j.value("scratch", false);
  } catch (...) {
  }
  std::vector<ValuePtr> values;
  for (int i = 0; i < outputs; i++) {
    auto r = i == 0 ? rec : md_->GetCacheRecord(OutputKey(key, i));
    if (!r.ok()) return r.status().IsNotFound() ? Result<Out>(Out()) : Result<Out>(r.status());
    if (r->snapshot.empty() && !(i == 0 && scratch)) {
      // Only layers (an imported record): usable once materialized.
      if (r->layers.empty() || !content_) return Out();
      auto snap = Materialize(*r);
      if (!snap.ok()) {
        spdlog::warn("cache record {} from a cache import is not usable: {}", r->key, snap.status().ToString());
        return Out();
      }
      r->snapshot = *snap;
      RETURN_IF_ERROR(md_->PutCacheRecord(*r));
    }
    if (!r->snapshot.empty()) {
      auto st = sn_->Stat(r->snapshot);
      if (!st.ok() || !st->committed) return Out();
    }
    values.push_back(std::make_shared<SnapshotValue>(r->snapshot));
  }
  // Last-use times feed GC by age; an hour's precision is plenty, and a write
  // (with its fsync) per cached step would dominate a fully cached build.
  if (cache::MetadataStore::Now() - rec->last_used > 3600) (void)md_->TouchCacheRecord(key);
  return Out(std::move(values));
}

namespace {
// The diffID of an empty tar (two zero blocks): applied without its blob.
constexpr const char* kEmptyTarDiffId = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
}  // namespace

Result<std::string> SnapshotCache::Materialize(const cache::CacheRecord& rec) {
  std::lock_guard l(mu_);
  int image_layers = 0;
  try {
    image_layers = nlohmann::json::parse(rec.metadata).value(kImageLayersField, 0);
  } catch (...) {
  }
  std::string chain, parent;
  for (size_t i = 0; i < rec.layers.size(); i++) {
    const auto& lr = rec.layers[i];
    chain = NextChainId(chain, lr.diff_id);
    // Image layers are named as the image source op names them, so both share them.
    std::string key = (static_cast<int>(i) < image_layers ? "layer-" : "cache-") + std::string(DigestHex(chain));
    auto st = sn_->Stat(key);
    if (!st.ok() || !st->committed) {
      bool empty = lr.diff_id == kEmptyTarDiffId;
      if (!empty && !content_->Has(lr.digest)) RETURN_IF_ERROR(fetch_ ? fetch_(lr) : Status::NotFound("blob " + lr.digest));
      std::string active = "import-" + std::to_string(getpid()) + "-" + std::to_string(next_++);
      ASSIGN_OR_RETURN(auto mounts, sn_->Prepare(active, parent));
      (void)mounts;
      if (!empty) {
        auto path = content_->Path(lr.digest);
        Result<cache::ApplyResult> applied = path.ok() ? cache::ApplyLayerToSnapshot(*path, *sn_, active)
                                                       : Result<cache::ApplyResult>(path.status());
        if (applied.ok() && applied->diff_id != lr.diff_id)
          applied = Status::Corruption("layer " + lr.digest + " has diffID " + applied->diff_id + ", not " + lr.diff_id);
        if (!applied.ok()) {
          (void)sn_->Remove(active);
          return applied.status().WithContext("unpack layer " + lr.digest);
        }
      }
      Status c = sn_->Commit(key, active);
      if (!c.ok()) {
        (void)sn_->Remove(active);
        auto again = sn_->Stat(key);
        if (!again.ok() || !again->committed) return c;
      }
    }
    (void)md_->PutSnapshotLayer(key, lr);
    parent = key;
  }
  return parent;
}

Status SnapshotCache::Save(const std::string& key, const std::vector<ValuePtr>& outputs) {
  for (size_t i = 0; i < outputs.size(); i++) {
    auto* sv = dynamic_cast<const SnapshotValue*>(outputs[i].get());
    if (!sv) return Status::OK();  // only snapshots are remembered
    cache::CacheRecord r;
    r.key = OutputKey(key, static_cast<int>(i));
    r.snapshot = sv->key();
    nlohmann::json m = nlohmann::json::object();
    if (i == 0) m["outputs"] = outputs.size();
    if (sv->key().empty()) m["scratch"] = true;
    r.metadata = m.dump();
    RETURN_IF_ERROR(md_->PutCacheRecord(r));
  }
  return Status::OK();
}

}  // namespace kiln::solver
