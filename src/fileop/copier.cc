#include "fileop/copier.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fs.h"
#include "fileop/path.h"

namespace kiln::fileop {
namespace {

}  // namespace

Status SetTimes(const std::string& path, int64_t seconds) {
  struct timespec ts[2] = {{seconds, 0}, {seconds, 0}};
  if (utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::FromErrno(errno, "set times of", path);
  }
  return Status::OK();
}

Status MkdirAll(const std::string& path, mode_t mode, const std::optional<Owner>& owner,
                const std::optional<int64_t>& timestamp) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::OK();
    return Status::FromErrno(ENOTDIR, "mkdir", path);
  }
  std::string parent = DirName(path);
  if (parent != path && parent != "/" && parent != ".") RETURN_IF_ERROR(MkdirAll(parent, mode, owner, timestamp));
  if (mkdir(path.c_str(), mode) != 0) {
    if (errno == EEXIST && lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return Status::FromErrno(errno, "mkdir", path);
  }
  if (chmod(path.c_str(), mode) != 0) return Status::FromErrno(errno, "chmod", path);
  if (owner && lchown(path.c_str(), owner->uid, owner->gid) != 0) return Status::FromErrno(errno, "chown", path);
  if (timestamp) RETURN_IF_ERROR(SetTimes(path, *timestamp));
  return Status::OK();
}

Status CopyFileData(const std::string& src, const std::string& dst) {
  Fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (in.get() < 0) return Status::FromErrno(errno, "open", src);
  Fd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (out.get() < 0) return Status::FromErrno(errno, "create", dst);
  return CopyData(in.get(), out.get(), src, dst);
}

void CopyXattrs(const std::string& src, const std::string& dst) {
  ssize_t len = llistxattr(src.c_str(), nullptr, 0);
  if (len <= 0) return;
  std::string names(len, '\0');
  len = llistxattr(src.c_str(), names.data(), names.size());
  if (len <= 0) return;
  names.resize(len);
  for (size_t i = 0; i < names.size();) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    ssize_t vlen = lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string value(vlen, '\0');
    vlen = lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    lsetxattr(dst.c_str(), name.c_str(), value.data(), vlen, 0);
  }
}

Status Copier::CopyTop(const std::string& src, const std::string& src_name, const std::string& dest,
                       bool copy_dir_contents) {
  ASSIGN_OR_RETURN(std::string target, PrepareTarget(src, src_name, dest, copy_dir_contents));
  return CopyEntry(src, "", target, false, opts_.include_patterns.empty());
}

Result<std::string> Copier::PrepareTarget(const std::string& src, const std::string& src_name,
                                          const std::string& dest, bool copy_dir_contents) {
  struct stat sst, dst;
  if (lstat(src.c_str(), &sst) != 0) return Status::FromErrno(errno, "stat", src_name);
  bool dest_exists = stat(dest.c_str(), &dst) == 0;
  if (!dest_exists && errno != ENOENT && errno != ENOTDIR) {
    return Status::FromErrno(errno, "stat destination", dest);
  }
  bool src_dir = S_ISDIR(sst.st_mode);
  std::string target = dest;
  if ((!copy_dir_contents && src_dir && dest_exists) || (!src_dir && dest_exists && S_ISDIR(dst.st_mode))) {
    target = JoinPath(dest, BaseName(src_name));
  }
  std::string mk = DirName(target);
  if (copy_dir_contents && src_dir && !dest_exists) mk = target;
  RETURN_IF_ERROR(MkdirAll(mk, 0755, opts_.chown, opts_.timestamp));
  return target;
}

