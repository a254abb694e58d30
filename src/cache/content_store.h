// A content-addressed blob store. A blob is either whole and verified or absent:
// writers stream into a temporary file, verify the digest, fsync and rename.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::cache {

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // without Commit, the partial data is removed
  virtual Status Write(const void* data, size_t len) = 0;
  // Verifies (when given) the digest and size, then makes the blob visible.
  // Returns the blob's digest. A mismatch stores nothing (Corruption naming both digests).
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
};

// The store under ROOT/content (blobs/sha256/<hex>, ingest/ for writers in progress).
Result<std::unique_ptr<ContentStore>> OpenLocalContentStore(const std::string& root);

}  // namespace kiln::cache
