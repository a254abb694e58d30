#include "cache/gc.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "cache/file_lock.h"
#include "cache/layer_hash.h"
#include "cache/tree_merge.h"

namespace kiln::cache {
namespace {

constexpr int64_t kIngestMaxAge = 24 * 3600;
constexpr int64_t kOrphanDirMaxAge = 3600;
constexpr int64_t kActiveMaxAge = 24 * 3600;

// Digests a manifest or index blob refers to.
std::vector<std::string> Children(const std::string& json) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return out;
  auto add = [&](const nlohmann::json& d) {
    if (d.is_object() && d.contains("digest") && d["digest"].is_string()) out.push_back(d["digest"].get<std::string>());
  };
  if (j.contains("config")) add(j["config"]);
  for (const char* list : {"layers", "manifests", "blobs"})
    if (j.contains(list) && j[list].is_array())
      for (auto& d : j[list]) add(d);
  if (j.contains("subject")) add(j["subject"]);
  return out;
}

int64_t TreeSizeOrZero(const std::string& dir) {
  auto s = TreeSize(dir);
  return s.ok() ? *s : 0;
}

}  // namespace

Result<std::vector<std::string>> GarbageCollector::ImageBlobs() {
  ASSIGN_OR_RETURN(auto images, md_.ListImages());
  std::set<std::string> seen;
  std::vector<std::string> stack;
  for (auto& i : images) stack.push_back(i.target.digest);
  while (!stack.empty()) {
    std::string d = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(d).second || !cs_.Has(d)) continue;
    if (md_.GetLazyBlob(d).ok()) continue;  // a layer; reading it would regenerate it
    auto size = cs_.Size(d);
    if (!size.ok() || *size > (16 << 20)) continue;  // layers are not JSON; skip reading them
    auto data = cs_.Read(d);
    if (!data.ok() || data->empty() || (*data)[0] != '{') continue;
    for (auto& c : Children(*data)) stack.push_back(c);
  }
  return std::vector<std::string>(seen.begin(), seen.end());
}

Result<int64_t> GarbageCollector::RecordSize(const CacheRecord& r) {
  int64_t size = 0;
  if (!r.snapshot.empty()) {
    auto u = sn_.Usage(r.snapshot);
    if (u.ok()) size += *u;
  }
  if (!r.layers.empty()) {
    auto s = cs_.Size(r.layers.back().digest);
    if (s.ok()) size += *s;
  }
  return size;
}

Result<DiskUsage> GarbageCollector::Du() {
  DiskUsage du;
  ASSIGN_OR_RETURN(auto blobs, cs_.List());
  for (auto& b : blobs) {
    auto s = cs_.Size(b);
    if (s.ok()) du.content_bytes += *s;
  }
  ASSIGN_OR_RETURN(auto snaps, sn_.List());
  for (auto& s : snaps) {
    auto u = sn_.Usage(s.key);
    if (u.ok()) du.snapshot_bytes += *u;
  }
  ASSIGN_OR_RETURN(auto image_blobs, ImageBlobs());
  std::set<std::string> in_images(image_blobs.begin(), image_blobs.end());
  std::set<std::string> stored(blobs.begin(), blobs.end());
  for (auto& b : image_blobs) {
    if (!stored.count(b)) {
      // A lazy layer: its snapshot is what the image holds on to.
      if (auto lazy = md_.GetLazyBlob(b); lazy.ok())
        if (auto u = sn_.Usage(lazy->snapshot); u.ok()) du.image_bytes += *u;
      continue;
    }
    auto s = cs_.Size(b);
    if (s.ok()) du.image_bytes += *s;
  }
  ASSIGN_OR_RETURN(auto records, md_.ListCacheRecords());
  for (auto& r : records) {
    UsageEntry e{r.key, r.description, 0, r.created, r.last_used, false};
    ASSIGN_OR_RETURN(e.size, RecordSize(r));
    e.in_image = !r.layers.empty() && in_images.count(r.layers.back().digest);
    du.records.push_back(std::move(e));
  }
  return du;
}