Status Copier::CopyEntry(const std::string& src, const std::string& rel, const std::string& target,
                         bool overwrite_meta, bool skip_include) {
  struct stat st;
  std::optional<struct stat> known;
  if (opts_.hooks && opts_.hooks->source_stat) known = opts_.hooks->source_stat(src);
  if (known) {
    st = *known;
  } else {
    std::string base;  // looked up by name in its (cached) directory: one path walk per directory
    int dfd = src_dirs_.Resolve(src, &base);
    if ((dfd >= 0 ? fstatat(dfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) : lstat(src.c_str(), &st)) != 0)
      return Status::FromErrno(errno, "stat", src);
  }
  bool is_dir = S_ISDIR(st.st_mode);
  bool include = false;
  if (!rel.empty()) {
    if (!skip_include) {
      IncludeResult r = IncludeMatch(opts_.include_patterns, rel, is_dir);
      if (!r.matched) return Status::OK();
      include = true;
      skip_include = !r.partial;
    }
    if (!opts_.exclude.empty() && opts_.exclude.Matches(rel)) {
      if (!(is_dir && opts_.exclude.HasExclusions() && opts_.exclude.HasExclusionBelow(rel))) return Status::OK();
    }
  }
  if (!is_dir) {
    if (include) RETURN_IF_ERROR(CreateParentDirs(src, rel, target, overwrite_meta));
    if (S_ISREG(st.st_mode) && opts_.hooks && opts_.hooks->existing_copy) {
      ASSIGN_OR_RETURN(bool kept, KeepExisting(src, st, target));
      if (kept) {
        Done(src, st, target);
        return Status::OK();
      }
    }
    RETURN_IF_ERROR(EnsureEmptyFileTarget(target));
  } else if (skip_include) {
    RETURN_IF_ERROR(CreateParentDirs(src, rel, target, overwrite_meta));
  }

  bool copy_info = true;
  if (is_dir) {
    ASSIGN_OR_RETURN(bool created, CopyDirectory(src, rel, target, st, overwrite_meta, skip_include));
    if (!overwrite_meta || !skip_include) copy_info = created;
  } else if (S_ISREG(st.st_mode)) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    auto it = st.st_nlink > 1 ? inodes_.find(key) : inodes_.end();
    if (it != inodes_.end()) {
      if (link(it->second.c_str(), target.c_str()) != 0) {
        return Status::FromErrno(errno, "create hard link", target + " => " + it->second);
      }
      Done(src, st, target);
      return Status::OK();  // shares the first copy's metadata
    }
    RETURN_IF_ERROR(CopyFileData(src, target));
    if (st.st_nlink > 1) inodes_[key] = target;
  } else if (S_ISLNK(st.st_mode)) {
    std::string link_target(st.st_size + 1, '\0');
    ssize_t n = readlink(src.c_str(), link_target.data(), link_target.size());
    if (n < 0) return Status::FromErrno(errno, "read link", src);
    link_target.resize(n);
    if (symlink(link_target.c_str(), target.c_str()) != 0) return Status::FromErrno(errno, "create symlink", target);
  } else {
    if (mknod(target.c_str(), st.st_mode, st.st_rdev) != 0) return Status::FromErrno(errno, "create special file", target);
  }
  if (copy_info) RETURN_IF_ERROR(CopyFileInfo(st, src, target));
  Done(src, st, target);
  return Status::OK();
}

Result<bool> Copier::KeepExisting(const std::string& src, const struct stat& st, const std::string& target) {
  std::optional<struct stat> existing = opts_.hooks->existing_copy(src, st, target);
  if (!existing || !S_ISREG(existing->st_mode)) return false;
  const struct stat& tst = *existing;
  auto src_key = std::make_pair(st.st_dev, st.st_ino);
  auto dst_key = std::make_pair(tst.st_dev, tst.st_ino);
  // Hard links: a second name of a source inode must be a link to its first copy.
  if (st.st_nlink > 1 && inodes_.count(src_key)) {
    auto it = kept_first_.find(src_key);
    return it != kept_first_.end() && it->second == tst.st_ino;
  }
  // ...and an inode kept for one source must not stand for another.
  if (auto it = opts_.hooks->kept.find(dst_key); it != opts_.hooks->kept.end()) {
    if (it->second.first != serial_ || it->second.second != src_key) return false;
  }
  // The metadata CopyFileInfo would give.
  auto [uid, gid] = TargetOwner(st);
  mode_t mode = opts_.mode.Apply(st.st_mode & 07777, false);
  struct timespec mtime = st.st_mtim;
  if (opts_.timestamp) mtime = {static_cast<time_t>(*opts_.timestamp), 0};
  if (tst.st_uid != uid || tst.st_gid != gid || (tst.st_mode & 07777) != mode ||
      tst.st_mtim.tv_sec != mtime.tv_sec || tst.st_mtim.tv_nsec != mtime.tv_nsec)
    return false;
  opts_.hooks->kept[dst_key] = {serial_, src_key};
  if (st.st_nlink > 1) {
    inodes_[src_key] = target;
    kept_first_[src_key] = tst.st_ino;
  }
  return true;
}

