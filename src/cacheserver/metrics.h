// The cache server's counters, rendered as Prometheus text for GET /metrics
// (docs/CACHE_SERVER.md, "Operations").
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace kiln::cacheserver {

class Metrics {
 public:
  void CountRequest(const std::string& method, int status);
  // A manifest or blob lookup (GET/HEAD, or one tag of a batch lookup).
  void CountLookup(bool manifest, bool hit);
  void AddBytesIn(int64_t n) { bytes_in_ += n; }
  void AddBytesOut(int64_t n) { bytes_out_ += n; }

  struct Gauges {
    int64_t store_bytes = 0;
    int64_t evictions = 0;
    int64_t uploads_in_flight = 0;
  };
  // Prometheus text exposition format 0.0.4.
  std::string Render(const Gauges& g);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;  // (method, status) -> count
  std::atomic<int64_t> hits_[2] = {0, 0};                    // [blob, manifest]
  std::atomic<int64_t> misses_[2] = {0, 0};
  std::atomic<int64_t> bytes_in_{0}, bytes_out_{0};
};

}  // namespace kiln::cacheserver
