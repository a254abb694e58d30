#include "exporter/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "base/fs.h"

namespace kiln::exporter {
namespace {

// archive_write_header's ARCHIVE_WARN is no error: it reports a name that is not
// UTF-8, which the pax writer then stores as bytes (hdrcharset=BINARY), as Go's
// tar writes any name.
Status ArchiveStatus(struct archive* a, const std::string& what) {
  const char* m = archive_error_string(a);
  return Status::IOError(what + ": " + (m ? m : "archive error"));
}

using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;
EntryPtr NewEntry() { return EntryPtr(archive_entry_new(), archive_entry_free); }

}  // namespace

Result<std::unique_ptr<TarWriter>> TarWriter::Open(int fd) {
  struct archive* a = archive_write_new();
  if (!a) return Status::Internal("archive_write_new failed");
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    Status st = ArchiveStatus(a, "open tar stream");
    archive_write_free(a);
    return st;
  }
  return std::unique_ptr<TarWriter>(new TarWriter(a));
}

TarWriter::~TarWriter() {
  if (!closed_) archive_write_close(a_);
  archive_write_free(a_);
}

Status TarWriter::AddDir(const std::string& name, mode_t mode, int64_t mtime) {
  auto e = NewEntry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFDIR);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_mtime(e.get(), mtime, 0);
  if (archive_write_header(a_, e.get()) < ARCHIVE_WARN) return ArchiveStatus(a_, "write " + name);
  return Status::OK();
}

Status TarWriter::AddData(const std::string& name, const std::string& data, mode_t mode, int64_t mtime) {
  auto e = NewEntry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  archive_entry_set_mtime(e.get(), mtime, 0);
  if (archive_write_header(a_, e.get()) < ARCHIVE_WARN) return ArchiveStatus(a_, "write " + name);
  if (!data.empty() && archive_write_data(a_, data.data(), data.size()) < 0) return ArchiveStatus(a_, "write " + name);
  return Status::OK();
}

static Status StreamFile(struct archive* a, const std::string& path, int64_t size, const std::string& name) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  std::vector<char> buf(1 << 20);
  int64_t left = size;
  while (left > 0) {
    ssize_t n = read(fd, buf.data(), std::min<int64_t>(left, buf.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      close(fd);
      return Status::FromErrno(err, "read (file changed while exporting?)", path);
    }
    if (archive_write_data(a, buf.data(), n) < 0) {
      close(fd);
      return ArchiveStatus(a, "write " + name);
    }
    left -= n;
  }
  close(fd);
  return Status::OK();
}

Status TarWriter::AddFileFrom(const std::string& name, const std::string& path, mode_t mode, int64_t mtime) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", path);
  auto e = NewEntry();
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), mode);
  archive_entry_set_size(e.get(), st.st_size);
  archive_entry_set_mtime(e.get(), mtime, 0);
  if (archive_write_header(a_, e.get()) < ARCHIVE_WARN) return ArchiveStatus(a_, "write " + name);
  return StreamFile(a_, path, st.st_size, name);
}

Status TarWriter::Close() {
  closed_ = true;
  if (archive_write_close(a_) != ARCHIVE_OK) return ArchiveStatus(a_, "finish tar stream");
  return Status::OK();
}