Result<bool> Copier::CopyDirectory(const std::string& src, const std::string& rel, const std::string& target,
                                   const struct stat& st, bool overwrite_meta, bool skip_include) {
  bool created = false;
  if (skip_include) {
    ASSIGN_OR_RETURN(created, CopyDirectoryOnly(target, st, overwrite_meta));
  }
  ASSIGN_OR_RETURN(auto names, ReadDirSorted(src));
  for (const auto& name : names) {
    RETURN_IF_ERROR(CopyEntry(src + "/" + name, rel.empty() ? name : rel + "/" + name, target + "/" + name, true,
                              skip_include));
  }
  return created;
}

Result<bool> Copier::CopyDirectoryOnly(const std::string& target, const struct stat& st, bool overwrite_meta) {
  struct stat dst;
  if (lstat(target.c_str(), &dst) != 0) {
    if (errno != ENOENT) return Status::FromErrno(errno, "stat", target);
    if (mkdir(target.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "mkdir", target);
    return true;
  }
  if (!S_ISDIR(dst.st_mode)) {
    if (!opts_.replace_existing) {
      return Status::FailedPrecondition("cannot copy to non-directory: " + target);
    }
    if (unlink(target.c_str()) != 0) return Status::FromErrno(errno, "remove", target);
    if (mkdir(target.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "mkdir", target);
    return true;
  }
  if (overwrite_meta && chmod(target.c_str(), st.st_mode & 07777) != 0) return Status::FromErrno(errno, "chmod", target);
  return false;
}

Status Copier::CreateParentDirs(const std::string& src, const std::string& rel, const std::string& target,
                                bool overwrite_meta) {
  if (opts_.include_patterns.empty()) return Status::OK();
  size_t count = std::count(rel.begin(), rel.end(), '/');
  std::vector<std::string> srcs{src}, targets{target};
  for (size_t i = 0; i < count; ++i) {
    srcs.push_back(DirName(srcs.back()));
    targets.push_back(DirName(targets.back()));
  }
  for (size_t i = count; i > 0; --i) {
    struct stat st;
    if (stat(srcs[i].c_str(), &st) != 0) return Status::FromErrno(errno, "stat", srcs[i]);
    if (!S_ISDIR(st.st_mode)) return Status::FailedPrecondition(srcs[i] + " is not a directory");
    ASSIGN_OR_RETURN(bool created, CopyDirectoryOnly(targets[i], st, overwrite_meta));
    if (created) RETURN_IF_ERROR(CopyFileInfo(st, srcs[i], targets[i]));
  }
  return Status::OK();
}

Status Copier::EnsureEmptyFileTarget(const std::string& target) {
  struct stat st;
  if (lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::FromErrno(errno, "stat", target);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!opts_.replace_existing) return Status::FailedPrecondition("cannot replace directory " + target + " with a file");
    return RemoveAll(target);
  }
  if (unlink(target.c_str()) != 0) return Status::FromErrno(errno, "remove", target);
  return Status::OK();
}

std::pair<uid_t, gid_t> Copier::TargetOwner(const struct stat& st) const {
  if (opts_.chown) return {opts_.chown->uid, opts_.chown->gid};
  if (opts_.reset_owner) return {0, 0};
  return {st.st_uid, st.st_gid};
}

Status Copier::CopyFileInfo(const struct stat& st, const std::string& src, const std::string& target) {
  auto [uid, gid] = TargetOwner(st);
  if (lchown(target.c_str(), uid, gid) != 0) return Status::FromErrno(errno, "chown", target);
  if (!S_ISLNK(st.st_mode)) {
    mode_t m = opts_.mode.Apply(st.st_mode & 07777, S_ISDIR(st.st_mode));
    if (chmod(target.c_str(), m) != 0) return Status::FromErrno(errno, "chmod", target);
  }
  CopyXattrs(src, target);
  if (opts_.timestamp) return SetTimes(target, *opts_.timestamp);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (utimensat(AT_FDCWD, target.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::FromErrno(errno, "set times of", target);
  }
  return Status::OK();
}

}  // namespace kiln::fileop
