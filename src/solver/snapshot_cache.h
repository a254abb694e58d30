// The solver's persistent cache: cache records in the metadata database
// pointing at committed snapshots. A record whose snapshot is gone (pruned)
// is a miss. Output i of an op is stored under OutputKey(key, i).
//
// Imported records (kiln build --cache-from) have layers but no snapshot. With
// SetImport, a hit on one is materialized: its layer blobs are fetched into the
// content store (the fetcher) and applied as a chain of snapshots, as the image
// source op unpacks pulled images; the record then points at the last one. A
// record whose blobs cannot be fetched or applied is a miss (warned), not an error.
#pragma once

#include <functional>
#include <mutex>

#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "solver/cache_backend.h"

namespace kiln::solver {

// Makes a layer blob present in the content store (or fails).
using BlobFetcher = std::function<Status(const cache::LayerRecord&)>;

// Record metadata field: how many leading layers of a record's chain are image
// layers (snapshots named "layer-<chain id>", kept even when empty).
inline constexpr const char* kImageLayersField = "imageLayers";

class SnapshotCache : public CacheBackend {
 public:
  SnapshotCache(cache::MetadataStore* md, cache::Snapshotter* sn) : md_(md), sn_(sn) {}
  Result<std::optional<std::vector<ValuePtr>>> Load(const std::string& key) override;
  Status Save(const std::string& key, const std::vector<ValuePtr>& outputs) override;

  // Enables materializing imported records (see above).
  void SetImport(cache::ContentStore* content, BlobFetcher fetch) {
    content_ = content;
    fetch_ = std::move(fetch);
  }

 private:
  // The snapshot holding `rec`'s layer chain, made from its blobs.
  Result<std::string> Materialize(const cache::CacheRecord& rec);

  cache::MetadataStore* md_;
  cache::Snapshotter* sn_;
  cache::ContentStore* content_ = nullptr;
  BlobFetcher fetch_;
  std::mutex mu_;  // one materialization at a time
  int next_ = 0;
};

}  // namespace kiln::solver
