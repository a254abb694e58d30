// RAII flock(2) on a lock file, for coordinating kiln processes sharing a root.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln::cache {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };
  // Opens (creating) `path` and blocks until the lock is held.
  static Result<FileLock> Acquire(const std::string& path, Mode mode);
  // Like Acquire but fails with Unavailable instead of blocking.
  static Result<FileLock> TryAcquire(const std::string& path, Mode mode);
  FileLock(FileLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  static Result<FileLock> Lock(const std::string& path, Mode mode, bool block);
  int fd_ = -1;
};

}  // namespace kiln::cache
