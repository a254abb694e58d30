// A content-addressed blob store. A blob is either whole and verified or absent:
// writers stream into a temporary file, verify the digest, fsync and rename.
//
// On disk (ROOT/content):
//   blobs/sha256/<hex>   committed blobs, mode 0444, never modified in place
//   ingest/<random>      writers in progress (removed on destruction; stale ones
//                        left by killed processes are removed by CleanIngest)
//   lock                 flock: Commit holds it shared, Delete exclusive, so a
//                        blob being renamed into place is never half-deleted.
// Two kiln processes may share a root: renames are atomic and identical blobs
// written concurrently simply replace each other.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::cache {

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // without Commit, the partial data is removed
  virtual Status Write(const void* data, size_t len) = 0;
  // Verifies (when given) the digest and size, then makes the blob visible.
  // Returns the blob's digest. A mismatch stores nothing (Corruption naming both digests).
  // Committing a blob that already exists succeeds (and refreshes its mtime, which
  // garbage collection uses to protect blobs written during a lease).
  virtual Result<std::string> Commit(const std::string& expected_digest = "", int64_t expected_size = -1) = 0;
  virtual int64_t Written() const = 0;
};

class ContentStore {
 public:
  virtual ~ContentStore() = default;
  virtual bool Has(const std::string& digest) = 0;
  virtual Result<int64_t> Size(const std::string& digest) = 0;
  // Path of a committed blob's file, for streaming reads (never write to it).
  virtual Result<std::string> Path(const std::string& digest) = 0;
  // Whole blob in memory (manifests, configs). verify=true re-hashes.
  virtual Result<std::string> Read(const std::string& digest, bool verify = false) = 0;
  virtual Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // Convenience: writes `data` and returns its digest.
  Result<std::string> Put(std::string_view data);
  virtual Status Delete(const std::string& digest) = 0;
  virtual Result<std::vector<std::string>> List() = 0;

  // Additions (store engineer):
  // Re-hashes a committed blob by streaming it; Corruption names both digests.
  virtual Status Verify(const std::string& digest) = 0;
  // Removes ingest files older than `max_age_seconds` (left by killed writers).
  // Returns the number of bytes freed.
  virtual Result<int64_t> CleanIngest(int64_t max_age_seconds) = 0;
  // Modification time (seconds since the epoch) of a committed blob.
  virtual Result<int64_t> MTime(const std::string& digest) = 0;
};

// The store under ROOT/content (blobs/sha256/<hex>, ingest/ for writers in progress).
Result<std::unique_ptr<ContentStore>> OpenLocalContentStore(const std::string& root);

}  // namespace kiln::cache
