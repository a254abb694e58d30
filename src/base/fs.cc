#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace kiln {

Result<std::string> ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return Status::FromErrno(err, "read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

static std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; i++) s.push_back(kChars[rng() % 36]);
  return s;
}

Status FsyncDir(const std::string& dir) {
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open directory", dir);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync", dir);
  return Status::OK();
}

int ParentDirCache::Resolve(const std::string& path, std::string* base) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  *base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (fd_.get() < 0 || dir != dir_) {
    fd_ = Fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd_.get() < 0) {
      dir_.clear();
      return -1;
    }
    dir_ = std::move(dir);
  }
  return fd_.get();
}

void Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Result<std::string> ReadFileOrStdin(const std::string& path) {
  if (path != "-") return ReadFile(path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "read", "standard input");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Status ReadChunks(int fd, const std::string& path, const std::function<Status(const char*, size_t)>& sink,
                  size_t chunk) {
  std::vector<char> buf(chunk);
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read", path);
    }
    if (n == 0) return Status::OK();
    RETURN_IF_ERROR(sink(buf.data(), static_cast<size_t>(n)));
  }
}

Status CopyData(int in, int out, const std::string& src, const std::string& dst) {
  if (ioctl(out, FICLONE, in) == 0) return Status::OK();
  for (;;) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n > 0) continue;
    if (n == 0) return Status::OK();
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return Status::FromErrno(errno, "copy data to", dst);
    break;  // not between these files: copy by hand
  }
  return ReadChunks(in, src, [&](const char* p, size_t n) { return WriteAll(out, p, n, dst); }, 1 << 16);
}

Status WriteAll(int fd, const void* data, size_t len, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write", path);
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  std::filesystem::path p(path);
  std::string dir = p.parent_path().string();
  std::string tmp = (dir.empty() ? std::string(".") : dir) + "/." + p.filename().string() + ".tmp-" + RandomSuffix();
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::FromErrno(errno, "create", tmp);
  if (Status st = WriteAll(fd, data.data(), data.size(), tmp); !st.ok()) {
    close(fd);
    unlink(tmp.c_str());
    return st;
  }
  if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return Status::FromErrno(err, "fsync", tmp);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::FromErrno(err, "rename", tmp + " -> " + path);
  }
  return FsyncDir(dir.empty() ? "." : dir);
}

Status MakeDirs(const std::string& path, int mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError("mkdir -p `" + path + "`: " + ec.message());
  (void)mode;
  return Status::OK();
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return Status::IOError("remove `" + path + "`: " + ec.message());
  return Status::OK();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

Result<std::string> ResolveInRoot(const std::string& root, const std::string& path) {
  int rootfd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return Status::FromErrno(errno, "open", root);
  size_t start = path.find_first_not_of('/');
  std::string rel = start == std::string::npos ? "." : path.substr(start);
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, rootfd, rel.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  int err = errno;
  close(rootfd);
  if (fd < 0) {
    if (err == ENOENT || err == ENOTDIR || err == ELOOP)
      return Status::NotFound(path + " not found in " + root);
    return Status::FromErrno(err, "resolve " + path + " in", root);
  }
  char buf[PATH_MAX + 1];
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(proc.c_str(), buf, PATH_MAX);
  err = errno;
  close(fd);
  if (n < 0) return Status::FromErrno(err, "readlink", proc);
  std::string out(buf, static_cast<size_t>(n));
  // Defence in depth: the kernel's answer must lie under the root itself.
  auto real_root = [&]() -> std::string {
    char* r = realpath(root.c_str(), nullptr);
    std::string s = r ? r : root;
    free(r);
    return s;
  }();
  if (out != real_root && out.compare(0, real_root.size() + 1, real_root + "/") != 0 && real_root != "/")
    return Status::PermissionDenied(path + " resolves outside " + root);
  return out;
}

Result<std::string> ResolveContextFile(const std::string& context, const std::string& path) {
  std::string ctx = context.empty() ? "." : context;
  while (ctx.size() > 1 && ctx.back() == '/') ctx.pop_back();
  if (path.compare(0, ctx.size() + 1, ctx + "/") != 0) return path;
  return ResolveInRoot(ctx, path.substr(ctx.size() + 1));
}

Result<std::vector<std::string>> ReadDirSorted(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return Status::FromErrno(errno, "read directory", dir);
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Result<TempDir> TempDir::Create(const std::string& prefix, const std::string& parent) {
  std::string base = parent;
  if (base.empty()) {
    const char* t = getenv("TMPDIR");
    base = t && *t ? t : "/tmp";
  }
  std::string templ = base + "/" + prefix + "-XXXXXX";
  if (!mkdtemp(templ.data())) return Status::FromErrno(errno, "mkdtemp", templ);
  return TempDir(templ);
}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) (void)RemoveAll(path_);
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) (void)RemoveAll(path_);
}

}  // namespace kiln
