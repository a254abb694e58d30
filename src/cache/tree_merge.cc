#include "cache/tree_merge.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <vector>

#include "base/fs.h"

namespace kiln::cache {
namespace {

Status Errno(const std::string& op, const std::string& path) { return Status::FromErrno(errno, op, path); }

Status CopyFileData(const std::string& src, const std::string& dst, mode_t mode) {
  Fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (in.get() < 0) return Errno("open", src);
  Fd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 0777));
  if (out.get() < 0) return Errno("create", dst);
  return CopyData(in.get(), out.get(), src, dst);
}

// Owner, mode (after chown, which clears setuid), times.
Status ApplyMetadata(const std::string& src, const std::string& dst, const struct stat& st) {
  if (lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) return Errno("chown", dst);
  RETURN_IF_ERROR(CopyXattrs(src, dst));
  if (!S_ISLNK(st.st_mode) && chmod(dst.c_str(), st.st_mode & 07777) != 0) return Errno("chmod", dst);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (utimensat(AT_FDCWD, dst.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Errno("set times of", dst);
  return Status::OK();
}

class Merger {
 public:
  explicit Merger(bool whiteouts) : whiteouts_(whiteouts) {}

  Status MergeDir(const std::string& src, const std::string& dst) {
    ASSIGN_OR_RETURN(auto names, ReadDirSorted(src));
    for (const auto& n : names) RETURN_IF_ERROR(MergeEntry(src + "/" + n, dst + "/" + n));
    return Status::OK();
  }

 private:
  Status MergeEntry(const std::string& s, const std::string& d) {
    struct stat st;
    if (lstat(s.c_str(), &st) != 0) return Errno("stat", s);
    if (whiteouts_ && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return RemoveAll(d);
    struct stat dt;
    bool exists = lstat(d.c_str(), &dt) == 0;
    if (S_ISDIR(st.st_mode)) {
      bool opaque = whiteouts_ && IsOpaque(s);
      if (exists && (!S_ISDIR(dt.st_mode) || opaque)) {
        RETURN_IF_ERROR(RemoveAll(d));
        exists = false;
      }
      if (!exists && mkdir(d.c_str(), 0700) != 0) return Errno("mkdir", d);
      RETURN_IF_ERROR(MergeDir(s, d));
      return ApplyMetadata(s, d, st);  // after children, so the dir mtime sticks
    }
    if (exists) RETURN_IF_ERROR(RemoveAll(d));
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
      auto it = links_.find({st.st_dev, st.st_ino});
      if (it != links_.end()) {
        if (link(it->second.c_str(), d.c_str()) != 0) return Errno("link " + it->second + " to", d);
        return Status::OK();
      }
      links_[{st.st_dev, st.st_ino}] = d;
    }
    if (S_ISREG(st.st_mode)) {
      RETURN_IF_ERROR(CopyFileData(s, d, st.st_mode));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(s.c_str(), target.data(), target.size());
      if (n < 0) return Errno("readlink", s);
      target.resize(static_cast<size_t>(n));
      if (symlink(target.c_str(), d.c_str()) != 0) return Errno("symlink", d);
    } else if (mknod(d.c_str(), st.st_mode, st.st_rdev) != 0) {
      return Errno("mknod", d);
    }
    return ApplyMetadata(s, d, st);
  }

  static bool IsOpaque(const std::string& p) {
    char v[4];
    ssize_t n = lgetxattr(p.c_str(), "trusted.overlay.opaque", v, sizeof v);
    return n == 1 && v[0] == 'y';
  }

  bool whiteouts_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Status CopyXattrs(const std::string& src, const std::string& dst) {
  ssize_t len = llistxattr(src.c_str(), nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP) return Status::OK();
    return Errno("list xattrs of", src);
  }
  if (len == 0) return Status::OK();
  std::string names(static_cast<size_t>(len), '\0');
  len = llistxattr(src.c_str(), names.data(), names.size());
  if (len < 0) return Errno("list xattrs of", src);
  for (size_t i = 0; i < static_cast<size_t>(len);) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (name.rfind("trusted.overlay.", 0) == 0) continue;
    ssize_t vlen = lgetxattr(src.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) return Errno("get xattr " + name + " of", src);
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = lgetxattr(src.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) return Errno("get xattr " + name + " of", src);
    if (lsetxattr(dst.c_str(), name.c_str(), value.data(), static_cast<size_t>(vlen), 0) != 0)
      return Errno("set xattr " + name + " on", dst);
  }
  return Status::OK();
}

Status MergeTree(const std::string& src, const std::string& dst, bool interpret_whiteouts) {
  struct stat st;
  if (lstat(src.c_str(), &st) != 0) return Errno("stat", src);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("merge source `" + src + "` is not a directory");
  RETURN_IF_ERROR(MakeDirs(dst));
  Merger m(interpret_whiteouts);
  RETURN_IF_ERROR(m.MergeDir(src, dst));
  return ApplyMetadata(src, dst, st);
}

Result<int64_t> TreeSize(const std::string& dir) {
  int64_t total = 0;
  std::vector<std::string> stack{dir};
  while (!stack.empty()) {
    std::string d = std::move(stack.back());
    stack.pop_back();
    ASSIGN_OR_RETURN(auto names, ReadDirSorted(d));
    for (auto& n : names) {
      std::string p = d + "/" + n;
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) return Errno("stat", p);
      if (S_ISDIR(st.st_mode)) {
        stack.push_back(p);
      } else if (S_ISREG(st.st_mode)) {
        total += st.st_nlink > 1 ? st.st_size / static_cast<int64_t>(st.st_nlink) : st.st_size;
      }
    }
  }
  return total;
}

}  // namespace kiln::cache
