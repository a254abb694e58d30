#include "cache/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <random>

#include "base/digest.h"
#include "base/fs.h"
#include "cache/file_lock.h"

namespace kiln::cache {
namespace {

// Unique per process and call: a forked child inherits the parent's RNG state,
// so the pid and a counter are part of the name.
std::string RandomName() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static std::atomic<uint64_t> counter{0};
  static const char* kHex = "0123456789abcdef";
  std::string s = std::to_string(getpid()) + "-" + std::to_string(counter++) + "-";
  for (int i = 0; i < 8; i++) s.push_back(kHex[rng() % 16]);
  return s;
}

Status CheckDigest(const std::string& digest) {
  if (!IsValidDigest(digest))
    return Status::InvalidArgument("invalid digest `" + digest + "`: expected sha256:<64 lowercase hex>");
  return Status::OK();
}

class LocalBlobWriter : public BlobWriter {
 public:
  LocalBlobWriter(int fd, std::string tmp, std::string blobs_dir, std::string lock_path)
      : fd_(fd), tmp_(std::move(tmp)), blobs_dir_(std::move(blobs_dir)), lock_path_(std::move(lock_path)) {}
  ~LocalBlobWriter() override { Abort(); }

  Status Write(const void* data, size_t len) override {
    if (fd_ < 0) return Status::FailedPrecondition("write to a finished blob writer");
    Status st = WriteAll(fd_, data, len, tmp_);
    if (!st.ok()) {
      Abort();
      return st;
    }
    hash_.Update(data, len);
    written_ += static_cast<int64_t>(len);
    return Status::OK();
  }

  Result<std::string> Commit(const std::string& expected_digest, int64_t expected_size) override {
    if (fd_ < 0) return Status::FailedPrecondition("commit of a finished blob writer");
    if (!expected_digest.empty()) {
      Status st = CheckDigest(expected_digest);
      if (!st.ok()) {
        Abort();
        return st;
      }
    }
    std::string digest = hash_.Digest();
    if (expected_size >= 0 && expected_size != written_) {
      Abort();
      return Status::Corruption("blob size mismatch: expected " + std::to_string(expected_size) + " bytes (" +
                                expected_digest + "), got " + std::to_string(written_) + " bytes (" + digest + ")");
    }
    if (!expected_digest.empty() && expected_digest != digest) {
      Abort();
      return Status::Corruption("blob digest mismatch: expected " + expected_digest + ", got " + digest);
    }
    if (fchmod(fd_, 0444) != 0 || fsync(fd_) != 0) {
      int err = errno;
      Abort();
      return Status::FromErrno(err, "fsync", tmp_);
    }
    close(fd_);
    fd_ = -1;
    std::string final_path = blobs_dir_ + "/" + std::string(DigestHex(digest));
    // Shared lock: Delete (exclusive) never runs between our rename and return.
    ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_path_, FileLock::Mode::kShared));
    if (rename(tmp_.c_str(), final_path.c_str()) != 0) {
      int err = errno;
      unlink(tmp_.c_str());
      return Status::FromErrno(err, "rename", tmp_ + " -> " + final_path);
    }
    RETURN_IF_ERROR(FsyncDir(blobs_dir_));
    return digest;
  }

  int64_t Written() const override { return written_; }

 private:
  void Abort() {
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
      unlink(tmp_.c_str());
    }
  }

  int fd_;
  std::string tmp_, blobs_dir_, lock_path_;
  Sha256 hash_;
  int64_t written_ = 0;
};

class LocalContentStore : public ContentStore {
 public:
  explicit LocalContentStore(std::string dir)
      : dir_(std::move(dir)), blobs_(dir_ + "/blobs/sha256"), ingest_(dir_ + "/ingest"), lock_(dir_ + "/lock") {}

  Status Init() {
    RETURN_IF_ERROR(MakeDirs(blobs_));
    return MakeDirs(ingest_);
  }

  bool Has(const std::string& digest) override {
    if (!IsValidDigest(digest)) return false;
    struct stat st;
    return stat(BlobPath(digest).c_str(), &st) == 0;
  }

  Result<int64_t> Size(const std::string& digest) override {
    ASSIGN_OR_RETURN(struct stat st, StatBlob(digest));
    return static_cast<int64_t>(st.st_size);
  }

  Result<int64_t> MTime(const std::string& digest) override {
    ASSIGN_OR_RETURN(struct stat st, StatBlob(digest));
    return static_cast<int64_t>(st.st_mtim.tv_sec);
  }

  Result<std::string> Path(const std::string& digest) override {
    RETURN_IF_ERROR(StatBlob(digest).status());
    return BlobPath(digest);
  }

