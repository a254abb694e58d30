// Read-ahead for a reader that goes through many regular files in a known order
// (a layer tar): once one of its reads has had to wait for the disk, the files
// ahead of it are opened early and the kernel is asked to start reading them into
// the page cache (readahead(2)), so the disk sees many requests at once instead of
// one small read per file. On a cold page cache that is several times faster. On
// a warm one nothing is done beyond the reads themselves: the reads are first
// tried without waiting for the disk (preadv2 RWF_NOWAIT) to tell a miss.
//
// Everything runs on the reader's thread: a file is opened once, early or when
// the reader gets to it. Read-ahead is a hint: failures to open ahead are ignored
// (the reader's own Open then reports them).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"

namespace kiln {

class ReadAhead {
 public:
  struct Limits {
    int64_t bytes = 32 << 20;  // at most this much requested beyond the reader
    size_t files = 128;        // ...and at most this many files open ahead
  };
  struct Target {
    std::string path;   // host path of a regular file; "" = no file data
    int64_t size = 0;   // its size
  };
  // Entries [first, n) in reading order; `target_of(i)` says where entry i's data is.
  ReadAhead(size_t first, size_t n, std::function<Target(size_t)> target_of);
  ReadAhead(size_t first, size_t n, std::function<Target(size_t)> target_of, Limits limits);

  // Entry i's file opened for reading (O_RDONLY, O_NOFOLLOW, O_NONBLOCK,
  // O_CLOEXEC): the descriptor opened ahead when there is one, else opened now.
  // Invalid (-1, errno set) when it cannot be opened. Entries are taken in order.
  Fd Open(size_t i);
  // read(2) of up to `n` bytes at the file offset of `fd`, first tried without
  // waiting for the disk; a read that would wait turns read-ahead on. Returns what
  // read(2) returns (errno set on -1; EINTR retried).
  ssize_t ReadNoWait(int fd, void* buf, size_t n);

  bool active() const { return active_; }
  // Files whose read-ahead was requested.
  size_t requested() const { return requested_; }

 private:
  void FillFrom(size_t i);

  const size_t n_;
  std::function<Target(size_t)> target_of_;
  const Limits limits_;
  bool active_ = false;
  bool probing_ = true;  // no RWF_NOWAIT probes once active (or unsupported)
  struct Opened {
    size_t index;
    int64_t size;
    Fd fd;
  };
  std::deque<Opened> window_;  // opened ahead, in order
  size_t next_ = 0;            // the first entry not yet considered for the window
  int64_t window_bytes_ = 0;
  size_t requested_ = 0;
  ParentDirCache dirs_;
};

// Warms the page cache for files that will be read a little later (an incremental
// COPY's export reads every file of the earlier result again): a thread first
// probes a sample of the files (one read that may not wait for the disk, per
// page); when more than a few pages are out of the page cache, it asks the kernel
// to read every file in (readahead(2), in the given order) until done or
// stopped. On a warm page cache it costs the probes only.
class BackgroundReadAhead {
 public:
  // Files 0..n-1, `path_of(i)` the path of regular file i (opened O_NONBLOCK,
  // O_NOFOLLOW only). `path_of` must stay valid until the destructor returns.
  BackgroundReadAhead(size_t n, std::function<std::string(size_t)> path_of);
  // Stops issuing requests (those issued go on in the kernel) and joins.
  ~BackgroundReadAhead();
  BackgroundReadAhead(const BackgroundReadAhead&) = delete;
  BackgroundReadAhead& operator=(const BackgroundReadAhead&) = delete;

  // For tests: whether the sample found the files cold, once the thread is done.
  bool WasCold();

 private:
  void Run();

  const size_t n_;
  std::function<std::string(size_t)> path_of_;
  std::atomic<bool> stop_{false};
  bool cold_ = false;
  std::thread thread_;
};

}  // namespace kiln