Result<PruneReport> GarbageCollector::Prune(const PruneOptions& opts) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(root_ + "/gc.lock", FileLock::Mode::kExclusive));
  RETURN_IF_ERROR(md_.ExpireLeases());
  PruneReport report;
  if (opts.keep_duration >= 0) {  // Collect() passes -1: no record is deleted
    ASSIGN_OR_RETURN(auto records, md_.ListCacheRecords());  // oldest use first
    ASSIGN_OR_RETURN(auto image_blobs, ImageBlobs());
    std::set<std::string> in_images(image_blobs.begin(), image_blobs.end());
    ASSIGN_OR_RETURN(auto leased, md_.LeasedResources());
    std::set<std::pair<std::string, std::string>> leased_set(leased.begin(), leased.end());
    int64_t usage = 0;
    if (opts.keep_storage > 0) {
      ASSIGN_OR_RETURN(DiskUsage du, Du());
      usage = du.total();
    }
    int64_t now = MetadataStore::Now();
    for (auto& r : records) {
      if (opts.keep_storage > 0 && usage <= opts.keep_storage) break;
      if (opts.keep_duration > 0 && r.last_used > now - opts.keep_duration) continue;
      if (!opts.all && !r.layers.empty() && in_images.count(r.layers.back().digest)) continue;
      if (!r.snapshot.empty() && leased_set.count({"snapshot", r.snapshot})) continue;
      ASSIGN_OR_RETURN(int64_t size, RecordSize(r));
      RETURN_IF_ERROR(md_.DeleteCacheRecord(r.key));
      usage -= size;
      report.cache_records++;
    }
  }
  RETURN_IF_ERROR(Sweep(report));
  return report;
}

Status GarbageCollector::Sweep(PruneReport& report) {
  ASSIGN_OR_RETURN(auto leases, md_.ActiveLeases());
  // Anything created after the oldest live lease began may belong to a running build.
  int64_t protect_after = leases.empty() ? INT64_MAX : leases.front().created - 1;
  ASSIGN_OR_RETURN(auto leased, md_.LeasedResources());
  ASSIGN_OR_RETURN(auto records, md_.ListCacheRecords());
  ASSIGN_OR_RETURN(auto snaps, md_.ListSnapshots());
  std::map<std::string, SnapshotRecord> by_key;
  for (auto& s : snaps) by_key[s.key] = s;

  // Mark snapshots.
  std::set<std::string> live;
  auto mark = [&](std::string key) {
    while (!key.empty() && by_key.count(key) && live.insert(key).second) key = by_key[key].parent;
  };
  for (auto& r : records) mark(r.snapshot);
  // Lazy layer blobs that images or leases use live in their snapshots.
  ASSIGN_OR_RETURN(auto image_blobs, ImageBlobs());
  std::set<std::string> live_blobs(image_blobs.begin(), image_blobs.end());
  for (auto& [kind, ref] : leased)
    if (kind == "content") live_blobs.insert(ref);
  ASSIGN_OR_RETURN(auto lazy, md_.ListLazyBlobs());
  for (auto& b : lazy)
    if (live_blobs.count(b.digest)) mark(b.snapshot);
  for (auto& [kind, ref] : leased)
    if (kind == "snapshot") mark(ref);
  int64_t now = MetadataStore::Now();
  for (auto& s : snaps) {  // builds in progress; actives of crashed builds go after a day
    bool recent_active = s.kind == SnapshotKind::kActive && s.created > now - kActiveMaxAge;
    if (s.created >= protect_after || recent_active) mark(s.key);
  }

  // Sweep snapshots, deepest first so parents lose their children before they go.
  std::sort(snaps.begin(), snaps.end(), [](auto& a, auto& b) { return a.depth > b.depth; });
  for (auto& s : snaps) {
    if (live.count(s.key)) continue;
    auto usage = sn_.Usage(s.key);
    Status st = sn_.Remove(s.key);
    if (!st.ok()) {
      spdlog::warn("prune: cannot remove snapshot `{}`: {}", s.key, st.ToString());
      continue;
    }
    report.snapshots++;
    if (usage.ok()) report.reclaimed += *usage;
  }

  // Mark blobs.
  for (auto& r : records)
    for (auto& l : r.layers) live_blobs.insert(l.digest);
  for (auto& key : live) {
    ASSIGN_OR_RETURN(auto layers, md_.SnapshotLayers(key));
    for (auto& l : layers) live_blobs.insert(l.digest);
  }

  // Sweep blobs.
  ASSIGN_OR_RETURN(auto blobs, cs_.List());
  for (auto& b : blobs) {
    if (live_blobs.count(b)) continue;
    auto mtime = cs_.MTime(b);
    if (!mtime.ok() || *mtime >= protect_after) continue;
    auto size = cs_.Size(b);
    if (cs_.Delete(b).ok()) {
      report.blobs++;
      if (size.ok()) report.reclaimed += *size;
    }
  }

  // Leftovers of killed processes.
  ASSIGN_OR_RETURN(int64_t ingest, cs_.CleanIngest(kIngestMaxAge));
  report.reclaimed += ingest;
  ASSIGN_OR_RETURN(auto after, md_.ListSnapshots());
  std::set<std::string> ids{"empty"};
  for (auto& s : after) {
    ids.insert(s.id);
    if (!s.flat_id.empty()) ids.insert(s.flat_id);
  }
  // Layer indexes (layer_hash.h) of layers no remaining snapshot has.
  {
    std::set<std::string> diff_ids;
    for (auto& s : after) {
      auto layers = md_.SnapshotLayers(s.key);
      if (layers.ok())
        for (auto& l : *layers) diff_ids.insert(std::string(DigestHex(l.diff_id)));
    }
    std::string idir = LayerIndexDir(root_);
    auto names = ReadDirSorted(idir);
    if (names.ok())
      for (auto& n : *names)
        if (!diff_ids.count(n.substr(0, 64))) unlink((idir + "/" + n).c_str());
  }
  std::string dir = root_ + "/snapshots";
  if (DIR* d = opendir(dir.c_str())) {
    std::vector<std::string> orphans;
    time_t now = time(nullptr);
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      struct stat st;
      if (n == "." || n == ".." || ids.count(n) || lstat((dir + "/" + n).c_str(), &st) != 0) continue;
      if (now - st.st_mtim.tv_sec >= kOrphanDirMaxAge) orphans.push_back(n);
    }
    closedir(d);
    for (auto& n : orphans) {
      auto size = TreeSizeOrZero(dir + "/" + n);
      if (RemoveAll(dir + "/" + n).ok()) report.reclaimed += size;
    }
  }
  return Status::OK();
}

