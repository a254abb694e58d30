#include "solver/copy_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <unordered_set>

#include <oneapi/tbb/parallel_for.h>

#include "base/digest.h"
#include "base/fs.h"
#include "fileop/copier.h"

namespace kiln::solver {
namespace {

const char kHeader[] = "kiln-copyindex 1\n";

std::string Parent(const std::string& rel) {
  size_t s = rel.rfind('/');
  return s == std::string::npos ? std::string() : rel.substr(0, s);
}

}  // namespace

std::string CopyIndexPath(const std::string& root, const std::string& similar_key) {
  return root + "/copyindex/" + Sha256Hex(similar_key).substr(0, 40);
}

// Format: the header line, the snapshot and parent keys each on a line, then per
// file three NUL-terminated fields: dest, src, digest.
Result<CopyIndex> ReadCopyIndex(const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) {
    if (!PathExists(path)) return Status::NotFound("no copy index " + path);
    return data.status();
  }
  const std::string& d = *data;
  auto bad = [&] { return Status::Corruption("copy index " + path + " is malformed"); };
  if (d.rfind(kHeader, 0) != 0) return bad();
  size_t p = sizeof kHeader - 1;
  CopyIndex idx;
  for (std::string* line : {&idx.snapshot, &idx.parent}) {
    size_t e = d.find('\n', p);
    if (e == std::string::npos) return bad();
    line->assign(d, p, e - p);
    p = e + 1;
  }
  while (p < d.size()) {
    CopyIndex::File f;
    for (std::string* field : {&f.dest, &f.src, &f.digest}) {
      size_t e = d.find('\0', p);
      if (e == std::string::npos) return bad();
      field->assign(d, p, e - p);
      p = e + 1;
    }
    idx.files.push_back(std::move(f));
  }
  return idx;
}

Status WriteCopyIndex(const std::string& path, const CopyIndex& index) {
  std::string out = kHeader;
  out += index.snapshot + "\n" + index.parent + "\n";
  for (const auto& f : index.files) {
    for (const std::string* field : {&f.dest, &f.src, &f.digest}) {
      out += *field;
      out.push_back('\0');
    }
  }
  RETURN_IF_ERROR(MakeDirs(Parent(path)));
  return WriteFileAtomic(path, out, 0600);
}

