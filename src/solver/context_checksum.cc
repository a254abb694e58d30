#include "solver/context_checksum.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cerrno>
#include <sstream>

#include <oneapi/tbb/parallel_for.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/path.h"

namespace kiln::solver {

namespace {

int64_t Ns(const struct timespec& ts) { return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Ns(ts);
}

char TypeChar(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return 'f';
    case S_IFDIR: return 'd';
    case S_IFLNK: return 'l';
    case S_IFCHR: return 'c';
    case S_IFBLK: return 'b';
    case S_IFIFO: return 'p';
    case S_IFSOCK: return 's';
  }
  return '?';
}

std::string Hex(std::string_view s) {
  static const char* k = "0123456789abcdef";
  std::string o;
  for (unsigned char c : s) {
    o.push_back(k[c >> 4]);
    o.push_back(k[c & 15]);
  }
  return o;
}

Result<std::string> ReadXattrs(const std::string& path) {
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP || errno == ENODATA) return std::string();
    return Status::FromErrno(errno, "list xattrs of", path);
  }
  if (n == 0) return std::string();
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) return Status::FromErrno(errno, "list xattrs of", path);
  names.resize(static_cast<size_t>(n));
  std::vector<std::string> lines;
  for (size_t p = 0; p < names.size();) {
    std::string name(names.c_str() + p);
    p += name.size() + 1;
    if (name.empty()) continue;
    ssize_t vn = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) continue;  // vanished meanwhile
    std::string v(static_cast<size_t>(vn), '\0');
    vn = lgetxattr(path.c_str(), name.c_str(), v.data(), v.size());
    if (vn < 0) continue;
    v.resize(static_cast<size_t>(vn));
    lines.push_back(name + "=" + Hex(v) + "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines) out += l;
  return out;
}

std::string Join(const std::string& base, const std::string& name) {
  return base.empty() || base == "." ? name : base + "/" + name;
}

// Context filters are relative to the context root, which they cannot leave:
// "/x", "../x" and "!/x" name "x" (and "!x").
std::vector<std::string> ContextRelative(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const std::string& raw : patterns) {
    size_t b = raw.find_first_not_of(" \t\r\n\v\f");
    if (b == std::string::npos) continue;
    std::string p = raw.substr(b, raw.find_last_not_of(" \t\r\n\v\f") - b + 1);
    if (p == "!") out.push_back(p);  // Create reports it
    else if (p[0] == '!') out.push_back("!" + CleanRelPath(p.substr(1)));
    else out.push_back(CleanRelPath(p));
  }
  return out;
}

// Whether a selector needs wildcard expansion (a backslash escape counts).
bool HasWildcard(const std::string& s) { return s.find_first_of("*?[\\") != std::string::npos; }

}  // namespace

bool ContextChecksummer::Entry::Same(const struct stat& st) const {
  return ino == st.st_ino && size == static_cast<uint64_t>(st.st_size) && mtime_ns == Ns(st.st_mtim) &&
         ctime_ns == Ns(st.st_ctim) && mode == st.st_mode && uid == st.st_uid && gid == st.st_gid;
}

Result<std::unique_ptr<ContextChecksummer>> ContextChecksummer::Open(ContextOptions opts) {
  std::unique_ptr<ContextChecksummer> c(new ContextChecksummer(std::move(opts)));
  struct stat st;
  if (stat(c->opts_.dir.c_str(), &st) != 0) return Status::FromErrno(errno, "open build context", c->opts_.dir);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("build context `" + c->opts_.dir + "` is not a directory");
  auto ex = PatternMatcher::Create(ContextRelative(c->opts_.exclude_patterns));
  if (!ex.ok()) return ex.status().WithContext("exclude patterns of the build context");
  c->excludes_ = std::move(ex).value();
  auto in = PatternMatcher::Create(ContextRelative(c->opts_.include_patterns));
  if (!in.ok()) return in.status().WithContext("include patterns of the build context");
  c->includes_ = std::move(in).value();
  c->loader_ = std::thread([raw = c.get()] { (void)raw->LoadCache(); });  // a cache: errors start afresh
  return c;
}

ContextChecksummer::~ContextChecksummer() { WaitLoaded(); }

void ContextChecksummer::WaitLoaded() {
  std::call_once(loaded_, [this] {
    if (loader_.joinable()) loader_.join();
  });
}