Result<int64_t> ParseSize(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
  if (i == 0) return Status::InvalidArgument("size `" + s + "`: expected a number with an optional unit (e.g. 10GB)");
  double n = std::strtod(s.substr(0, i).c_str(), nullptr);
  std::string unit = s.substr(i);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::map<std::string, double> kUnits = {
      {"", 1}, {"b", 1}, {"k", 1e3}, {"kb", 1e3}, {"m", 1e6}, {"mb", 1e6}, {"g", 1e9}, {"gb", 1e9},
      {"t", 1e12}, {"tb", 1e12}, {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0},
      {"tib", 1099511627776.0}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end())
    return Status::InvalidArgument("size `" + s + "`: unknown unit `" + unit + "` (use B, KB, MB, GB, TB, KiB, MiB, GiB)");
  return static_cast<int64_t>(std::llround(n * it->second));
}

Result<int64_t> ParseDuration(const std::string& s) {
  if (s.empty()) return Status::InvalidArgument("empty duration: expected e.g. 24h, 30m, 7d");
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++;
    if (start == i || i == s.size())
      return Status::InvalidArgument("duration `" + s + "`: expected numbers with units s, m, h or d (e.g. 1h30m)");
    int64_t n = std::stoll(s.substr(start, i - start));
    switch (s[i++]) {
      case 's': total += n; break;
      case 'm': total += n * 60; break;
      case 'h': total += n * 3600; break;
      case 'd': total += n * 86400; break;
      default:
        return Status::InvalidArgument("duration `" + s + "`: unknown unit `" + std::string(1, s[i - 1]) +
                                       "` (use s, m, h or d)");
    }
  }
  return total;
}

std::string FormatSize(int64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) v /= 1000, u++;
  char buf[32];
  if (u == 0) snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(bytes));
  else snprintf(buf, sizeof buf, "%.3g%s", v, kUnits[u]);
  return buf;
}

}  // namespace kiln::cache
