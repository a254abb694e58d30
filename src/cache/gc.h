// Garbage collection and disk usage of kiln's root: `kiln prune` and `kiln du`.
//
// Roots (never collected): named images (their manifest/index and everything it
// references, walked through the content store), cache records (their snapshot,
// its ancestors, their layer blobs), resources of unexpired leases, and every blob
// or snapshot created after the oldest unexpired lease began (a build in progress
// holds a lease). Prune first deletes cache records as options say, then sweeps
// whatever no root reaches: snapshots (children first), blobs, stale ingest files
// and orphaned snapshot directories. One prune runs at a time (flock ROOT/gc.lock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

struct PruneOptions {
  // false: cache records whose result is part of a named image are kept;
  // true: every cache record may go.
  bool all = false;
  int64_t keep_storage = 0;   // bytes; > 0: stop once usage is at most this
  int64_t keep_duration = 0;  // seconds; > 0: keep records used more recently
};

struct PruneReport {
  int64_t reclaimed = 0;  // bytes
  int cache_records = 0;
  int snapshots = 0;
  int blobs = 0;
};

struct UsageEntry {
  std::string key;  // cache key
  std::string description;
  int64_t size = 0;  // own snapshot layer + own layer blob (approximate exclusive size)
  int64_t created = 0;
  int64_t last_used = 0;
  bool in_image = false;  // its result is a layer of a named image
};

struct DiskUsage {
  std::vector<UsageEntry> records;  // oldest use first
  int64_t content_bytes = 0;        // all blobs
  int64_t snapshot_bytes = 0;       // all snapshot directories
  int64_t image_bytes = 0;          // blobs reachable from named images (for a lazy layer: its snapshot)
  int64_t total() const { return content_bytes + snapshot_bytes; }
  int64_t reclaimable() const { return total() - image_bytes; }
};

class GarbageCollector {
 public:
  GarbageCollector(std::string root, MetadataStore& md, ContentStore& cs, Snapshotter& sn)
      : root_(std::move(root)), md_(md), cs_(cs), sn_(sn) {}
  Result<PruneReport> Prune(const PruneOptions& opts);
  // Sweeps only what nothing references (no cache record is deleted).
  Result<PruneReport> Collect() { return Prune(PruneOptions{false, 0, -1}); }
  Result<DiskUsage> Du();

 private:
  Result<std::vector<std::string>> ImageBlobs();
  Status Sweep(PruneReport& report);
  Result<int64_t> RecordSize(const CacheRecord& r);

  std::string root_;
  MetadataStore& md_;
  ContentStore& cs_;
  Snapshotter& sn_;
};

// "10GB", "512MiB", "1.5g", "100" (bytes) -> bytes; InvalidArgument otherwise.
Result<int64_t> ParseSize(const std::string& s);
// "24h", "30m", "7d", "90s", "1h30m" -> seconds; InvalidArgument otherwise.
Result<int64_t> ParseDuration(const std::string& s);
// 1536 -> "1.5kB" (decimal units, as docker prints sizes).
std::string FormatSize(int64_t bytes);

}  // namespace kiln::cache