bool ContextChecksummer::Excluded(const std::string& rel) const {
  if (rel.empty() || rel == ".") return false;
  if (excludes_.Matches(rel)) return true;
  return !includes_.empty() && !includes_.Matches(rel);
}

// Stat cache format: a header line "kiln-statcache 1\n", then per entry ten
// NUL-terminated fields: path, ino, size, mtime_ns, ctime_ns, mode, uid, gid,
// hash, link, xattrs (xattrs last, may hold newlines).
Status ContextChecksummer::LoadCache() {
  if (opts_.stat_cache_file.empty() || !PathExists(opts_.stat_cache_file)) return Status::OK();
  auto t0 = std::chrono::steady_clock::now();
  struct Log {
    std::chrono::steady_clock::time_point t0;
    std::unordered_map<std::string, Entry>* c;
    ~Log() {
      spdlog::debug("stat cache: {} entries loaded in {:.1f} ms", c->size(),
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  } log{t0, &cache_};
  auto data = ReadFile(opts_.stat_cache_file);
  if (!data.ok()) return Status::OK();  // a cache: start afresh
  const std::string header = "kiln-statcache 1\n";
  if (data->rfind(header, 0) != 0) return Status::OK();
  size_t p = header.size();
  std::string_view d = *data;
  auto field = [&](std::string_view& out) {
    size_t e = d.find('\0', p);
    if (e == std::string_view::npos) return false;
    out = d.substr(p, e - p);
    p = e + 1;
    return true;
  };
  auto num = [](std::string_view f, auto& out) {
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
    return ec == std::errc() && ptr == f.data() + f.size();
  };
  std::string_view f[11];
  cache_.reserve(d.size() / 120);
  while (p < d.size()) {
    bool ok = true;
    for (auto& x : f) ok = ok && field(x);
    if (!ok) break;
    Entry e;
    if (!num(f[1], e.ino) || !num(f[2], e.size) || !num(f[3], e.mtime_ns) || !num(f[4], e.ctime_ns) ||
        !num(f[5], e.mode) || !num(f[6], e.uid) || !num(f[7], e.gid)) {
      cache_.clear();
      return Status::OK();
    }
    e.hash = f[8];
    e.link = f[9];
    e.xattrs = f[10];
    cache_.emplace(std::string(f[0]), std::move(e));
  }
  return Status::OK();
}

Status ContextChecksummer::Save() {
  WaitLoaded();
  std::lock_guard l(mu_);
  if (opts_.stat_cache_file.empty() || !dirty_) return Status::OK();
  std::string out = "kiln-statcache 1\n";
  for (const auto& [path, e] : cache_) {
    for (const std::string& x :
         {path, std::to_string(e.ino), std::to_string(e.size), std::to_string(e.mtime_ns), std::to_string(e.ctime_ns),
          std::to_string(e.mode), std::to_string(e.uid), std::to_string(e.gid), e.hash, e.link, e.xattrs}) {
      out += x;
      out.push_back('\0');
    }
  }
  auto slash = opts_.stat_cache_file.rfind('/');
  if (slash != std::string::npos) RETURN_IF_ERROR(MakeDirs(opts_.stat_cache_file.substr(0, slash)));
  RETURN_IF_ERROR(WriteFileAtomic(opts_.stat_cache_file, out, 0600));
  dirty_ = false;
  return Status::OK();
}

std::optional<struct stat> ContextChecksummer::LastStat(const std::string& rel) {
  std::lock_guard l(mu_);
  auto it = last_picked_.find(rel);
  if (it == last_picked_.end()) return std::nullopt;
  return it->second.st;
}

std::optional<std::string> ContextChecksummer::FileDigest(const std::string& rel, const struct stat* st) {
  WaitLoaded();
  std::lock_guard l(mu_);
  auto it = cache_.find(rel);
  if (it == cache_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (!e.checked || !S_ISREG(e.mode) || e.hash.empty()) return std::nullopt;
  if (st && (e.ino != st->st_ino || e.size != static_cast<uint64_t>(st->st_size) || e.mtime_ns != Ns(st->st_mtim)))
    return std::nullopt;
  if (e.xattrs.empty()) return e.hash;
  return Sha256Hex(e.hash + '\0' + e.xattrs);
}

Status ContextChecksummer::Add(const std::string& rel, const struct stat& st, std::map<std::string, Collected>& out) {
  WaitLoaded();
  auto [it, inserted] = out.try_emplace(rel);
  if (!inserted) return Status::OK();
  Collected& c = it->second;
  c.st = st;
  Entry& e = cache_[rel];
  c.entry = &e;
  c.stale = !e.Same(st) || (S_ISREG(st.st_mode) && e.hash.empty());
  return Status::OK();
}

Status ContextChecksummer::Walk(const std::string& rel, std::map<std::string, Collected>& out) {
  std::vector<std::pair<std::string, struct stat>> found;
  RETURN_IF_ERROR(Gather(rel, found));
  for (const auto& [child, st] : found) RETURN_IF_ERROR(Add(child, st, out));
  return Status::OK();
}

// The lstat calls dominate a walk over an unchanged context: subdirectories are
// listed in parallel (the filters are read-only; the results are added by Walk).
Status ContextChecksummer::Gather(const std::string& rel, std::vector<std::pair<std::string, struct stat>>& found) const {
  std::string path = opts_.dir + "/" + rel;
  DIR* d = opendir(path.c_str());
  if (!d) return Status::FromErrno(errno, "read directory", path);
  std::vector<std::string> names;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  // Children are stat'ed by name in the open directory (one path walk per directory).
  struct Closer {
    DIR* d;
    ~Closer() { closedir(d); }
  } closer{d};
  std::vector<std::string> subdirs;
  for (const auto& n : names) {
    std::string child = Join(rel, n);
    struct stat st;
    if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while walking
      return Status::FromErrno(errno, "lstat", opts_.dir + "/" + child);
    }
    bool excluded = excludes_.Matches(child);
    if (S_ISDIR(st.st_mode)) {
      if (excluded && !excludes_.MayReinclude(child)) continue;
      if (!excluded) found.emplace_back(child, st);
      subdirs.push_back(std::move(child));
    } else if (!Excluded(child)) {
      found.emplace_back(std::move(child), st);
    }
  }
  if (subdirs.empty()) return Status::OK();
  std::vector<std::vector<std::pair<std::string, struct stat>>> below(subdirs.size());
  std::vector<Status> errs(subdirs.size());
  tbb::parallel_for(size_t(0), subdirs.size(), [&](size_t i) { errs[i] = Gather(subdirs[i], below[i]); });
  for (const auto& e : errs) RETURN_IF_ERROR(e);
  for (auto& b : below)
    for (auto& x : b) found.push_back(std::move(x));
  return Status::OK();
}

// Wildcard selectors: expands parts[i..] below `base` element by element.
Status ContextChecksummer::Expand(const std::string& base, const std::vector<std::string>& parts, size_t i,
                                  std::map<std::string, Collected>& out) {
  if (i == parts.size()) return Select(base, out, 0);
  if (!HasWildcard(parts[i])) return Expand(Join(base, parts[i]), parts, i + 1, out);
  std::string path = opts_.dir + "/" + base;
  DIR* d = opendir(path.c_str());
  if (!d) return Status::OK();  // not a directory: nothing matches
  ASSIGN_OR_RETURN(auto m, PatternMatcher::Create({parts[i]}));
  std::vector<std::string> hits;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != ".." && m.Matches(n)) hits.push_back(n);
  }
  closedir(d);
  for (const auto& n : hits) RETURN_IF_ERROR(Expand(Join(base, n), parts, i + 1, out));
  return Status::OK();
}

