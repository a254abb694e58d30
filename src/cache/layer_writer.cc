#include "cache/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>

#include "base/fs.h"
#include "base/log.h"
#include "base/read_ahead.h"

namespace kiln::cache {

namespace {

// The layer's xattrs through `list` and `get` (the l* or f* calls).
template <typename List, typename Get>
Result<std::map<std::string, std::string>> XattrsWith(const std::string& p, List list, Get get) {
  std::map<std::string, std::string> sorted;
  ssize_t len = list(nullptr, 0);
  if (len <= 0) return sorted;
  std::string names(static_cast<size_t>(len), '\0');
  len = list(names.data(), names.size());
  if (len < 0) return Status::FromErrno(errno, "list xattrs of", p);
  for (ssize_t i = 0; i < len;) {
    std::string name(names.c_str() + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    // moby's pkg/archive and containerd's differ (BuildKit) export this one only:
    // user.*, trusted.* and security.selinux stay out of layers.
    if (name != "security.capability") continue;
    ssize_t vlen = get(name.c_str(), nullptr, 0);
    if (vlen < 0) return Status::FromErrno(errno, "get xattr " + name + " of", p);
    std::string v(static_cast<size_t>(vlen), '\0');
    vlen = get(name.c_str(), v.data(), v.size());
    if (vlen < 0) return Status::FromErrno(errno, "get xattr " + name + " of", p);
    v.resize(static_cast<size_t>(vlen));
    sorted[name] = std::move(v);
  }
  return sorted;
}

}  // namespace

Result<std::map<std::string, std::string>> LayerXattrs(const std::string& p) {
  return XattrsWith(
      p, [&](char* b, size_t n) { return llistxattr(p.c_str(), b, n); },
      [&](const char* name, void* b, size_t n) { return lgetxattr(p.c_str(), name, b, n); });
}

Result<std::map<std::string, std::string>> LayerXattrsOf(int fd, const std::string& p) {
  return XattrsWith(
      p, [&](char* b, size_t n) { return flistxattr(fd, b, n); },
      [&](const char* name, void* b, size_t n) { return fgetxattr(fd, name, b, n); });
}

namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

struct SinkState {
  const std::function<Status(const void*, size_t)>* sink;
  Status status;
};

la_ssize_t WriteCallback(archive*, void* client, const void* buf, size_t len) {
  auto* s = static_cast<SinkState*>(client);
  if (!s->status.ok()) return -1;
  s->status = (*s->sink)(buf, len);
  return s->status.ok() ? static_cast<la_ssize_t>(len) : -1;
}

std::string BaseName(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}
std::string DirName(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

class TarWriter {
 public:
  TarWriter(archive* a, SinkState* state, const LayerOptions& opts, HardLinkMap links, ReadAhead* ahead)
      : a_(a), state_(state), opts_(opts), links_(std::move(links)), ahead_(ahead) {}

  // changes[i] == c.
  Status Write(const Change& c, size_t i) {
    switch (c.kind) {
      case Change::Kind::kWhiteout: {
        std::string dir = DirName(c.path);
        return WriteMarker((dir.empty() ? "" : dir + "/") + ".wh." + BaseName(c.path), 0600);  // as moby writes it
      }
      case Change::Kind::kOpaque:
        return WriteMarker(c.path + "/.wh..wh..opq", 0);
      case Change::Kind::kEntry:
        return WriteEntry(c, i);
    }
    return Status::OK();
  }

 private:
  Status Fail(const std::string& what, const std::string& path) {
    if (!state_->status.ok()) return state_->status;
    return Status::IOError(what + " `" + path + "`: " + (archive_error_string(a_) ? archive_error_string(a_) : "?"));
  }

  int64_t Clamp(int64_t t) const {
    if (opts_.source_date_epoch && t > *opts_.source_date_epoch) return *opts_.source_date_epoch;
    return t;
  }

  // archive_write_header's ARCHIVE_WARN (a name that is not UTF-8: written as bytes,
  // as moby writes it) is no error.
  Status WriteHeader(archive_entry* e, const std::string& name) {
    if (archive_write_header(a_, e) < ARCHIVE_WARN) return Fail("write tar header for", name);
    return Status::OK();
  }

  Status WriteMarker(const std::string& name, mode_t perm) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), perm);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_mtime(e.get(), opts_.source_date_epoch.value_or(0), 0);
    return WriteHeader(e.get(), name);
  }

