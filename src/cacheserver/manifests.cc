// Store: manifests (kept as blob files, indexed per repository) and tags.
#include <nlohmann/json.hpp>

#include "cacheserver/store.h"

namespace kiln::cacheserver {

namespace {

// The descriptors a manifest names: config and layers, or an index's manifests.
Result<std::vector<std::string>> ManifestRefs(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("the manifest is not a JSON object");
  std::vector<std::string> refs;
  auto add = [&](const nlohmann::json& d) -> Status {
    if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string() ||
        !IsValidDigest(d["digest"].get<std::string>()))
      return Status::InvalidArgument("the manifest has a descriptor without a valid sha256 digest");
    refs.push_back(d["digest"].get<std::string>());
    return Status::OK();
  };
  if (j.contains("config")) RETURN_IF_ERROR(add(j["config"]));
  for (const char* key : {"layers", "manifests"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_array())
      return Status::InvalidArgument(std::string("the manifest's \"") + key + "\" is not an array");
    for (const auto& d : j[key]) RETURN_IF_ERROR(add(d));
  }
  return refs;
}

}  // namespace

Result<std::string> Store::ResolveRefLocked(const std::string& repo, const std::string& ref) {
  if (IsValidDigest(ref)) return ref;
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT digest FROM tags WHERE repo = ?1 AND tag = ?2"));
  st.Bind(1, repo).Bind(2, ref);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status::NotFound("manifest " + repo + ":" + ref + " is unknown");
  return st.Text(0);
}

Status Store::CheckManifestRefsLocked(const std::string& repo, const std::vector<std::string>& refs) {
  for (const auto& d : refs) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
        "SELECT 1 FROM repo_blobs WHERE repo = ?1 AND digest = ?2 UNION ALL "
        "SELECT 1 FROM manifests WHERE repo = ?1 AND digest = ?2"));
    st.Bind(1, repo).Bind(2, d);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::FailedPrecondition("the manifest names " + d + ", which is not in " + repo);
  }
  return Status::OK();
}

Result<bool> Store::ManifestCompleteLocked(const std::string& repo, const std::string& digest) {
  ASSIGN_OR_RETURN(auto st, db_->Prepare(
      "SELECT 1 FROM manifest_refs r WHERE r.digest = ?2 AND NOT EXISTS "
      "(SELECT 1 FROM repo_blobs b WHERE b.repo = ?1 AND b.digest = r.ref) AND NOT EXISTS "
      "(SELECT 1 FROM manifests m WHERE m.repo = ?1 AND m.digest = r.ref) LIMIT 1"));
  st.Bind(1, repo).Bind(2, digest);
  ASSIGN_OR_RETURN(bool missing, st.Step());
  return !missing;
}

Result<std::string> Store::PutManifest(const std::string& repo, const std::string& ref, const std::string& media_type,
                                       const std::string& body) {
  std::string digest = Sha256Digest(body);
  bool by_digest = IsValidDigest(ref);
  if (by_digest && ref != digest) return Status::Corruption("the manifest's digest is " + digest + ", not " + ref);
  if (!by_digest && !IsValidTag(ref)) return Status::InvalidArgument("invalid tag \"" + ref + "\"");
  ASSIGN_OR_RETURN(auto refs, ManifestRefs(body));
  std::lock_guard lock(db_mu_);
  RETURN_IF_ERROR(CheckManifestRefsLocked(repo, refs));
  std::string dst = BlobPath(digest);
  RETURN_IF_ERROR(MakeDirs(dst.substr(0, dst.rfind('/'))));
  RETURN_IF_ERROR(WriteFileAtomic(dst, body));
  bool added = false;
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    RETURN_IF_ERROR(InsertBlobRowLocked(digest, static_cast<int64_t>(body.size()), &added));
    ASSIGN_OR_RETURN(auto m, db_->Prepare(
        "INSERT INTO manifests (repo, digest, media_type, last_used) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (repo, digest) DO UPDATE SET media_type = ?3, last_used = ?4"));
    RETURN_IF_ERROR(m.Bind(1, repo).Bind(2, digest).Bind(3, media_type).Bind(4, Now()).Run());
    for (const auto& r : refs) {
      ASSIGN_OR_RETURN(auto ins, db_->Prepare("INSERT OR IGNORE INTO manifest_refs (digest, ref) VALUES (?1, ?2)"));
      RETURN_IF_ERROR(ins.Bind(1, digest).Bind(2, r).Run());
    }
    if (by_digest) return Status::OK();
    ASSIGN_OR_RETURN(auto t, db_->Prepare(
        "INSERT INTO tags (repo, tag, digest) VALUES (?1, ?2, ?3) ON CONFLICT (repo, tag) DO UPDATE SET digest = ?3"));
    return t.Bind(1, repo).Bind(2, ref).Bind(3, digest).Run();
  }));
  if (added) size_ += static_cast<int64_t>(body.size());
  verified_.insert(digest);
  return digest;
}

