#include "solver/build_values.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/fs.h"

namespace kiln::solver {

namespace {

Status CopyFile(const std::string& from, const std::string& to, const struct stat& st) {
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::FromErrno(errno, "open", from);
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
  if (out < 0) {
    int e = errno;
    close(in);
    return Status::FromErrno(e, "create", to);
  }
  char buf[1 << 16];
  ssize_t n;
  Status result;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, static_cast<size_t>(n)) != n) {
      result = Status::FromErrno(errno, "write", to);
      break;
    }
  if (n < 0) result = Status::FromErrno(errno, "read", from);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  futimens(out, ts);
  fchmod(out, st.st_mode & 07777);
  close(in);
  close(out);
  return result;
}

// Mirrors `rel` of `src` into `dst` without excluded entries.
Status Mirror(const ContextChecksummer& sum, const std::string& src, const std::string& dst, const std::string& rel) {
  std::string from = rel.empty() ? src : src + "/" + rel;
  std::string to = rel.empty() ? dst : dst + "/" + rel;
  DIR* d = opendir(from.c_str());
  if (!d) return Status::FromErrno(errno, "read directory", from);
  std::vector<std::string> names;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  for (const auto& n : names) {
    std::string crel = rel.empty() ? n : rel + "/" + n;
    std::string f = src + "/" + crel, t = dst + "/" + crel;
    struct stat st;
    if (lstat(f.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // An excluded directory may still hold re-included files: walk it, and
      // keep it only when something inside survives.
      if (mkdir(t.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST) return Status::FromErrno(errno, "mkdir", t);
      RETURN_IF_ERROR(Mirror(sum, src, dst, crel));
      if (sum.Excluded(crel)) rmdir(t.c_str());  // fails (kept) when not empty
      chmod(t.c_str(), st.st_mode & 07777);
      struct timespec ts[2] = {st.st_atim, st.st_mtim};
      utimensat(AT_FDCWD, t.c_str(), ts, AT_SYMLINK_NOFOLLOW);
      continue;
    }
    if (sum.Excluded(crel)) continue;
    if (S_ISREG(st.st_mode)) {
      if (link(f.c_str(), t.c_str()) != 0) RETURN_IF_ERROR(CopyFile(f, t, st));
    } else if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t len = readlink(f.c_str(), buf, sizeof buf);
      if (len < 0) return Status::FromErrno(errno, "readlink", f);
      if (symlink(std::string(buf, static_cast<size_t>(len)).c_str(), t.c_str()) != 0) return Status::FromErrno(errno, "symlink", t);
      struct timespec ts[2] = {st.st_atim, st.st_mtim};
      utimensat(AT_FDCWD, t.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    } else {
      if (mknod(t.c_str(), st.st_mode, st.st_rdev) != 0) return Status::FromErrno(errno, "mknod", t);
    }
  }
  return Status::OK();
}

}  // namespace

LocalValue::~LocalValue() {
  if (!filtered_.empty()) (void)RemoveAll(filtered_);
}

Result<std::string> LocalValue::Dir() const {
  std::lock_guard l(mu_);
  const auto& o = sum_->options();
  if (o.exclude_patterns.empty() && o.include_patterns.empty()) return o.dir;
  if (!filtered_.empty()) return filtered_;
  RETURN_IF_ERROR(MakeDirs(scratch_));
  ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("context-" + name_, scratch_));
  RETURN_IF_ERROR(Mirror(*sum_, o.dir, tmp.path(), ""));
  struct stat st;
  if (stat(o.dir.c_str(), &st) == 0) {
    chmod(tmp.path().c_str(), st.st_mode & 07777);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    utimensat(AT_FDCWD, tmp.path().c_str(), ts, 0);
  }
  filtered_ = tmp.Release();
  return filtered_;
}

}  // namespace kiln::solver
