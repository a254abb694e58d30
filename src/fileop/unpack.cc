#include "fileop/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "base/xattr_rule.h"
#include "base/fs.h"
#include "fileop/copier.h"
#include "fileop/path.h"

namespace kiln::fileop {
namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

ArchivePtr OpenReader(const std::string& path) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) return ArchivePtr(nullptr, archive_read_free);
  return a;
}

Status ArchiveError(struct archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Status::Corruption(what + ": " + (msg ? msg : "unknown archive error"));
}

struct DirTimes {
  std::string path;
  struct timespec times[2];
};

// Host path of entry `name` under dest: parents resolved inside root, last component not followed.
Result<std::string> EntryPath(const std::string& root, const std::string& dest, const std::string& name) {
  std::string clean = CleanPath("/" + name);
  if (clean == "/") return dest;
  std::string rel_dest = dest.substr(CleanPath(root).size());
  return RootPathNoFollow(root, JoinPath(rel_dest.empty() ? "/" : rel_dest, clean));
}

Status RemoveExisting(const std::string& path, bool keep_dir) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::OK();
  if (S_ISDIR(st.st_mode)) {
    if (keep_dir) return Status::OK();
    return RemoveAll(path);
  }
  if (unlink(path.c_str()) != 0) return Status::FromErrno(errno, "remove", path);
  return Status::OK();
}

Status WriteData(struct archive* a, const std::string& path, const std::string& name) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create", path);
  const void* buf;
  size_t size;
  la_int64_t offset;
  Status st;
  for (;;) {
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) {
      st = ArchiveError(a, "read " + name);
      break;
    }
    const char* p = static_cast<const char*>(buf);
    size_t done = 0;
    while (done < size) {
      ssize_t w = pwrite(fd, p + done, size - done, offset + done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) { st = Status::FromErrno(errno, "write", path); break; }
      done += w;
    }
    if (!st.ok()) break;
  }
  close(fd);
  return st;
}

Status ApplyMetadata(struct archive_entry* e, const std::string& path, bool is_link) {
  if (lchown(path.c_str(), archive_entry_uid(e), archive_entry_gid(e)) != 0) {
    return Status::FromErrno(errno, "chown", path);
  }
  if (!is_link && chmod(path.c_str(), archive_entry_mode(e) & 07777) != 0) {
    return Status::FromErrno(errno, "chmod", path);
  }
  archive_entry_xattr_reset(e);
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!ArchiveXattrAllowed(name)) continue;
    lsetxattr(path.c_str(), name, value, size, 0);  // best effort, as docker's BestEffortXattrs
  }
  return Status::OK();
}

void EntryTimes(struct archive_entry* e, struct timespec ts[2]) {
  ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  ts[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
}

}  // namespace

bool IsArchive(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  ArchivePtr a = OpenReader(path);
  if (!a) return false;
  struct archive_entry* e;
  return archive_read_next_header(a.get(), &e) == ARCHIVE_OK;
}

Status Untar(const std::string& archive_path, const std::string& root, const std::string& dest) {
  ArchivePtr a = OpenReader(archive_path);
  if (!a) return Status::Corruption("open archive " + archive_path);
  std::vector<DirTimes> dirs;
  struct archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return ArchiveError(a.get(), "read archive " + archive_path);
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    ASSIGN_OR_RETURN(std::string path, EntryPath(root, dest, name));
    // The archive's root entry ("./") never touches the existing destination
    // directory (moby's Unpack skips "." when it is a directory already).
    if (path == dest) continue;
    RETURN_IF_ERROR(MkdirAll(DirName(path), 0755, std::nullopt, std::nullopt));
    mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    struct timespec ts[2];
    EntryTimes(e, ts);
    if (hardlink) {
      ASSIGN_OR_RETURN(std::string target, EntryPath(root, dest, hardlink));
      RETURN_IF_ERROR(RemoveExisting(path, false));
      if (link(target.c_str(), path.c_str()) != 0) return Status::FromErrno(errno, "create hard link", path + " => " + target);
      // moby's createTarFile applies the link header's owner, and unless the
      // target is a symlink its mode and times, to the shared inode.
      struct stat tst;
      bool to_symlink = lstat(target.c_str(), &tst) == 0 && S_ISLNK(tst.st_mode);
      RETURN_IF_ERROR(ApplyMetadata(e, path, to_symlink));
      if (!to_symlink && utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
        return Status::FromErrno(errno, "set times of", path);
      continue;
    }
    switch (type) {
      case AE_IFDIR: {
        struct stat st;
        if (lstat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) RETURN_IF_ERROR(RemoveExisting(path, false));
        if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno(errno, "mkdir", path);
        RETURN_IF_ERROR(ApplyMetadata(e, path, false));
        dirs.push_back({path, {ts[0], ts[1]}});
        continue;
      }
      case AE_IFREG:
        RETURN_IF_ERROR(RemoveExisting(path, false));
        RETURN_IF_ERROR(WriteData(a.get(), path, name));
        if (truncate(path.c_str(), archive_entry_size(e)) != 0) return Status::FromErrno(errno, "truncate", path);
        break;
      case AE_IFLNK: {
        RETURN_IF_ERROR(RemoveExisting(path, false));
        const char* target = archive_entry_symlink(e);
        if (symlink(target ? target : "", path.c_str()) != 0) return Status::FromErrno(errno, "create symlink", path);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        RETURN_IF_ERROR(RemoveExisting(path, false));
        if (mknod(path.c_str(), type | (archive_entry_mode(e) & 07777), archive_entry_rdev(e)) != 0) {
          return Status::FromErrno(errno, "create special file", path);
        }
        break;
      default:
        continue;  // sockets and unknown types are skipped, as docker does
    }
    RETURN_IF_ERROR(ApplyMetadata(e, path, type == AE_IFLNK));
    if (utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Status::FromErrno(errno, "set times of", path);
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (utimensat(AT_FDCWD, it->path.c_str(), it->times, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::FromErrno(errno, "set times of", it->path);
    }
  }
  return Status::OK();
}

}  // namespace kiln::fileop
