// A ContentStore decorator that also holds lazy blobs (MetadataStore's lazy_blobs):
// uncompressed layer tars that were only hashed at build time (layer_hash.h). Has
// and Size answer for them from the metadata DB; the first Path, Read or Verify
// regenerates the tar from its snapshot, checks it hashes to the recorded digest
// and size (BlobWriter::Commit does), and commits it to the real store atomically.
// From then on the blob is an ordinary stored blob. List, MTime, Delete and
// CleanIngest see only stored blobs (GC keeps a lazy blob's snapshot instead).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

class LazyContentStore : public ContentStore {
 public:
  // `snapshotter` is called (once) on the first materialization; it may open one.
  using SnapshotterFn = std::function<Result<Snapshotter*>()>;
  LazyContentStore(std::unique_ptr<ContentStore> real, MetadataStore* md, SnapshotterFn snapshotter);

  bool Has(const std::string& digest) override;
  Result<int64_t> Size(const std::string& digest) override;
  Result<std::string> Path(const std::string& digest) override;
  Result<std::string> Read(const std::string& digest, bool verify = false) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override { return real_->NewWriter(); }
  Status Delete(const std::string& digest) override { return real_->Delete(digest); }
  Result<std::vector<std::string>> List() override { return real_->List(); }
  Status Verify(const std::string& digest) override;
  Result<int64_t> CleanIngest(int64_t max_age_seconds) override { return real_->CleanIngest(max_age_seconds); }
  Result<int64_t> MTime(const std::string& digest) override { return real_->MTime(digest); }

  // True when `digest` is lazy and not (yet) stored.
  bool IsLazy(const std::string& digest);
  // Stores a lazy blob now (no-op when already stored). Corruption when the
  // snapshot no longer gives the recorded bytes; NotFound when it is not lazy.
  Status Materialize(const std::string& digest);
  ContentStore& real() { return *real_; }

 private:
  std::unique_ptr<ContentStore> real_;
  MetadataStore* md_;
  SnapshotterFn snapshotter_fn_;
  std::mutex mu_;  // one materialization at a time
};

// Regenerates the lazy blob `b` from its snapshot into `store` (verified, atomic).
Status MaterializeLazyBlob(const LazyBlob& b, Snapshotter& sn, ContentStore& store);

}  // namespace kiln::cache