  Result<std::string> Read(const std::string& digest, bool verify) override {
    ASSIGN_OR_RETURN(int fd, OpenBlob(digest));
    std::string data;
    Status st = ReadChunks(fd, BlobPath(digest), [&](const char* p, size_t n) {
      data.append(p, n);
      return Status::OK();
    }, 1 << 16);
    close(fd);
    RETURN_IF_ERROR(st);
    if (verify) {
      std::string actual = Sha256Digest(data);
      if (actual != digest) return Mismatch(digest, actual);
    }
    return data;
  }

  Status Verify(const std::string& digest) override {
    ASSIGN_OR_RETURN(int fd, OpenBlob(digest));
    Sha256 h;
    Status st = ReadChunks(fd, BlobPath(digest), [&](const char* p, size_t n) {
      h.Update(p, n);
      return Status::OK();
    }, 1 << 16);
    close(fd);
    RETURN_IF_ERROR(st);
    std::string actual = h.Digest();
    if (actual != digest) return Mismatch(digest, actual);
    return Status::OK();
  }

  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    std::string tmp = ingest_ + "/" + RandomName();
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(errno, "create ingest file", tmp);
    return std::unique_ptr<BlobWriter>(std::make_unique<LocalBlobWriter>(fd, tmp, blobs_, lock_));
  }

  Status Delete(const std::string& digest) override {
    RETURN_IF_ERROR(CheckDigest(digest));
    ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(lock_, FileLock::Mode::kExclusive));
    if (unlink(BlobPath(digest).c_str()) != 0) {
      if (errno == ENOENT) return Status::NotFound("blob " + digest + " not in the content store");
      return Status::FromErrno(errno, "delete blob", BlobPath(digest));
    }
    return Status::OK();
  }

  Result<std::vector<std::string>> List() override {
    std::vector<std::string> out;
    DIR* d = opendir(blobs_.c_str());
    if (!d) return Status::FromErrno(errno, "open directory", blobs_);
    while (struct dirent* e = readdir(d)) {
      std::string digest = std::string("sha256:") + e->d_name;
      if (IsValidDigest(digest)) out.push_back(digest);
    }
    closedir(d);
    return out;
  }

  Result<int64_t> CleanIngest(int64_t max_age_seconds) override {
    DIR* d = opendir(ingest_.c_str());
    if (!d) return Status::FromErrno(errno, "open directory", ingest_);
    int64_t freed = 0;
    time_t now = time(nullptr);
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string p = ingest_ + "/" + e->d_name;
      struct stat st;
      // max_age 0 means every file: a fine-grained mtime can be a tick ahead of time().
      if (lstat(p.c_str(), &st) != 0 || (max_age_seconds > 0 && now - st.st_mtim.tv_sec < max_age_seconds)) continue;
      if (unlink(p.c_str()) == 0) freed += st.st_size;
    }
    closedir(d);
    return freed;
  }

 private:
  std::string BlobPath(const std::string& digest) const { return blobs_ + "/" + std::string(DigestHex(digest)); }

  Result<struct stat> StatBlob(const std::string& digest) {
    RETURN_IF_ERROR(CheckDigest(digest));
    struct stat st;
    if (stat(BlobPath(digest).c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::NotFound("blob " + digest + " not in the content store");
      return Status::FromErrno(errno, "stat", BlobPath(digest));
    }
    return st;
  }

  Result<int> OpenBlob(const std::string& digest) {
    RETURN_IF_ERROR(CheckDigest(digest));
    int fd = open(BlobPath(digest).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound("blob " + digest + " not in the content store");
      return Status::FromErrno(errno, "open", BlobPath(digest));
    }
    return fd;
  }

  Status Mismatch(const std::string& digest, const std::string& actual) {
    return Status::Corruption("blob " + BlobPath(digest) + " is corrupt: expected " + digest + ", got " + actual)
        .WithHint("delete the file (or run `kiln prune`) and rebuild or pull again");
  }

  std::string dir_, blobs_, ingest_, lock_;
};

}  // namespace

Result<std::string> ContentStore::Put(std::string_view data) {
  // A blob that is already there is not written again (no temp file, no fsync).
  std::string digest = Sha256Digest(data);
  if (Has(digest)) return digest;
  ASSIGN_OR_RETURN(auto w, NewWriter());
  RETURN_IF_ERROR(w->Write(data.data(), data.size()));
  return w->Commit();
}

Result<std::unique_ptr<ContentStore>> OpenLocalContentStore(const std::string& root) {
  auto store = std::make_unique<LocalContentStore>(root + "/content");
  RETURN_IF_ERROR(store->Init().WithContext("open content store under " + root));
  return std::unique_ptr<ContentStore>(std::move(store));
}

}  // namespace kiln::cache
