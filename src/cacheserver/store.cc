// Store: opening the index, blobs and uploads. Manifests and tags are in
// manifests.cc, eviction in evict.cc.
#include "cacheserver/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <regex>

namespace kiln::cacheserver {

namespace {

constexpr const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, last_used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS repo_blobs (repo TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repo, digest));
CREATE INDEX IF NOT EXISTS repo_blobs_digest ON repo_blobs (digest);
CREATE TABLE IF NOT EXISTS manifests (repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,
  last_used INTEGER NOT NULL, PRIMARY KEY (repo, digest));
CREATE INDEX IF NOT EXISTS manifests_digest ON manifests (digest);
CREATE INDEX IF NOT EXISTS manifests_used ON manifests (last_used);
CREATE TABLE IF NOT EXISTS manifest_refs (digest TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (digest, ref));
CREATE INDEX IF NOT EXISTS manifest_refs_ref ON manifest_refs (ref);
CREATE TABLE IF NOT EXISTS tags (repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repo, tag));
CREATE INDEX IF NOT EXISTS tags_digest ON tags (repo, digest);
)SQL";

std::string RandomId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
           static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

bool IsValidRepoName(const std::string& name) {
  static const std::regex re("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  return name.size() <= 255 && std::regex_match(name, re);
}

bool IsValidTag(const std::string& tag) {
  static const std::regex re("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  return std::regex_match(tag, re);
}

Status Upload::Write(const char* data, size_t len) {
  if (ended_) return Status::NotFound("upload " + id_ + " has ended");
  RETURN_IF_ERROR(WriteAll(fd_.get(), data, len, path_));
  sha_.Update(data, len);
  offset_ += static_cast<int64_t>(len);
  return Status::OK();
}

Result<std::unique_ptr<Store>> Store::Open(StoreOptions opts) {
  if (!opts.now) {
    opts.now = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  std::unique_ptr<Store> s(new Store(std::move(opts)));
  RETURN_IF_ERROR(s->Init());
  return s;
}

Store::~Store() { (void)FlushUses(); }

Status Store::Init() {
  RETURN_IF_ERROR(MakeDirs(opts_.root + "/blobs/sha256"));
  // Uploads do not survive a restart: they are discarded whole.
  RETURN_IF_ERROR(RemoveAll(opts_.root + "/uploads"));
  RETURN_IF_ERROR(MakeDirs(opts_.root + "/uploads"));
  ASSIGN_OR_RETURN(db_, cache::SqlDb::Open(opts_.root + "/index.db"));
  RETURN_IF_ERROR(db_->Exec(kSchema));
  ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT COALESCE(SUM(size), 0) FROM blobs"));
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (row) size_ = st.Int(0);
  return Status::OK();
}

int64_t Store::Now() const { return opts_.now(); }

std::string Store::BlobPath(const std::string& digest) const {
  std::string hex(DigestHex(digest));
  return opts_.root + "/blobs/sha256/" + hex.substr(0, 2) + "/" + hex;
}

void Store::Touch(const std::string& key) { uses_[key] = Now(); }

Status Store::FlushUses() {
  std::lock_guard lock(db_mu_);
  if (uses_.empty() || !db_) return Status::OK();
  auto uses = std::move(uses_);
  uses_.clear();
  return db_->Transaction([&]() -> Status {
    for (const auto& [key, t] : uses) {
      if (key[0] == 'b') {
        ASSIGN_OR_RETURN(auto s, db_->Prepare("UPDATE blobs SET last_used = ?2 WHERE digest = ?1 AND last_used < ?2"));
        RETURN_IF_ERROR(s.Bind(1, key.substr(2)).Bind(2, t).Run());
      } else {
        size_t at = key.find('@');
        ASSIGN_OR_RETURN(auto s, db_->Prepare(
            "UPDATE manifests SET last_used = ?3 WHERE repo = ?1 AND digest = ?2 AND last_used < ?3"));
        RETURN_IF_ERROR(s.Bind(1, key.substr(2, at - 2)).Bind(2, key.substr(at + 1)).Bind(3, t).Run());
      }
    }
    return Status::OK();
  });
}

Result<BlobInfo> Store::StatBlob(const std::string& repo, const std::string& digest) {
  if (!IsValidDigest(digest)) return Status::InvalidArgument("invalid digest \"" + digest + "\"");
  BlobInfo info{digest, 0, BlobPath(digest), false};
  {
    std::lock_guard lock(db_mu_);
    ASSIGN_OR_RETURN(auto st, db_->Prepare(
        "SELECT b.size FROM blobs b JOIN repo_blobs r ON r.digest = b.digest WHERE r.repo = ?1 AND b.digest = ?2"));
    st.Bind(1, repo).Bind(2, digest);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("blob " + digest + " is not in " + repo);
    info.size = st.Int(0);
    info.verified = verified_.count(digest) > 0;
    Touch("b:" + digest);
  }
  struct stat sb {};
  if (stat(info.path.c_str(), &sb) != 0 || sb.st_size != info.size) {
    DropCorrupt(digest);  // truncated or gone: never served
    return Status::NotFound("blob " + digest + " is missing or truncated on disk");
  }
  return info;
}

Status Store::VerifyBlob(const BlobInfo& blob) {
  auto got = Sha256File(blob.path);
  if (got.ok() && *got == blob.digest) {
    MarkVerified(blob.digest);
    return Status::OK();
  }
  DropCorrupt(blob.digest);
  return Status::Corruption("blob " + blob.digest + " is damaged on disk (" +
                            (got.ok() ? "its content hashes to " + *got : got.status().message()) + ")");
}

void Store::DropCorrupt(const std::string& digest) {
  std::lock_guard lock(db_mu_);
  auto st = db_->Prepare("SELECT size FROM blobs WHERE digest = ?1");
  if (!st.ok()) return;
  st->Bind(1, digest);
  auto row = st->Step();
  if (!row.ok() || !*row) return;
  (void)RemoveBlobLocked(digest, st->Int(0));
}

// Removes a blob's rows and file; db_mu_ held.
Status Store::RemoveBlobLocked(const std::string& digest, int64_t size) {
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto a, db_->Prepare("DELETE FROM repo_blobs WHERE digest = ?1"));
    RETURN_IF_ERROR(a.Bind(1, digest).Run());
    ASSIGN_OR_RETURN(auto b, db_->Prepare("DELETE FROM blobs WHERE digest = ?1"));
    return b.Bind(1, digest).Run();
  }));
  size_ -= size;
  verified_.erase(digest);
  uses_.erase("b:" + digest);
  if (unlink(BlobPath(digest).c_str()) != 0 && errno != ENOENT)
    return Status::FromErrno(errno, "unlink", BlobPath(digest));
  return Status::OK();
}