Status ContextChecksummer::Select(const std::string& selector, std::map<std::string, Collected>& out, int depth) {
  std::string rel = CleanRelPath(selector);
  if (rel == ".") {
    struct stat st;
    if (lstat(opts_.dir.c_str(), &st) != 0) return Status::FromErrno(errno, "lstat", opts_.dir);
    RETURN_IF_ERROR(Add(".", st, out));
    return Walk(".", out);
  }
  if (HasWildcard(rel)) {
    std::vector<std::string> parts;
    std::stringstream ss(rel);
    for (std::string p; std::getline(ss, p, '/');) parts.push_back(p);
    return Expand(".", parts, 0, out);
  }
  if (Excluded(rel)) return Status::OK();
  struct stat st;
  std::string path = opts_.dir + "/" + rel;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return Status::FromErrno(errno, "lstat", path);
    out.try_emplace("\x01missing:" + rel);  // absence is part of the key
    return Status::OK();
  }
  RETURN_IF_ERROR(Add(rel, st, out));
  if (S_ISDIR(st.st_mode)) return Walk(rel, out);
  if (S_ISLNK(st.st_mode) && depth < 40) {
    // COPY follows a top-level symlink: key on its target too (inside the context).
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    if (n > 0) {
      std::string target(buf, static_cast<size_t>(n));
      std::string dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
      std::string next = target[0] == '/' ? target : (dir.empty() ? target : dir + "/" + target);
      return Select(next, out, depth + 1);
    }
  }
  return Status::OK();
}