Result<UpperClone> UpperClone::Clone(const CopyIndex& prev, const std::string& prev_upper, const std::string& upper,
                                     const std::function<std::optional<std::string>(const std::string&)>& digest_of) {
  UpperClone c;
  c.upper_ = upper;
  std::unordered_set<std::string> made{""};  // directories present in `upper`
  struct DirTimes {
    std::string path;
    struct timespec times[2];
  };
  std::vector<DirTimes> times;
  // Recreates directory `rel` (and its parents) as it is in prev_upper.
  std::function<Result<bool>(const std::string&)> make_dir = [&](const std::string& rel) -> Result<bool> {
    if (made.count(rel)) return true;
    ASSIGN_OR_RETURN(bool parent_ok, make_dir(Parent(rel)));
    if (!parent_ok) return false;
    std::string from = prev_upper + "/" + rel, to = upper + "/" + rel;
    struct stat st;
    if (lstat(from.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    if (mkdir(to.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "mkdir", to);
    if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) return Status::FromErrno(errno, "chown", to);
    if (chmod(to.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "chmod", to);
    fileop::CopyXattrs(from, to);  // trusted.overlay.opaque among them
    times.push_back({to, {st.st_atim, st.st_mtim}});
    made.insert(rel);
    c.dirs_.push_back(rel);
    return true;
  };
  // Directories first (one thread), then the links, a directory per task (links
  // into one directory serialize on its lock anyway).
  std::vector<std::vector<const CopyIndex::File*>> groups;
  std::unordered_map<std::string, size_t> group_of;
  for (const auto& f : prev.files) {
    if (f.dest.empty() || f.dest[0] == '/' || ("/" + f.dest + "/").find("/../") != std::string::npos) continue;
    auto d = digest_of(f.src);
    if (!d || *d != f.digest) continue;
    std::string dir = Parent(f.dest);
    auto [it, fresh] = group_of.try_emplace(dir, groups.size());
    if (fresh) {
      ASSIGN_OR_RETURN(bool dir_ok, make_dir(dir));
      groups.emplace_back();
      if (!dir_ok) continue;  // an empty group: nothing of it is linked
    }
    if (made.count(dir)) groups[it->second].push_back(&f);
  }
  std::vector<std::vector<std::pair<const CopyIndex::File*, struct stat>>> linked(groups.size());
  std::vector<Status> errs(groups.size());
  tbb::parallel_for(size_t(0), groups.size(), [&](size_t g) {
    if (groups[g].empty()) return;
    // Names looked up in the two open directories: one path walk per directory.
    std::string dir = Parent(groups[g].front()->dest);
    std::string from_dir = dir.empty() ? prev_upper : prev_upper + "/" + dir;
    std::string to_dir = dir.empty() ? upper : upper + "/" + dir;
    Fd from_fd(open(from_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (from_fd.get() < 0) return;  // gone from the earlier result: nothing to link
    Fd to_fd(open(to_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (to_fd.get() < 0) {
      errs[g] = Status::FromErrno(errno, "open", to_dir);
      return;
    }
    for (const CopyIndex::File* f : groups[g]) {
      const char* name = f->dest.c_str() + (dir.empty() ? 0 : dir.size() + 1);
      struct stat st;
      if (fstatat(from_fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
      if (linkat(from_fd.get(), name, to_fd.get(), name, 0) != 0) {
        if (errno == ENOENT || errno == EEXIST) continue;
        errs[g] = Status::FromErrno(errno, "create hard link", upper + "/" + f->dest + " => " + prev_upper + "/" + f->dest);
        return;
      }
      linked[g].emplace_back(f, st);
    }
  });
  for (auto& e : errs) RETURN_IF_ERROR(e);
  for (auto& g : linked)
    for (auto& [f, st] : g) c.files_.emplace(f->dest, Cloned{f->digest, st});
  // Linking changed the directories' times; restore them (children first does not
  // matter: setting a directory's times leaves its parent's alone).
  for (const auto& t : times)
    if (utimensat(AT_FDCWD, t.path.c_str(), t.times, AT_SYMLINK_NOFOLLOW) != 0)
      return Status::FromErrno(errno, "set times of", t.path);
  return c;
}

Status UpperClone::Prune(const std::unordered_set<std::string>& visited) {
  std::vector<std::string> files;
  for (const auto& [rel, cloned] : files_) {
    if (visited.count(rel)) continue;
    struct stat st;
    std::string p = upper_ + "/" + rel;
    // Gone (the copy removed a directory holding it) or replaced: not ours to remove.
    if (lstat(p.c_str(), &st) != 0 || st.st_ino != cloned.st.st_ino) continue;
    files.push_back(p);
  }
  std::vector<std::string> dirs;
  for (const auto& rel : dirs_)
    if (!visited.count(rel)) dirs.push_back(upper_ + "/" + rel);
  if (files.empty() && dirs.empty()) return Status::OK();
  // Deepest first, so a directory emptied of its subdirectories goes too.
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    auto da = std::count(a.begin(), a.end(), '/'), db = std::count(b.begin(), b.end(), '/');
    return da != db ? da > db : a > b;
  });
  // The times of every directory that may change, taken before anything changes.
  std::map<std::string, std::pair<struct timespec, struct timespec>> saved;
  auto save = [&](const std::string& path) {
    std::string dir = path.substr(0, path.rfind('/'));
    if (saved.count(dir)) return;
    struct stat st;
    if (lstat(dir.c_str(), &st) == 0) saved[dir] = {st.st_atim, st.st_mtim};
  };
  for (const auto& f : files) save(f);
  for (const auto& d : dirs) save(d);
  for (const auto& f : files)
    if (unlink(f.c_str()) != 0 && errno != ENOENT) return Status::FromErrno(errno, "remove", f);
  for (const auto& d : dirs) {
    if (rmdir(d.c_str()) == 0) continue;
    if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) return Status::FromErrno(errno, "remove", d);
  }
  for (const auto& [dir, t] : saved) {
    struct timespec ts[2] = {t.first, t.second};
    (void)utimensat(AT_FDCWD, dir.c_str(), ts, AT_SYMLINK_NOFOLLOW);  // may itself be gone
  }
  return Status::OK();
}

}  // namespace kiln::solver
