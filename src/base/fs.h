// Small filesystem helpers with errors as Status. Writes are atomic:
// temp file in the same directory, fsync, rename, fsync of the directory.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln {

Result<std::string> ReadFile(const std::string& path);
// An owned file descriptor, closed on destruction (-1 = none).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset();
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens files named by absolute path through a cached descriptor of their parent
// directory: a caller going through a tree in order pays one path walk per
// directory instead of one per file (each *at() call then looks up one name).
class ParentDirCache {
 public:
  // The descriptor (O_PATH) of `path`'s parent directory, and in `base` its last
  // component; -1 with errno set when the directory cannot be opened.
  int Resolve(const std::string& path, std::string* base);

 private:
  std::string dir_;
  Fd fd_;
};

// ReadFile, except that "-" reads standard input to its end.
Result<std::string> ReadFileOrStdin(const std::string& path);
// read(2) of `fd` to its end in chunks of up to `chunk` bytes, each handed to
// `sink` (retrying EINTR; the first sink error stops it); errors name `path`.
Status ReadChunks(int fd, const std::string& path, const std::function<Status(const char*, size_t)>& sink,
                  size_t chunk = 1 << 20);
// Copies the rest of `in` into `out`: a reflink where the filesystem has them,
// else copy_file_range, else read/write. Errors name `src` and `dst`.
Status CopyData(int in, int out, const std::string& src, const std::string& dst);
// write(2) until all `len` bytes are written (retrying EINTR); errors name `path`.
Status WriteAll(int fd, const void* data, size_t len, const std::string& path);
// Atomically replaces `path` with `data` (mode applies to the new file).

Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);
// mkdir -p.
Status MakeDirs(const std::string& path, int mode = 0755);
// rm -rf; a missing path is fine.
Status RemoveAll(const std::string& path);
bool PathExists(const std::string& path);
// The host path of `path` resolved inside `root` as if `root` were "/": every
// symlink (absolute or relative) and ".." stays inside it (openat2 with
// RESOLVE_IN_ROOT), so the result never names a file outside `root`. The
// result has no symlinks left. NotFound when it does not exist inside `root`.
Result<std::string> ResolveInRoot(const std::string& root, const std::string& path);
// A file a build reads from its context (the Dockerfile, .dockerignore):
// `path` resolved inside `context` when it lies under it (lexically), else
// `path` itself (a file the user named outside the context).
Result<std::string> ResolveContextFile(const std::string& context, const std::string& path);
// The names in a directory, without "." and "..", sorted bytewise.
Result<std::vector<std::string>> ReadDirSorted(const std::string& dir);
Status FsyncDir(const std::string& dir);

// A fresh directory under $TMPDIR (or `parent`), removed by the destructor
// unless Release() is called.
class TempDir {
 public:
  static Result<TempDir> Create(const std::string& prefix = "kiln", const std::string& parent = "");
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&& o) noexcept;
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Release() { std::string p = std::move(path_); path_.clear(); return p; }

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

}  // namespace kiln
