#include "cache/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <vector>

#include "base/xattr_rule.h"
#include "base/fs.h"
#include "cache/layer_decompress.h"

namespace kiln::cache {
namespace {

constexpr size_t kMaxPath = 4096;

struct ReadState {
  LayerDecompressor* in;
  std::vector<char> buf = std::vector<char>(1 << 17);
  Status status;
};

la_ssize_t ReadCallback(archive*, void* client, const void** out) {
  auto* s = static_cast<ReadState*>(client);
  auto n = s->in->Read(s->buf.data(), s->buf.size());
  if (!n.ok()) {
    s->status = n.status();
    return -1;
  }
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

// Splits an archive name into clean components, rejecting escapes.
Result<std::vector<std::string>> CleanName(const std::string& raw, const std::string& what) {
  if (raw.size() > kMaxPath) return Status::InvalidArgument(what + " name is " + std::to_string(raw.size()) + " bytes long (limit 4096)");
  if (!raw.empty() && raw[0] == '/')
    return Status::InvalidArgument(what + " `" + raw + "` is an absolute path");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    if (slash == std::string::npos) slash = raw.size();
    std::string c = raw.substr(start, slash - start);
    start = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") return Status::InvalidArgument(what + " `" + raw + "` contains `..`");
    parts.push_back(c);
  }
  return parts;
}

std::string JoinParts(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += (i ? "/" : "") + parts[i];
  return s;
}

class Applier {
 public:
  Applier(std::string dst, WhiteoutMode mode) : dst_(std::move(dst)), mode_(mode) {}

