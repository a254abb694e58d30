#include "base/read_ahead.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kiln {
namespace {

constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

}  // namespace

ReadAhead::ReadAhead(size_t first, size_t n, std::function<Target(size_t)> target_of)
    : ReadAhead(first, n, std::move(target_of), Limits{}) {}

ReadAhead::ReadAhead(size_t first, size_t n, std::function<Target(size_t)> target_of, Limits limits)
    : n_(n), target_of_(std::move(target_of)), limits_(limits), next_(first) {}

Fd ReadAhead::Open(size_t i) {
  while (!window_.empty() && window_.front().index < i) {
    window_bytes_ -= window_.front().size;
    window_.pop_front();
  }
  Fd fd;
  if (!window_.empty() && window_.front().index == i) {
    fd = std::move(window_.front().fd);
    window_bytes_ -= window_.front().size;
    window_.pop_front();
  }
  if (next_ <= i) next_ = i + 1;
  if (fd.get() < 0) {
    std::string path = target_of_(i).path, base;
    int dfd = dirs_.Resolve(path, &base);
    fd = Fd(dfd < 0 ? -1 : openat(dfd, base.c_str(), kOpenFlags));
  }
  if (active_) {
    int saved = errno;
    FillFrom(i + 1);
    errno = saved;
  }
  return fd;
}

void ReadAhead::FillFrom(size_t i) {
  if (next_ < i) next_ = i;
  while (next_ < n_ && window_.size() < limits_.files && window_bytes_ < limits_.bytes) {
    size_t k = next_++;
    Target t = target_of_(k);
    if (t.path.empty() || t.size <= 0) continue;
    std::string base;
    int dfd = dirs_.Resolve(t.path, &base);
    if (dfd < 0) continue;
    Fd fd(openat(dfd, base.c_str(), kOpenFlags));
    if (fd.get() < 0) continue;
    int64_t want = std::min<int64_t>(t.size, limits_.bytes);
    (void)readahead(fd.get(), 0, static_cast<size_t>(want));
    requested_++;
    window_bytes_ += want;
    window_.push_back({k, want, std::move(fd)});
  }
}

ssize_t ReadAhead::ReadNoWait(int fd, void* buf, size_t n) {
  if (probing_) {
    struct iovec iov = {buf, n};
    ssize_t r;
    do r = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
    while (r < 0 && errno == EINTR);
    if (r >= 0) return r;
    if (errno != EAGAIN && errno != EOPNOTSUPP && errno != EINVAL) return r;
    // The data is not in the page cache (or the kernel cannot tell): read ahead
    // from now on.
    probing_ = false;
    active_ = true;
    FillFrom(next_);
  }
  ssize_t r;
  do r = read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

BackgroundReadAhead::BackgroundReadAhead(size_t n, std::function<std::string(size_t)> path_of)
    : n_(n), path_of_(std::move(path_of)) {
  if (n_ > 0) thread_ = std::thread([this] { Run(); });
}

BackgroundReadAhead::~BackgroundReadAhead() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool BackgroundReadAhead::WasCold() {
  if (thread_.joinable()) thread_.join();
  return cold_;
}

void BackgroundReadAhead::Run() {
  // File i opened, with its size; an invalid Fd when it is not a regular file.
  auto open_file = [&](size_t i, off_t* size) {
    Fd fd(open(path_of_(i).c_str(), kOpenFlags));
    struct stat st;
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return Fd();
    *size = st.st_size;
    return fd;
  };
  // The sample: up to 64 files spread over the list, every page of each.
  constexpr size_t kSample = 64;
  size_t step = std::max<size_t>(1, n_ / kSample), pages = 0, missing = 0;
  char byte;
  off_t size = 0;
  for (size_t i = 0; i < n_ && !stop_; i += step) {
    Fd fd = open_file(i, &size);
    if (fd.get() < 0) continue;
    for (off_t off = 0; off < size && off < (1 << 20); off += 4096) {
      struct iovec iov = {&byte, 1};
      pages++;
      if (preadv2(fd.get(), &iov, 1, off, RWF_NOWAIT) < 0) missing++;
    }
  }
  // Under 2% missing: the reader's own read-ahead handles the odd miss.
  cold_ = pages > 0 && missing * 50 > pages;
  if (!cold_) return;
  for (size_t i = 0; i < n_ && !stop_; i++) {
    Fd fd = open_file(i, &size);
    if (fd.get() >= 0) (void)readahead(fd.get(), 0, static_cast<size_t>(size));
  }
}

}  // namespace kiln
