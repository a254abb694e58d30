#include "cache/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace kiln::cache {

Result<FileLock> FileLock::Lock(const std::string& path, Mode mode, bool block) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "open lock file", path);
  int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | (block ? 0 : LOCK_NB);
  while (flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) return Status::Unavailable("lock `" + path + "` is held by another process");
    return Status::FromErrno(err, "flock", path);
  }
  return FileLock(fd);
}

Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode) { return Lock(path, mode, true); }
Result<FileLock> FileLock::TryAcquire(const std::string& path, Mode mode) { return Lock(path, mode, false); }

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

}  // namespace kiln::cache