  Status WriteEntry(const Change& c, size_t i) {
    // One path walk per directory: the entry is looked up by name in its parent.
    std::string name;
    int dfd = dirs_.Resolve(c.source, &name);
    if (dfd < 0) return Status::FromErrno(errno, "open the directory of", c.source);
    struct stat st;
    Fd file;  // regular files: opened once for stat, xattrs and data
    if (c.has_stat && S_ISREG(c.st.st_mode)) {
      file = ahead_->Open(i);
      if (file.get() < 0) return Status::FromErrno(errno, "open", c.source);
      if (fstat(file.get(), &st) != 0) return Status::FromErrno(errno, "stat", c.source);
      if (!S_ISREG(st.st_mode)) return Status::IOError("`" + c.source + "` is no longer a regular file");
    } else {
      if (fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return Status::FromErrno(errno, "stat", c.source);
      if (S_ISREG(st.st_mode)) {
        file = Fd(openat(dfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (file.get() < 0) return Status::FromErrno(errno, "open", c.source);
      }
    }
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), c.path.c_str());
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_mode(e.get(), st.st_mode);
    archive_entry_set_mtime(e.get(), Clamp(st.st_mtim.tv_sec), 0);
    ASSIGN_OR_RETURN(auto xattrs, file.get() >= 0 ? LayerXattrsOf(file.get(), c.source) : LayerXattrs(c.source));
    for (auto& [k, v] : xattrs) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, fresh] = links_.try_emplace({static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)}, c.path);
      if (!fresh) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        return WriteHeader(e.get(), c.path);
      }
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dfd, name.c_str(), target.data(), target.size());
      if (n < 0) return Status::FromErrno(errno, "readlink", c.source);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdev(e.get(), st.st_rdev);
    }
    bool regular = S_ISREG(st.st_mode);
    archive_entry_set_size(e.get(), regular ? st.st_size : 0);
    RETURN_IF_ERROR(WriteHeader(e.get(), c.path));
    if (regular) RETURN_IF_ERROR(CopyData(file.get(), c.source, st.st_size));
    return Status::OK();
  }

  Status CopyData(int fd, const std::string& path, int64_t size) {
    if (size > (1 << 20)) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    buf_.resize(1 << 20);
    int64_t left = size;
    while (left > 0) {
      ssize_t n = ahead_->ReadNoWait(fd, buf_.data(), std::min<int64_t>(left, static_cast<int64_t>(buf_.size())));
      if (n < 0) return Status::FromErrno(errno, "read", path);
      if (n == 0) return Status::IOError("file `" + path + "` shrank while being archived");
      if (archive_write_data(a_, buf_.data(), static_cast<size_t>(n)) != n) return Fail("write tar data for", path);
      left -= n;
    }
    return Status::OK();
  }

  archive* a_;
  SinkState* state_;
  const LayerOptions& opts_;
  HardLinkMap links_;
  ReadAhead* ahead_;
  ParentDirCache dirs_;
  std::vector<char> buf_;
};

}  // namespace

Status WriteLayerTar(const std::vector<Change>& changes, const LayerOptions& opts,
                     const std::function<Status(const void*, size_t)>& sink) {
  return WriteLayerTarFrom(changes, 0, {}, opts, sink);
}

Status WriteLayerTarFrom(const std::vector<Change>& changes, size_t start, HardLinkMap links,
                         const LayerOptions& opts, const std::function<Status(const void*, size_t)>& sink,
                         const std::function<void(size_t)>& before_entry) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  SinkState state{&sink, Status::OK()};
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_per_block(a.get(), 0);  // no padding beyond the end-of-archive records
  if (archive_write_open2(a.get(), &state, nullptr, WriteCallback, nullptr, nullptr) != ARCHIVE_OK)
    return Status::Internal(std::string("libarchive: ") + archive_error_string(a.get()));
  // The files' data read ahead once a read misses the page cache: one read per
  // file, in order, is slow on a cold cache.
  ReadAhead ahead(start, changes.size(), [&](size_t i) {
    const Change& c = changes[i];
    if (c.kind != Change::Kind::kEntry || !c.has_stat || !S_ISREG(c.st.st_mode)) return ReadAhead::Target{};
    return ReadAhead::Target{c.source, static_cast<int64_t>(c.st.st_size)};
  });
  TarWriter w(a.get(), &state, opts, std::move(links), &ahead);
  for (size_t i = start; i < changes.size(); i++) {
    if (before_entry) before_entry(i);
    RETURN_IF_ERROR(w.Write(changes[i], i));
    // Pad now, so the next entry starts on a boundary the caller can observe.
    if (archive_write_finish_entry(a.get()) != ARCHIVE_OK) {
      if (!state.status.ok()) return state.status;
      return Status::IOError("finish tar entry `" + changes[i].path + "`: " + archive_error_string(a.get()));
    }
  }
  if (ahead.requested()) spdlog::debug("layer tar: read ahead {} of {} entries", ahead.requested(), changes.size() - start);
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    if (!state.status.ok()) return state.status;
    return Status::IOError(std::string("finish tar: ") + archive_error_string(a.get()));
  }
  return state.status;
}

Result<LayerRecord> WriteLayer(const std::vector<Change>& changes, ContentStore& store, const LayerOptions& opts) {
  ASSIGN_OR_RETURN(auto blob, store.NewWriter());
  ASSIGN_OR_RETURN(auto comp, LayerCompressor::Create(blob.get(), opts.compression, opts.level, opts.threads));
  RETURN_IF_ERROR(WriteLayerTar(changes, opts, [&](const void* p, size_t n) { return comp->Write(p, n); }));
  RETURN_IF_ERROR(comp->Finish());
  LayerRecord rec;
  rec.size = blob->Written();
  ASSIGN_OR_RETURN(rec.digest, blob->Commit());
  rec.diff_id = comp->DiffId();
  rec.media_type = LayerMediaType(opts.compression, opts.oci_media_types);
  return rec;
}

Result<LayerRecord> WriteSnapshotLayer(const Snapshotter::DiffInput& in, ContentStore& store,
                                       const LayerOptions& opts) {
  std::vector<Change> changes;
  if (in.overlay_upper) {
    ASSIGN_OR_RETURN(changes, DiffOverlayUpper(in.upper));
  } else {
    ASSIGN_OR_RETURN(changes, DiffDirectories(in.lower, in.upper));
  }
  return WriteLayer(changes, store, opts);
}

}  // namespace kiln::cache