  Status Open() {
    root_ = Fd(open(dst_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root_.get() < 0) return Status::FromErrno(errno, "open directory", dst_);
    return Status::OK();
  }

  Status Entry(archive* a, archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    auto parts_or = CleanName(name, "layer entry");
    if (!parts_or.ok()) return parts_or.status();
    auto parts = std::move(*parts_or);
    if (parts.empty()) return Status::OK();  // "./" itself
    std::string base = parts.back();
    std::string rel = JoinParts(parts, parts.size());
    std::string where = "layer entry `" + name + "`";
    ASSIGN_OR_RETURN(Fd parent, OpenParent(parts, true, where));
    if (base == ".wh..wh..opq") return Opaque(JoinParts(parts, parts.size() - 1), parent.get(), where);
    if (base.rfind(".wh..wh.", 0) == 0) return Status::OK();  // aufs metadata: ignored, as containerd does
    if (base.rfind(".wh.", 0) == 0) return Whiteout(parent.get(), base.substr(4), parts, where);
    written_.insert(rel);
    return Create(a, e, parent.get(), base, rel, where);
  }

  // Directory times last: creating children changes them.
  Status Finish() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      struct timespec ts[2] = {it->second, it->second};
      if (utimensat(root_.get(), it->first.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
        return Status::FromErrno(errno, "set times of", dst_ + "/" + it->first);
    }
    return Status::OK();
  }

 private:
  // Opens the directory holding the last component, walking without following
  // symlinks; missing parents are created (0755) when `create`.
  Result<Fd> OpenParent(const std::vector<std::string>& parts, bool create, const std::string& where) {
    Fd cur(dup(root_.get()));
    for (size_t i = 0; i + 1 < parts.size(); i++) {
      int fd = openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST)
          return Status::FromErrno(errno, "mkdir", dst_ + "/" + JoinParts(parts, i + 1));
        fd = openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) {
        int err = errno;
        struct stat st;
        std::string p = JoinParts(parts, i + 1);
        if (fstatat(cur.get(), parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          return Status::InvalidArgument(where + " is below `" + p + "`, which is a symlink: refusing to follow it");
        if (err == ENOTDIR) return Status::InvalidArgument(where + " is below `" + p + "`, which is not a directory");
        return Status::FromErrno(err, "open directory", dst_ + "/" + p);
      }
      cur = Fd(fd);
    }
    return cur;
  }

  Status RemovePath(int parent, const std::string& base, const std::string& rel) {
    if (unlinkat(parent, base.c_str(), 0) == 0 || errno == ENOENT) return Status::OK();
    if (errno != EISDIR && errno != EPERM) return Status::FromErrno(errno, "remove", dst_ + "/" + rel);
    return RemoveAll(dst_ + "/" + rel);  // parents were checked: no symlink on the way
  }

  Status Whiteout(int parent, const std::string& name, const std::vector<std::string>& parts, const std::string& where) {
    if (name.empty() || name == "." || name == "..") return Status::InvalidArgument(where + " is a malformed whiteout");
    std::string dir = JoinParts(parts, parts.size() - 1);
    std::string rel = dir.empty() ? name : dir + "/" + name;
    RETURN_IF_ERROR(RemovePath(parent, name, rel));
    if (mode_ == WhiteoutMode::kOverlay && mknodat(parent, name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      return Status::FromErrno(errno, "create whiteout", dst_ + "/" + rel);
    return Status::OK();
  }

  Status Opaque(const std::string& dir, int parent, const std::string& where) {
    std::string abs = dir.empty() ? dst_ : dst_ + "/" + dir;
    if (mode_ == WhiteoutMode::kOverlay) {
      if (lsetxattr(abs.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return Status::FromErrno(errno, "mark opaque", abs);
      return Status::OK();
    }
    DIR* d = fdopendir(dup(parent));
    if (!d) return Status::FromErrno(errno, "open directory", abs);
    std::vector<std::string> names;
    while (struct dirent* ent = readdir(d)) {
      std::string n = ent->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    for (auto& n : names) {
      std::string rel = dir.empty() ? n : dir + "/" + n;
      if (!written_.count(rel)) RETURN_IF_ERROR(RemovePath(parent, n, rel));
    }
    return Status::OK();
  }

  Status Create(archive* a, archive_entry* e, int parent, const std::string& base, const std::string& rel,
                const std::string& where) {
    mode_t mode = archive_entry_mode(e);
    const char* hardlink = archive_entry_hardlink(e);
    struct stat old;
    bool exists = fstatat(parent, base.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    bool is_dir = !hardlink && S_ISDIR(mode);
    if (exists && !(is_dir && S_ISDIR(old.st_mode))) RETURN_IF_ERROR(RemovePath(parent, base, rel));
    std::string abs = dst_ + "/" + rel;
    if (hardlink) return Link(parent, base, hardlink, where);
    switch (mode & S_IFMT) {
      case S_IFDIR:
        if (!exists || !S_ISDIR(old.st_mode)) {
          if (mkdirat(parent, base.c_str(), 0700) != 0) return Status::FromErrno(errno, "mkdir", abs);
        }
        break;
      case S_IFREG:
        RETURN_IF_ERROR(WriteFile(a, parent, base, abs, archive_entry_size(e)));
        break;
      case S_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (symlinkat(target ? target : "", parent, base.c_str()) != 0) return Status::FromErrno(errno, "symlink", abs);
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO:
        if (mknodat(parent, base.c_str(), mode & (S_IFMT | 0777), archive_entry_rdev(e)) != 0)
          return Status::FromErrno(errno, "mknod", abs);
        break;
      default:
        return Status::InvalidArgument(where + " has an unsupported file type");
    }
    return Metadata(e, parent, base, abs, mode);
  }

  Status Link(int parent, const std::string& base, const char* target, const std::string& where) {
    auto parts = CleanName(target, where + " links to");
    if (!parts.ok()) return parts.status();
    if (parts->empty()) return Status::InvalidArgument(where + " is a hard link to the layer root");
    ASSIGN_OR_RETURN(Fd tparent, OpenParent(*parts, false, where + " (hard link target `" + std::string(target) + "`)"));
    struct stat st;
    if (fstatat(tparent.get(), parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return Status::InvalidArgument(where + " is a hard link to `" + target + "`, which is not in the layer");
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(where + " is a hard link to directory `" + target + "`");
    if (linkat(tparent.get(), parts->back().c_str(), parent, base.c_str(), 0) != 0)
      return Status::FromErrno(errno, "hard link " + std::string(target) + " to", dst_ + "/" + base);
    return Status::OK();
  }

  Status WriteFile(archive* a, int parent, const std::string& base, const std::string& abs, la_int64_t size) {
    Fd fd(openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return Status::FromErrno(errno, "create", abs);
    const void* buf;
    size_t len;
    la_int64_t off;
    for (;;) {
      int rc = archive_read_data_block(a, &buf, &len, &off);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) return Status::Corruption("read data of `" + abs + "`: " + archive_error_string(a));
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t n = pwrite(fd.get(), p, len, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Status::FromErrno(errno, "write", abs);
        p += n, len -= static_cast<size_t>(n), off += n;
      }
    }
    // A sparse file may end in a hole.
    if (ftruncate(fd.get(), size) != 0) return Status::FromErrno(errno, "truncate", abs);
    return Status::OK();
  }

  Status Metadata(archive_entry* e, int parent, const std::string& base, const std::string& abs, mode_t mode) {
    if (fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e)),
                 AT_SYMLINK_NOFOLLOW) != 0)
      return Status::FromErrno(errno, "chown", abs);
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      std::string n = name;
      if (!ArchiveXattrAllowed(n)) continue;
      if (lsetxattr(abs.c_str(), name, value, size, 0) != 0 && errno != ENOTSUP)
        return Status::FromErrno(errno, "set xattr " + n + " on", abs);
    }
    if (!S_ISLNK(mode) && fchmodat(parent, base.c_str(), mode & 07777, 0) != 0)
      return Status::FromErrno(errno, "chmod", abs);
    struct timespec t{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    std::string rel = abs.substr(dst_.size() + 1);
    if (S_ISDIR(mode)) {
      dir_times_.emplace_back(rel, t);
      return Status::OK();
    }
    struct timespec ts[2] = {t, t};
    if (utimensat(parent, base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return Status::FromErrno(errno, "set times of", abs);
    return Status::OK();
  }

  std::string dst_;
  WhiteoutMode mode_;
  Fd root_;
  std::set<std::string> written_;
  std::vector<std::pair<std::string, struct timespec>> dir_times_;
};

}  // namespace

Result<ApplyResult> ApplyLayer(const std::string& blob_path, const std::string& dst, WhiteoutMode mode) {
  int fd = open(blob_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open layer", blob_path);
  ASSIGN_OR_RETURN(auto in, LayerDecompressor::Open(fd, blob_path));
  Applier ap(dst, mode);
  RETURN_IF_ERROR(ap.Open());
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  ReadState state{in.get()};
  if (archive_read_open(a.get(), &state, nullptr, ReadCallback, nullptr) != ARCHIVE_OK)
    return state.status.ok() ? Status::Corruption("layer `" + blob_path + "` is not a tar archive: " +
                                                  archive_error_string(a.get()))
                             : state.status;
  ApplyResult res;
  for (;;) {
    archive_entry* e;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      if (!state.status.ok()) return state.status;
      return Status::Corruption("layer `" + blob_path + "`: bad tar header after " + std::to_string(res.entries) +
                                " entries: " + archive_error_string(a.get()));
    }
    Status st = ap.Entry(a.get(), e);
    if (!st.ok()) return st.WithContext("unpack layer " + blob_path);
    res.entries++;
  }
  RETURN_IF_ERROR(ap.Finish());
  // Drain what libarchive did not need (end-of-archive padding) so the diffID covers the whole tar.
  std::vector<char> rest(1 << 16);
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, in->Read(rest.data(), rest.size()));
    if (n == 0) break;
  }
  res.diff_id = in->DiffId();
  res.uncompressed_size = in->UncompressedSize();
  return res;
}

Result<ApplyResult> ApplyLayerToSnapshot(const std::string& blob_path, Snapshotter& sn, const std::string& key) {
  ASSIGN_OR_RETURN(std::string dir, sn.LayerDir(key));
  return ApplyLayer(blob_path, dir, sn.Kind() == "overlayfs" ? WhiteoutMode::kOverlay : WhiteoutMode::kDelete);
}

}  // namespace kiln::cache