void Store::MarkVerified(const std::string& digest) {
  std::lock_guard lock(db_mu_);
  verified_.insert(digest);
}

Status Store::Mount(const std::string& repo, const std::string& from, const std::string& digest) {
  ASSIGN_OR_RETURN(auto info, StatBlob(from, digest));
  std::lock_guard lock(db_mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT OR IGNORE INTO repo_blobs (repo, digest) VALUES (?1, ?2)"));
  return st.Bind(1, repo).Bind(2, info.digest).Run();
}

Status Store::DeleteBlob(const std::string& repo, const std::string& digest) {
  ASSIGN_OR_RETURN(auto info, StatBlob(repo, digest));
  std::lock_guard lock(db_mu_);
  ASSIGN_OR_RETURN(auto st, db_->Prepare("DELETE FROM repo_blobs WHERE repo = ?1 AND digest = ?2"));
  return st.Bind(1, repo).Bind(2, info.digest).Run();
}

Result<std::shared_ptr<Upload>> Store::StartUpload(const std::string& repo) {
  std::string id = RandomId();
  std::string path = opts_.root + "/uploads/" + id;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "create upload file", path);
  auto up = std::make_shared<Upload>(id, repo, path, Fd(fd));
  std::lock_guard lock(db_mu_);
  uploads_[id] = up;
  return up;
}

