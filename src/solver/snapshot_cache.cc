#include "solver/snapshot_cache.h"

#include <nlohmann/json.hpp>

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
    if (r->snapshot.empty() && !(i == 0 && scratch)) return Out();  // only layers: not usable as a result
    if (!r->snapshot.empty()) {
      auto st = sn_->Stat(r->snapshot);
      if (!st.ok() || !st->committed) return Out();
    }
    values.push_back(std::make_shared<SnapshotValue>(r->snapshot));
  }
  (void)md_->TouchCacheRecord(key);
  return Out(std::move(values));
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