Result<Manifest> Store::GetManifest(const std::string& repo, const std::string& ref) {
  Manifest m;
  {
    std::lock_guard lock(db_mu_);
    ASSIGN_OR_RETURN(m.digest, ResolveRefLocked(repo, ref));
    ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT media_type FROM manifests WHERE repo = ?1 AND digest = ?2"));
    st.Bind(1, repo).Bind(2, m.digest);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("manifest " + repo + "@" + m.digest + " is unknown");
    m.media_type = st.Text(0);
    Touch("m:" + repo + "@" + m.digest);
  }
  auto body = ReadFile(BlobPath(m.digest));
  if (!body.ok() || Sha256Digest(*body) != m.digest) {
    DropCorrupt(m.digest);
    return Status::NotFound("manifest " + m.digest + " is damaged on disk");
  }
  m.body = std::move(*body);
  m.size = static_cast<int64_t>(m.body.size());
  return m;
}

Result<std::map<std::string, Manifest>> Store::LookupTags(const std::string& repo,
                                                          const std::vector<std::string>& tags) {
  std::map<std::string, Manifest> out;
  std::lock_guard lock(db_mu_);
  for (const auto& tag : tags) {
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
        "SELECT m.digest, m.media_type, b.size FROM tags t JOIN manifests m ON m.repo = t.repo AND m.digest = t.digest "
        "JOIN blobs b ON b.digest = m.digest WHERE t.repo = ?1 AND t.tag = ?2"));
    st.Bind(1, repo).Bind(2, tag);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) continue;
    Manifest m{st.Text(0), st.Text(1), "", st.Int(2)};
    ASSIGN_OR_RETURN(bool complete, ManifestCompleteLocked(repo, m.digest));
    if (!complete) continue;
    Touch("m:" + repo + "@" + m.digest);
    out.emplace(tag, std::move(m));
  }
  return out;
}

Status Store::DeleteManifest(const std::string& repo, const std::string& ref) {
  std::lock_guard lock(db_mu_);
  ASSIGN_OR_RETURN(std::string digest, ResolveRefLocked(repo, ref));
  bool by_digest = IsValidDigest(ref);
  bool found = false;
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto q, db_->Prepare(by_digest ? "SELECT 1 FROM manifests WHERE repo = ?1 AND digest = ?2"
                                                    : "SELECT 1 FROM tags WHERE repo = ?1 AND tag = ?2"));
    q.Bind(1, repo).Bind(2, by_digest ? digest : ref);
    ASSIGN_OR_RETURN(found, q.Step());
    if (!found) return Status::OK();
    if (!by_digest) {  // deleting a tag leaves the manifest
      ASSIGN_OR_RETURN(auto t, db_->Prepare("DELETE FROM tags WHERE repo = ?1 AND tag = ?2"));
      return t.Bind(1, repo).Bind(2, ref).Run();
    }
    ASSIGN_OR_RETURN(auto t, db_->Prepare("DELETE FROM tags WHERE repo = ?1 AND digest = ?2"));
    RETURN_IF_ERROR(t.Bind(1, repo).Bind(2, digest).Run());
    ASSIGN_OR_RETURN(auto m, db_->Prepare("DELETE FROM manifests WHERE repo = ?1 AND digest = ?2"));
    return m.Bind(1, repo).Bind(2, digest).Run();
  }));
  if (!found) return Status::NotFound("manifest " + repo + ":" + ref + " is unknown");
  return Status::OK();
}

Result<std::vector<std::string>> Store::ListTags(const std::string& repo) {
  std::lock_guard lock(db_mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT tag FROM tags WHERE repo = ?1 ORDER BY tag"));
  st.Bind(1, repo);
  ASSIGN_OR_RETURN(std::vector<std::string> out, st.Texts(0));
  if (out.empty()) {
    ASSIGN_OR_RETURN(auto q, db_->Prepare(
        "SELECT 1 FROM manifests WHERE repo = ?1 UNION ALL SELECT 1 FROM repo_blobs WHERE repo = ?1 LIMIT 1"));
    q.Bind(1, repo);
    ASSIGN_OR_RETURN(bool any, q.Step());
    if (!any) return Status::NotFound("repository " + repo + " is unknown");
  }
  return out;
}

Result<std::vector<std::string>> Store::ListRepositories() {
  std::lock_guard lock(db_mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT DISTINCT repo FROM manifests ORDER BY repo"));
  return st.Texts(0);
}

}  // namespace kiln::cacheserver
