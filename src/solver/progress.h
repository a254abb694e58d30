// Build progress: the scheduler (and the CLI, for its own steps such as
// loading the Dockerfile or exporting) reports events per vertex; a
// ProgressSink shows them. Printers: progress_printer.h.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::solver {

using Clock = std::chrono::steady_clock;

struct ProgressEvent {
  enum class Kind {
    kStarted,    // the vertex began work
    kCached,     // the vertex was satisfied from the cache
    kLog,        // output bytes (data)
    kDone,       // finished successfully
    kError,      // failed (data: the error message)
    kCancelled,  // stopped because another vertex failed
  };
  Kind kind = Kind::kStarted;
  std::string vertex;  // an op digest, or a name the CLI chose ("internal:load")
  std::string name;    // "[build 2/4] RUN make"; empty vertices are not shown
  std::string data;
  Clock::time_point time = Clock::now();
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Thread-safe: called from the scheduler's workers.
  virtual void Event(const ProgressEvent& ev) = 0;
  // No more events; flush and stop any display thread.
  virtual void Close() {}
};

// Discards everything.
class NullProgress : public ProgressSink {
 public:
  void Event(const ProgressEvent&) override {}
};

// Keeps the last `max_lines` complete lines of a byte stream (plus any
// unfinished last line). Not thread-safe.
class LineTail {
 public:
  explicit LineTail(size_t max_lines = 10) : max_(max_lines) {}
  void Append(std::string_view data);
  std::vector<std::string> Lines() const;  // oldest first

 private:
  size_t max_;
  std::deque<std::string> lines_;
  std::string partial_;
};

}  // namespace kiln::solver