Result<std::string> ContextChecksummer::Checksum(const std::vector<std::string>& selectors) {
  std::lock_guard l(mu_);
  auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, Collected> picked;
  if (selectors.empty()) RETURN_IF_ERROR(Select("/", picked, 0));
  for (const auto& s : selectors) RETURN_IF_ERROR(Select(s, picked, 0));
  auto t1 = std::chrono::steady_clock::now();

  // Refresh stale entries; file contents are hashed in parallel.
  std::vector<std::pair<const std::string*, Collected*>> stale;
  for (auto& [rel, c] : picked)
    if (c.entry && c.stale) stale.emplace_back(&rel, &c);
  std::vector<Status> errs(stale.size());
  const int64_t now = NowNs();
  tbb::parallel_for(size_t(0), stale.size(), [&](size_t i) {
    const std::string& rel = *stale[i].first;
    Collected& c = *stale[i].second;
    Entry& e = *c.entry;
    std::string path = opts_.dir + "/" + rel;
    e = Entry{};
    e.ino = c.st.st_ino;
    e.size = static_cast<uint64_t>(c.st.st_size);
    e.mtime_ns = Ns(c.st.st_mtim);
    e.ctime_ns = Ns(c.st.st_ctim);
    e.mode = c.st.st_mode;
    e.uid = c.st.st_uid;
    e.gid = c.st.st_gid;
    auto x = ReadXattrs(path);
    if (!x.ok()) {
      errs[i] = x.status();
      return;
    }
    e.xattrs = std::move(x).value();
    if (S_ISLNK(c.st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(path.c_str(), buf, sizeof buf);
      if (n < 0) {
        errs[i] = Status::FromErrno(errno, "readlink", path);
        return;
      }
      e.link.assign(buf, static_cast<size_t>(n));
    } else if (S_ISREG(c.st.st_mode)) {
      auto h = Sha256File(path);
      if (!h.ok()) {
        errs[i] = h.status();
        return;
      }
      e.hash = std::string(DigestHex(*h));
    }
    // A file changed in the last moments may change again within the same
    // timestamp tick: do not trust its stat next time.
    if (now - e.mtime_ns < 50'000'000) e.ctime_ns = -1;
  });
  for (auto& st : errs) RETURN_IF_ERROR(st);
  files_hashed_ += std::count_if(stale.begin(), stale.end(), [](auto& p) { return S_ISREG(p.second->st.st_mode); });
  if (!stale.empty()) dirty_ = true;

  for (auto& [rel, c] : picked)
    if (c.entry) c.entry->checked = true;

  // The records go to the hash in large chunks (one Update per entry costs more
  // than the hashing itself for small records).
  Sha256 sum;
  std::string rec;
  rec.reserve(1 << 17);
  auto num = [&rec](uint64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    rec.append(buf, end);
  };
  for (const auto& [rel, c] : picked) {
    rec += rel;
    rec.push_back('\0');
    if (!c.entry) {
      rec += "missing\n";
    } else {
      const Entry& e = *c.entry;
      rec.push_back(TypeChar(c.st.st_mode));
      rec.push_back('\0');
      num(e.mode & 07777);
      rec.push_back('\0');
      num(e.uid);
      rec.push_back('\0');
      num(e.gid);
      rec.push_back('\0');
      if (S_ISREG(c.st.st_mode)) num(e.size);
      rec.push_back('\0');
      if (S_ISCHR(c.st.st_mode) || S_ISBLK(c.st.st_mode)) num(c.st.st_rdev);
      rec += e.link;
      rec.push_back('\0');
      rec += e.xattrs;
      rec.push_back('\0');
      rec += e.hash;
      rec.push_back('\n');
    }
    if (rec.size() >= (1 << 16)) {
      sum.Update(rec);
      rec.clear();
    }
  }
  sum.Update(rec);
  auto t2 = std::chrono::steady_clock::now();
  spdlog::debug("context {}: {} entries, {} re-read; walk {:.1f} ms, hash {:.1f} ms", opts_.dir, picked.size(),
                stale.size(), std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
  last_picked_ = std::move(picked);  // for LastStat
  return sum.Digest();
}

}  // namespace kiln::solver
