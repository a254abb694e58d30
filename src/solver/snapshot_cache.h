// The solver's persistent cache: cache records in the metadata database
// pointing at committed snapshots. A record whose snapshot is gone (pruned)
// is a miss. Output i of an op is stored under OutputKey(key, i).
#pragma once

#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "solver/cache_backend.h"

namespace kiln::solver {

class SnapshotCache : public CacheBackend {
 public:
  SnapshotCache(cache::MetadataStore* md, cache::Snapshotter* sn) : md_(md), sn_(sn) {}
  Result<std::optional<std::vector<ValuePtr>>> Load(const std::string& key) override;
  Status Save(const std::string& key, const std::vector<ValuePtr>& outputs) override;

 private:
  cache::MetadataStore* md_;
  cache::Snapshotter* sn_;
};

}  // namespace kiln::solver
