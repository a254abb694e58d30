// The cache server's storage: content-addressed blob files under ROOT/blobs and a
// SQLite index (ROOT/index.db) of which repository holds which blobs, manifests and
// tags. A blob becomes visible only after it was written to ROOT/uploads, verified
// against its digest, fsynced and renamed, and its row committed; a restart serves
// from the index at once, with no scan of the store (docs/CACHE_SERVER.md, "Storage").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/fs.h"
#include "base/status.h"
#include "cache/sqlite.h"

namespace kiln::cacheserver {

struct StoreOptions {
  std::string root;
  int64_t max_size = 0;  // bytes; 0 = no eviction
  // Blobs no manifest names that were used less than this many milliseconds ago are
  // kept: a push uploads its blobs before the manifest that names them.
  int64_t unreferenced_grace = 600'000;
  std::function<int64_t()> now;  // milliseconds; default: the wall clock
};

struct BlobInfo {
  std::string digest;
  int64_t size = 0;
  std::string path;
  bool verified = false;  // hashed since this process started (written or checked)
};

struct Manifest {
  std::string digest;
  std::string media_type;
  std::string body;
  int64_t size = 0;
};

// An upload in progress (POST ... PATCH ... PUT): bytes appended in order to a
// temporary file, hashed as they come. Not persisted: a restart discards it whole.
class Upload {
 public:
  Upload(std::string id, std::string repo, std::string path, Fd fd)
      : id_(std::move(id)), repo_(std::move(repo)), path_(std::move(path)), fd_(std::move(fd)) {}
  Status Write(const char* data, size_t len);
  int64_t offset() const { return offset_; }
  const std::string& id() const { return id_; }
  const std::string& repo() const { return repo_; }
  // One request at a time writes an upload; handlers hold it while they do.
  std::mutex& mu() { return mu_; }

 private:
  friend class Store;
  std::string id_, repo_, path_;
  Fd fd_;
  Sha256 sha_;
  int64_t offset_ = 0;
  bool ended_ = false;
  std::mutex mu_;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(StoreOptions opts);
  ~Store();

  // --- blobs (NotFound unless the blob is linked to `repo` and its file is whole)
  Result<BlobInfo> StatBlob(const std::string& repo, const std::string& digest);
  // Hashes the blob's file; a mismatch drops the blob (Corruption).
  Status VerifyBlob(const BlobInfo& blob);
  // Forgets a blob whose file failed verification (and removes the file).
  void DropCorrupt(const std::string& digest);
  void MarkVerified(const std::string& digest);
  // Cross-repository mount: links a blob `from` holds into `repo`.
  Status Mount(const std::string& repo, const std::string& from, const std::string& digest);
  // Unlinks the blob from `repo` (the file goes when eviction finds it unreferenced).
  Status DeleteBlob(const std::string& repo, const std::string& digest);

  // --- uploads
  Result<std::shared_ptr<Upload>> StartUpload(const std::string& repo);
  Result<std::shared_ptr<Upload>> FindUpload(const std::string& repo, const std::string& id);
  // Verifies the digest, fsyncs, renames into place and commits; the upload ends
  // either way. Call with up->mu() held.
  Result<BlobInfo> FinishUpload(const std::shared_ptr<Upload>& up, const std::string& digest);
  void CancelUpload(const std::shared_ptr<Upload>& up);
  int64_t uploads_in_flight();

  // --- manifests and tags (manifests.cc). `ref` is a tag or a digest.
  // Stores `body` (validated: JSON, and every blob or child manifest it names is in
  // `repo`) and returns its digest.
  Result<std::string> PutManifest(const std::string& repo, const std::string& ref,
                                  const std::string& media_type, const std::string& body);
  // A lookup counts as a use for eviction.
  Result<Manifest> GetManifest(const std::string& repo, const std::string& ref);
  Status DeleteManifest(const std::string& repo, const std::string& ref);
  Result<std::vector<std::string>> ListTags(const std::string& repo);
  Result<std::vector<std::string>> ListRepositories();
  // For each tag of `repo` that names a manifest whose every blob is present: the
  // manifest (its digest, media type and size; no body). A hit counts as a use.
  Result<std::map<std::string, Manifest>> LookupTags(const std::string& repo, const std::vector<std::string>& tags);

  // --- size and eviction (evict.cc)
  int64_t size_bytes() const { return size_.load(); }
  int64_t evictions() const { return evictions_.load(); }
  // Evicts least-recently-used manifests, then blobs no manifest needs, until the
  // store fits max_size. Called after every commit; safe to call any time.
  Status EvictIfNeeded();
  // Writes the last-use times kept in memory (lookups do not write the DB).
  Status FlushUses();

 private:
  explicit Store(StoreOptions opts) : opts_(std::move(opts)) {}
  Status Init();
  std::string BlobPath(const std::string& digest) const;
  int64_t Now() const;
  void Touch(const std::string& key);  // db_mu_ held
  Status InsertBlobRowLocked(const std::string& digest, int64_t size, bool* added);
  Status CommitBlobLocked(const std::string& repo, const std::string& digest, int64_t size);
  Result<std::string> ResolveRefLocked(const std::string& repo, const std::string& ref);
  Status CheckManifestRefsLocked(const std::string& repo, const std::vector<std::string>& refs);
  Result<bool> ManifestCompleteLocked(const std::string& repo, const std::string& digest);
  Status RemoveUnreferencedBlobs(int64_t older_than);
  Result<bool> EvictOneManifest();
  Status RemoveBlobLocked(const std::string& digest, int64_t size);

  StoreOptions opts_;
  std::unique_ptr<cache::SqlDb> db_;
  std::mutex db_mu_;  // the DB connection and everything below
  std::map<std::string, std::shared_ptr<Upload>> uploads_;
  std::map<std::string, int64_t> uses_;  // "b:<digest>" / "m:<repo>@<digest>" -> last use
  std::set<std::string> verified_;
  std::mutex evict_mu_;
  std::atomic<int64_t> size_{0};
  std::atomic<int64_t> evictions_{0};
};

// Repository names and tags as the distribution spec defines them.
bool IsValidRepoName(const std::string& name);
bool IsValidTag(const std::string& tag);

}  // namespace kiln::cacheserver