namespace {

struct DirTarState {
  std::string root;
  TarWriter* w;
  std::optional<int64_t> clamp;
  std::map<std::pair<dev_t, ino_t>, std::string> links;
};

void AddXattrs(struct archive_entry* e, const std::string& path) {
  ssize_t len = llistxattr(path.c_str(), nullptr, 0);
  if (len <= 0) return;
  std::string names(len, '\0');
  len = llistxattr(path.c_str(), names.data(), names.size());
  if (len <= 0) return;
  std::vector<std::string> sorted;
  for (size_t i = 0; i < static_cast<size_t>(len);) {
    sorted.emplace_back(names.c_str() + i);
    i += sorted.back().size() + 1;
  }
  std::sort(sorted.begin(), sorted.end());
  for (const auto& n : sorted) {
    ssize_t vlen = lgetxattr(path.c_str(), n.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string v(vlen, '\0');
    vlen = lgetxattr(path.c_str(), n.c_str(), v.data(), v.size());
    if (vlen < 0) continue;
    archive_entry_xattr_add_entry(e, n.c_str(), v.data(), vlen);
  }
}

Status WriteEntry(DirTarState& s, const std::string& rel) {
  std::string path = s.root + "/" + rel;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", path);
  auto e = NewEntry();
  bool is_dir = S_ISDIR(st.st_mode);
  archive_entry_set_pathname(e.get(), (is_dir ? rel + "/" : rel).c_str());
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_perm(e.get(), st.st_mode & 07777);
  int64_t mtime = st.st_mtim.tv_sec;
  long nsec = st.st_mtim.tv_nsec;
  if (s.clamp && mtime >= *s.clamp) {
    mtime = *s.clamp;
    nsec = 0;
  }
  archive_entry_set_mtime(e.get(), mtime, nsec);
  AddXattrs(e.get(), path);
  bool data = false;
  if (S_ISREG(st.st_mode)) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    auto it = st.st_nlink > 1 ? s.links.find(key) : s.links.end();
    if (it != s.links.end()) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
    } else {
      if (st.st_nlink > 1) s.links[key] = rel;
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), st.st_size);
      data = st.st_size > 0;
    }
  } else if (is_dir) {
    archive_entry_set_filetype(e.get(), AE_IFDIR);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(st.st_size + 1, '\0');
    ssize_t n = readlink(path.c_str(), target.data(), target.size());
    if (n < 0) return Status::FromErrno(errno, "readlink", path);
    target.resize(n);
    archive_entry_set_filetype(e.get(), AE_IFLNK);
    archive_entry_set_symlink(e.get(), target.c_str());
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
    archive_entry_set_filetype(e.get(), st.st_mode & S_IFMT);
    archive_entry_set_rdev(e.get(), st.st_rdev);
  } else {
    return Status::OK();  // sockets are not archived
  }
  if (archive_write_header(s.w->raw(), e.get()) < ARCHIVE_WARN) return ArchiveStatus(s.w->raw(), "write " + rel);
  if (data) RETURN_IF_ERROR(StreamFile(s.w->raw(), path, st.st_size, rel));
  return Status::OK();
}

Status WalkDir(DirTarState& s, const std::string& rel) {
  std::string dir = rel.empty() ? s.root : s.root + "/" + rel;
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirSorted(dir));
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    RETURN_IF_ERROR(WriteEntry(s, r));
    struct stat st;
    if (lstat((s.root + "/" + r).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) RETURN_IF_ERROR(WalkDir(s, r));
  }
  return Status::OK();
}

}  // namespace

Status WriteDirTar(const std::string& dir, TarWriter& w, std::optional<int64_t> clamp_mtime) {
  DirTarState s{dir, &w, clamp_mtime, {}};
  return WalkDir(s, "");
}

Result<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path, int stdout_fd) {
  std::unique_ptr<OutputFile> f(new OutputFile());
  f->path_ = path;
  if (path == "-") {
    f->is_stdout_ = true;
    f->fd_ = stdout_fd;
    return f;
  }
  std::string dir = ".";
  if (size_t i = path.rfind('/'); i != std::string::npos) dir = i == 0 ? "/" : path.substr(0, i);
  RETURN_IF_ERROR(MakeDirs(dir));
  std::string tmpl = path + ".kiln-tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) return Status::FromErrno(errno, "create temporary file next to", path);
  f->tmp_ = buf.data();
  f->fd_ = fd;
  fchmod(fd, 0644);
  return f;
}

OutputFile::~OutputFile() {
  if (is_stdout_) return;
  if (fd_ >= 0) close(fd_);
  if (!committed_ && !tmp_.empty()) unlink(tmp_.c_str());
}

Status OutputFile::Commit() {
  if (is_stdout_) {
    committed_ = true;
    return Status::OK();
  }
  if (fsync(fd_) != 0) return Status::FromErrno(errno, "fsync", tmp_);
  if (close(fd_) != 0) {
    fd_ = -1;
    return Status::FromErrno(errno, "close", tmp_);
  }
  fd_ = -1;
  if (rename(tmp_.c_str(), path_.c_str()) != 0) return Status::FromErrno(errno, "rename " + tmp_ + " to", path_);
  committed_ = true;
  std::string dir = ".";
  if (size_t i = path_.rfind('/'); i != std::string::npos) dir = i == 0 ? "/" : path_.substr(0, i);
  return FsyncDir(dir);
}

}  // namespace kiln::exporter
