// Store eviction (--max-size): least-recently-used manifests, then the blobs no
// manifest needs. An upload in flight is not in the store yet, and a blob used
// within the grace period that no manifest names yet (a push in progress) is kept.
// Times are milliseconds.
#include <unistd.h>

#include "cacheserver/store.h"

namespace kiln::cacheserver {

namespace {
constexpr const char* kUnreferencedBlobs =
    "SELECT b.digest, b.size FROM blobs b WHERE b.last_used < ?1 AND "
    "NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest) AND "
    "NOT EXISTS (SELECT 1 FROM manifest_refs r JOIN manifests m ON m.digest = r.digest WHERE r.ref = b.digest) "
    "ORDER BY b.last_used LIMIT 256";
// The least recently used manifest that no other manifest of its repository (an
// index) names.
constexpr const char* kLruManifest =
    "SELECT m.repo, m.digest, m.last_used FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM manifest_refs r "
    "JOIN manifests p ON p.digest = r.digest AND p.repo = m.repo WHERE r.ref = m.digest) "
    "ORDER BY m.last_used LIMIT 1";
// A blob the evicted manifest needed, now needed by none.
constexpr const char* kFreedBlob =
    "SELECT b.size, b.last_used FROM blobs b WHERE b.digest = ?1 AND "
    "NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = b.digest) AND "
    "NOT EXISTS (SELECT 1 FROM manifest_refs r JOIN manifests m ON m.digest = r.digest WHERE r.ref = b.digest)";
}  // namespace

Status Store::RemoveUnreferencedBlobs(int64_t older_than) {
  std::lock_guard lock(db_mu_);
  for (;;) {
    std::vector<std::pair<std::string, int64_t>> batch;
    {
      ASSIGN_OR_RETURN(auto st, db_->Prepare(kUnreferencedBlobs));
      st.Bind(1, older_than);
      for (;;) {
        ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        batch.emplace_back(st.Text(0), st.Int(1));
      }
    }
    if (batch.empty()) return Status::OK();
    for (const auto& [digest, size] : batch) {
      if (size_ <= opts_.max_size) return Status::OK();
      RETURN_IF_ERROR(RemoveBlobLocked(digest, size));
    }
  }
}

Result<bool> Store::EvictOneManifest() {
  std::lock_guard lock(db_mu_);
  std::string repo, digest;
  int64_t used = 0;
  {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(kLruManifest));
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return false;
    repo = st.Text(0);
    digest = st.Text(1);
    used = st.Int(2);
  }
  std::vector<std::string> freed{digest};
  {
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT ref FROM manifest_refs WHERE digest = ?1"));
    st.Bind(1, digest);
    ASSIGN_OR_RETURN(std::vector<std::string> refs, st.Texts(0));
    freed.insert(freed.end(), refs.begin(), refs.end());
  }
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto t, db_->Prepare("DELETE FROM tags WHERE repo = ?1 AND digest = ?2"));
    RETURN_IF_ERROR(t.Bind(1, repo).Bind(2, digest).Run());
    ASSIGN_OR_RETURN(auto m, db_->Prepare("DELETE FROM manifests WHERE repo = ?1 AND digest = ?2"));
    return m.Bind(1, repo).Bind(2, digest).Run();
  }));
  evictions_++;
  uses_.erase("m:" + repo + "@" + digest);
  // Its blobs go unless used after the manifest was (a push in flight may need them);
  // the manifest's own file goes once no repository holds it.
  for (const auto& d : freed) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(kFreedBlob));
    st.Bind(1, d);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && (d == digest || st.Int(1) < used)) RETURN_IF_ERROR(RemoveBlobLocked(d, st.Int(0)));
  }
  return true;
}

Status Store::EvictIfNeeded() {
  if (opts_.max_size <= 0 || size_ <= opts_.max_size) return Status::OK();
  std::lock_guard ev(evict_mu_);
  RETURN_IF_ERROR(FlushUses());
  int64_t cutoff = Now() - opts_.unreferenced_grace;
  RETURN_IF_ERROR(RemoveUnreferencedBlobs(cutoff));
  while (size_ > opts_.max_size) {
    ASSIGN_OR_RETURN(bool evicted, EvictOneManifest());
    if (!evicted) break;
    RETURN_IF_ERROR(RemoveUnreferencedBlobs(cutoff));
  }
  return Status::OK();
}

}  // namespace kiln::cacheserver