Result<std::shared_ptr<Upload>> Store::FindUpload(const std::string& repo, const std::string& id) {
  std::lock_guard lock(db_mu_);
  auto it = uploads_.find(id);
  if (it == uploads_.end() || it->second->repo() != repo) return Status::NotFound("upload " + id + " is unknown");
  return it->second;
}

void Store::CancelUpload(const std::shared_ptr<Upload>& up) {
  {
    std::lock_guard lock(db_mu_);
    uploads_.erase(up->id());
  }
  if (up->ended_) return;
  up->ended_ = true;
  up->fd_.reset();
  unlink(up->path_.c_str());
}

int64_t Store::uploads_in_flight() {
  std::lock_guard lock(db_mu_);
  return static_cast<int64_t>(uploads_.size());
}

Result<BlobInfo> Store::FinishUpload(const std::shared_ptr<Upload>& up, const std::string& digest) {
  if (up->ended_) return Status::NotFound("upload " + up->id() + " has ended");
  std::string got = up->sha_.Digest();
  Status st;
  if (got != digest) {
    st = Status::Corruption("the uploaded content has digest " + got + ", not " + digest);
  } else if (fsync(up->fd_.get()) != 0) {
    st = Status::FromErrno(errno, "fsync", up->path_);
  }
  std::string dst = BlobPath(digest);
  if (st.ok()) {
    // Rename and row under the lock: eviction never sees the file without its row.
    std::lock_guard lock(db_mu_);
    std::string dir = dst.substr(0, dst.rfind('/'));
    st = MakeDirs(dir);
    if (st.ok() && rename(up->path_.c_str(), dst.c_str()) != 0) st = Status::FromErrno(errno, "rename", dst);
    if (st.ok()) st = FsyncDir(dir);
    if (st.ok()) st = CommitBlobLocked(up->repo(), digest, up->offset());
  }
  CancelUpload(up);  // ends it; the file was renamed (or is removed)
  if (!st.ok()) return st;
  (void)EvictIfNeeded();
  return BlobInfo{digest, up->offset(), dst, true};
}

// Adds the blobs row (or refreshes its last use); db_mu_ held, inside a transaction.
Status Store::InsertBlobRowLocked(const std::string& digest, int64_t size, bool* added) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT 1 FROM blobs WHERE digest = ?1"));
  q.Bind(1, digest);
  ASSIGN_OR_RETURN(bool exists, q.Step());
  *added = !exists;
  if (exists) {
    ASSIGN_OR_RETURN(auto up, db_->Prepare("UPDATE blobs SET last_used = ?2 WHERE digest = ?1"));
    return up.Bind(1, digest).Bind(2, Now()).Run();
  }
  ASSIGN_OR_RETURN(auto ins, db_->Prepare("INSERT INTO blobs (digest, size, last_used) VALUES (?1, ?2, ?3)"));
  return ins.Bind(1, digest).Bind(2, size).Bind(3, Now()).Run();
}

Status Store::CommitBlobLocked(const std::string& repo, const std::string& digest, int64_t size) {
  bool added = false;
  RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    RETURN_IF_ERROR(InsertBlobRowLocked(digest, size, &added));
    ASSIGN_OR_RETURN(auto link, db_->Prepare("INSERT OR IGNORE INTO repo_blobs (repo, digest) VALUES (?1, ?2)"));
    return link.Bind(1, repo).Bind(2, digest).Run();
  }));
  if (added) size_ += size;
  verified_.insert(digest);
  return Status::OK();
}

}  // namespace kiln::cacheserver
