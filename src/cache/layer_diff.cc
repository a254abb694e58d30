#include "cache/layer_diff.h"
#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include <oneapi/tbb/parallel_for.h>

namespace kiln::cache {
namespace {

std::string Join(const std::string& rel, const std::string& name) { return rel.empty() ? name : rel + "/" + name; }

bool IsOpaque(const std::string& p) {
  char v[4];
  return lgetxattr(p.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

Change Entry(const std::string& path, const std::string& abs, const struct stat& st) {
  Change c{Change::Kind::kEntry, path, abs};
  c.has_stat = true;
  c.st = st;
  return c;
}

Status WalkUpper(const std::string& root, const std::string& rel, std::vector<Change>& out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  ASSIGN_OR_RETURN(auto names, ReadDirSorted(dir));
  // Entries are stat'ed relative to their directory: one path walk per directory.
  Fd dfd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return Status::FromErrno(errno, "open", dir);
  // This directory's entries, and where each subdirectory's walk goes in them.
  std::vector<Change> mine;
  std::vector<std::pair<size_t, std::string>> subdirs;  // (insert after mine[i], rel path)
  for (const auto& n : names) {
    std::string path = Join(rel, n);
    std::string abs = root + "/" + path;
    struct stat st;
    if (fstatat(dfd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Status::FromErrno(errno, "stat", abs);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      mine.push_back({Change::Kind::kWhiteout, path, ""});
      continue;
    }
    if (S_ISSOCK(st.st_mode)) continue;
    mine.push_back(Entry(path, abs, st));
    if (S_ISDIR(st.st_mode)) {
      if (IsOpaque(abs)) mine.push_back({Change::Kind::kOpaque, path, ""});
      subdirs.emplace_back(mine.size(), path);
    }
  }
  // Subdirectories are walked in parallel (the walk is a syscall per entry) and
  // spliced back in tar order.
  std::vector<std::vector<Change>> below(subdirs.size());
  std::vector<Status> errs(subdirs.size());
  if (subdirs.size() > 1) {
    tbb::parallel_for(size_t(0), subdirs.size(), [&](size_t i) { errs[i] = WalkUpper(root, subdirs[i].second, below[i]); });
  } else if (subdirs.size() == 1) {
    errs[0] = WalkUpper(root, subdirs[0].second, below[0]);
  }
  for (auto& e : errs) RETURN_IF_ERROR(e);
  size_t next = 0;
  for (size_t i = 0; i < subdirs.size(); i++) {
    for (; next < subdirs[i].first; next++) out.push_back(std::move(mine[next]));
    for (auto& c : below[i]) out.push_back(std::move(c));
  }
  for (; next < mine.size(); next++) out.push_back(std::move(mine[next]));
  return Status::OK();
}

// Xattrs as a sorted map (for comparison).
std::map<std::string, std::string> Xattrs(const std::string& p) {
  std::map<std::string, std::string> out;
  ssize_t len = llistxattr(p.c_str(), nullptr, 0);
  if (len <= 0) return out;
  std::string names(static_cast<size_t>(len), '\0');
  len = llistxattr(p.c_str(), names.data(), names.size());
  for (ssize_t i = 0; i < len;) {
    std::string name(names.c_str() + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    ssize_t vlen = lgetxattr(p.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string v(static_cast<size_t>(vlen), '\0');
    vlen = lgetxattr(p.c_str(), name.c_str(), v.data(), v.size());
    if (vlen >= 0) out[name] = v.substr(0, static_cast<size_t>(vlen));
  }
  return out;
}

std::string LinkTarget(const std::string& p) {
  char buf[4096];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// Same file as far as a layer can tell (containerd's sameFile, without content reads).
bool Same(const std::string& a, const struct stat& sa, const std::string& b, const struct stat& sb) {
  if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT) || sa.st_mode != sb.st_mode || sa.st_uid != sb.st_uid ||
      sa.st_gid != sb.st_gid)
    return false;
  if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) {
    if (sa.st_rdev != sb.st_rdev) return false;
  }
  if (!S_ISDIR(sa.st_mode)) {
    if (sa.st_size != sb.st_size || sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
        sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
      return false;
  } else if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec) {
    return false;
  }
  if (S_ISLNK(sa.st_mode) && LinkTarget(a) != LinkTarget(b)) return false;
  return Xattrs(a) == Xattrs(b);
}

// Appends everything under upper/rel (rel itself already emitted).
Status AddAll(const std::string& upper, const std::string& rel, std::vector<Change>& out) {
  ASSIGN_OR_RETURN(auto names, ReadDirSorted(upper + "/" + rel));
  for (const auto& n : names) {
    std::string path = Join(rel, n);
    std::string abs = upper + "/" + path;
    struct stat st;
    if (lstat(abs.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", abs);
    if (S_ISSOCK(st.st_mode)) continue;
    out.push_back(Entry(path, abs, st));
    if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(AddAll(upper, path, out));
  }
  return Status::OK();
}

// Compares directory rel in both trees; appends changes below it. Returns whether
// anything below changed.
Result<bool> Compare(const std::string& lower, const std::string& upper, const std::string& rel,
                     std::vector<Change>& out) {
  std::string ldir = rel.empty() ? lower : lower + "/" + rel;
  std::string udir = rel.empty() ? upper : upper + "/" + rel;
  ASSIGN_OR_RETURN(auto lnames, ReadDirSorted(ldir));
  ASSIGN_OR_RETURN(auto unames, ReadDirSorted(udir));
  // Merge the two sorted name lists; deletions and entries interleave in name order.
  bool changed = false;
  size_t i = 0, j = 0;
  while (i < lnames.size() || j < unames.size()) {
    bool take_l = j >= unames.size() || (i < lnames.size() && lnames[i] < unames[j]);
    bool take_u = i >= lnames.size() || (j < unames.size() && unames[j] < lnames[i]);
    if (take_l) {
      out.push_back({Change::Kind::kWhiteout, Join(rel, lnames[i++]), ""});
      changed = true;
      continue;
    }
    std::string name = take_u ? unames[j] : unames[j];
    std::string path = Join(rel, name);
    std::string ua = upper + "/" + path;
    struct stat us;
    if (lstat(ua.c_str(), &us) != 0) return Status::FromErrno(errno, "stat", ua);
    if (S_ISSOCK(us.st_mode)) {
      j++;
      if (!take_u) i++;
      continue;
    }
    if (take_u) {
      j++;
      out.push_back(Entry(path, ua, us));
      if (S_ISDIR(us.st_mode)) RETURN_IF_ERROR(AddAll(upper, path, out));
      changed = true;
      continue;
    }
    i++, j++;
    std::string la = lower + "/" + path;
    struct stat ls;
    if (lstat(la.c_str(), &ls) != 0) return Status::FromErrno(errno, "stat", la);
    bool same = Same(la, ls, ua, us);
    if (S_ISDIR(us.st_mode) && S_ISDIR(ls.st_mode)) {
      size_t at = out.size();
      out.push_back(Entry(path, ua, us));
      ASSIGN_OR_RETURN(bool below, Compare(lower, upper, path, out));
      if (same && !below) out.erase(out.begin() + static_cast<std::ptrdiff_t>(at));
      else changed = true;
    } else if (!same) {
      out.push_back(Entry(path, ua, us));
      if (S_ISDIR(us.st_mode)) RETURN_IF_ERROR(AddAll(upper, path, out));
      changed = true;
    }
  }
  return changed;
}

}  // namespace

Result<std::vector<Change>> DiffOverlayUpper(const std::string& upper) {
  std::vector<Change> out;
  RETURN_IF_ERROR(WalkUpper(upper, "", out));
  return out;
}

Result<std::vector<Change>> DiffDirectories(const std::string& lower, const std::string& upper) {
  std::vector<Change> out;
  if (lower.empty()) {
    RETURN_IF_ERROR(AddAll(upper, "", out));
    return out;
  }
  RETURN_IF_ERROR(Compare(lower, upper, "", out).status());
  return out;
}

}  // namespace kiln::cache
