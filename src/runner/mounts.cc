#include "runner/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln::runner::internal {

Status Errno(const std::string& what, int err) {
  const char* name = strerrorname_np(err);
  std::string n = name ? name : "errno " + std::to_string(err);
  return Status::IOError(what + ": " + n + " (" + std::strerror(err) + ")");
}

std::optional<std::string> ReadWhole(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

namespace {

// The kernel's fs_context log ("e overlay: ..."), for richer mount errors.
std::string FsLog(int fsfd) {
  std::string log;
  char buf[1024];
  ssize_t n;
  while ((n = read(fsfd, buf, sizeof buf - 1)) > 0) {
    while (n > 0 && buf[n - 1] == '\n') --n;
    if (!log.empty()) log += "; ";
    log.append(buf, n);
  }
  return log;
}

std::vector<std::string> SplitOptions(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t pos = s.find(',', start);
    if (pos == std::string::npos) pos = s.size();
    if (pos > start) out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

// A detached mount of a new filesystem (tmpfs, overlay) with its options.
Result<Fd> NewFilesystem(const std::string& type, const std::string& options, const std::string& dest) {
  Fd fs(fsopen(type.c_str(), FSOPEN_CLOEXEC));
  if (fs.get() < 0) return Errno("fsopen " + type + " for " + dest);
  for (const std::string& opt_in : SplitOptions(options)) {
    std::string opt = opt_in;  // what an error names
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq);
    int rc;
    if (eq == std::string::npos) {
      rc = fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0);
    } else if (type == "overlay" && key == "lowerdir") {
      // One layer at a time ("lowerdir+", Linux 6.8) has no page-size limit;
      // older kernels take the whole list at once.
      std::string value = opt.substr(eq + 1);
      bool first = true;
      size_t start = 0;
      rc = 0;
      while (rc == 0 && start <= value.size()) {
        size_t pos = value.find(':', start);
        if (pos == std::string::npos) pos = value.size();
        std::string layer = value.substr(start, pos - start);
        rc = fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", layer.c_str(), 0);
        if (rc != 0) opt = "lower layer " + layer;
        if (rc != 0 && first && errno == EINVAL) {
          opt = opt_in;
          FsLog(fs.get());
          rc = fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", value.c_str(), 0);
          break;
        }
        first = false;
        start = pos + 1;
      }
    } else {
      rc = fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), opt.substr(eq + 1).c_str(), 0);
    }
    if (rc != 0) {
      int err = errno;
      std::string log = FsLog(fs.get());
      return Errno("mount " + type + " on " + dest + ": " + opt + (log.empty() ? "" : " [" + log + "]"), err);
    }
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    std::string log = FsLog(fs.get());
    return Errno("mount " + type + " on " + dest + (log.empty() ? "" : " [" + log + "]"), err);
  }
  Fd m(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (m.get() < 0) return Errno("fsmount " + type + " for " + dest);
  return m;
}

Status SetReadonly(int mount_fd, const std::string& what) {
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (mount_setattr(mount_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return Errno("make " + what + " read-only");
  }
  return Status::OK();
}

}  // namespace

// A detached mount ready to be attached inside the container.
Result<Fd> Detach(const MountPoint& m) {
  Fd fd;
  if (m.type == "bind" || m.type == "rbind") {
    fd = Fd(open_tree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (fd.get() < 0) return Errno("bind " + m.source + " on " + m.dest);
  } else if (m.type == "tmpfs" || m.type == "overlay") {
    ASSIGN_OR_RETURN(fd, NewFilesystem(m.type, m.options, m.dest));
  } else {
    return Status::InvalidArgument("mount on " + m.dest + ": unsupported type \"" + m.type + "\"");
  }
  if (m.readonly) RETURN_IF_ERROR(SetReadonly(fd.get(), m.dest));
  return fd;
}

Status Attach(const Fd& fd, const std::string& dest) {
  if (move_mount(fd.get(), "", AT_FDCWD, dest.c_str(), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) != 0) {
    return Errno("move mount to " + dest);
  }
  return Status::OK();
}

Status Mount(const char* src, const std::string& dest, const char* type, unsigned long flags, const char* data) {
  if (mount(src, dest.c_str(), type, flags, data) != 0) {
    return Errno(std::string("mount ") + (type ? type : src) + " on " + dest + (data ? std::string(" (") + data + ")" : ""));
  }
  return Status::OK();
}

// mkdir -p inside the (already pivoted) root; `owner` chowns what it creates.
Status MkdirAll(const std::string& path, mode_t mode, const ResolvedUser* owner) {
  std::string cur;
  size_t start = 1;
  while (start <= path.size()) {
    size_t pos = path.find('/', start);
    if (pos == std::string::npos) pos = path.size();
    if (pos > start) {
      cur += "/" + path.substr(start, pos - start);
      if (mkdir(cur.c_str(), mode) == 0) {
        if (owner && chown(cur.c_str(), owner->uid, owner->gid) != 0) return Errno("chown " + cur);
      } else if (errno != EEXIST) {
        return Errno("mkdir " + cur);
      }
    }
    start = pos + 1;
  }
  return Status::OK();
}

Status EnsureMountpoint(const std::string& path, bool is_file) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return Status::OK();
  if (!is_file) return MkdirAll(path, 0755);
  size_t slash = path.rfind('/');
  if (slash > 0) RETURN_IF_ERROR(MkdirAll(path.substr(0, slash), 0755));
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create mountpoint " + path);
  close(fd);
  return Status::OK();
}

Status MountDev() {
  RETURN_IF_ERROR(EnsureMountpoint("/dev", false));
  RETURN_IF_ERROR(Mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  struct Node { const char* name; unsigned major, minor; };
  static const Node kNodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
                                {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  for (const Node& n : kNodes) {
    std::string p = std::string("/dev/") + n.name;
    if (mknod(p.c_str(), S_IFCHR | 0666, makedev(n.major, n.minor)) != 0) return Errno("mknod " + p);
  }
  RETURN_IF_ERROR(MkdirAll("/dev/pts", 0755));
  RETURN_IF_ERROR(Mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                        "newinstance,ptmxmode=0666,mode=0620,gid=5"));
  RETURN_IF_ERROR(MkdirAll("/dev/shm", 0755));
  RETURN_IF_ERROR(Mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"));
  RETURN_IF_ERROR(MkdirAll("/dev/mqueue", 0755));
  RETURN_IF_ERROR(Mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  static const char* kLinks[][2] = {{"pts/ptmx", "/dev/ptmx"}, {"/proc/self/fd", "/dev/fd"},
                                    {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
                                    {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& l : kLinks) {
    if (symlink(l[0], l[1]) != 0) return Errno(std::string("symlink ") + l[1] + " -> " + l[0]);
  }
  return Status::OK();
}

// Docker's masked and read-only paths.
Status MaskPaths() {
  static const char* kMasked[] = {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                  "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                                  "/sys/devices/virtual/powercap"};
  for (const char* p : kMasked) {
    struct stat st;
    if (stat(p, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      RETURN_IF_ERROR(Mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0"));
    } else {
      RETURN_IF_ERROR(Mount("/dev/null", p, nullptr, MS_BIND, nullptr));
    }
  }
  static const char* kReadonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  for (const char* p : kReadonly) {
    struct stat st;
    if (stat(p, &st) != 0) continue;
    RETURN_IF_ERROR(Mount(p, p, nullptr, MS_BIND | MS_REC, nullptr));
    RETURN_IF_ERROR(Mount(nullptr, p, nullptr,
                          MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  }
  return Status::OK();
}

}  // namespace kiln::runner::internal
