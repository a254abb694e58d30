#include "runner/container.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "runner/user.h"

namespace kiln::runner {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// "what: ENAME (description)".
Status Errno(const std::string& what, int err = errno) {
  const char* name = strerrorname_np(err);
  std::string n = name ? name : "errno " + std::to_string(err);
  return Status::IOError(what + ": " + n + " (" + std::strerror(err) + ")");
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept { std::swap(fd_, o.fd_); return *this; }
  ~Fd() { if (fd_ >= 0) close(fd_); }
  int get() const { return fd_; }
 private:
  int fd_;
};

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
Status MkdirAll(const std::string& path, mode_t mode, const ResolvedUser* owner = nullptr) {
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

Status LoopbackUp() {
  Fd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return Errno("socket AF_INET");
  struct ifreq ifr = {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return Errno("get flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return Errno("bring lo up");
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

Status SetCapabilities(bool root) {
  uint64_t keep = DefaultCapabilities();
  for (int cap = 0; cap <= 63; ++cap) {
    if (keep & (uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      return Errno("drop capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  return Status::OK();
}

Status SetIds(const ResolvedUser& u, bool no_new_privs) {
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl PR_SET_NO_NEW_PRIVS");
  std::vector<gid_t> groups(u.sgids.begin(), u.sgids.end());
  if (setgroups(groups.size(), groups.data()) != 0) return Errno("setgroups");
  if (setresgid(u.gid, u.gid, u.gid) != 0) return Errno("setresgid " + std::to_string(u.gid));
  if (setresuid(u.uid, u.uid, u.uid) != 0) return Errno("setresuid " + std::to_string(u.uid));
  // Effective and permitted: the default set for root (empty otherwise, as the
  // kernel clears them on a change to a non-zero uid); inheritable: empty.
  uint64_t caps = u.uid == 0 ? DefaultCapabilities() : 0;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(caps);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(caps >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) return Errno("capset");
  return Status::OK();
}

bool HasEnv(const std::vector<std::string>& env, const std::string& key) {
  for (const std::string& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') return true;
  }
  return false;
}

std::string GetEnv(const std::vector<std::string>& env, const std::string& key) {
  std::string v;
  for (const std::string& e : env) {  // the last definition wins, as in execve's environ
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      v = e.substr(key.size() + 1);
    }
  }
  return v;
}

// exec.LookPath as runc does it, inside the container.
Result<std::string> LookPath(const std::string& file, const std::string& path) {
  if (file.find('/') != std::string::npos) return file;
  size_t start = 0;
  while (start <= path.size()) {
    size_t pos = path.find(':', start);
    if (pos == std::string::npos) pos = path.size();
    std::string dir = path.substr(start, pos - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + file;
    struct stat st;
    if (stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return cand;
    start = pos + 1;
  }
  return Status::InvalidArgument("exec: \"" + file + "\": executable file not found in $PATH");
}

// execve keeps ignored signals and the signal mask: start from the defaults
// (kiln may ignore SIGPIPE, for one).
void ResetSignals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

Status SetupAndExec(const ContainerConfig& c, int sync_fd, int output_fd) {
  umask(0);
  // A session of its own: no controlling terminal, so /dev/tty is not kiln's.
  if (setsid() < 0) return Errno("setsid");
  int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  if (c.process.network == ProcessSpec::Network::kNone) flags |= CLONE_NEWNET;
  if (unshare(flags) != 0) return Errno("unshare mount, uts, ipc and network namespaces");
  RETURN_IF_ERROR(Mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  if (c.process.network == ProcessSpec::Network::kNone) RETURN_IF_ERROR(LoopbackUp());
  if (sethostname(c.process.hostname.data(), c.process.hostname.size()) != 0) {
    return Errno("sethostname " + c.process.hostname);
  }

  // Everything that names a host path is opened before pivot_root.
  MountPoint root = c.root;
  root.dest = "/";
  root.readonly = false;  // applied last, after the mountpoints exist
  if (root.type == "overlay" && !c.stub_layer.empty()) {
    size_t pos = root.options.find("lowerdir=");
    if (pos == std::string::npos) {
      root.options += (root.options.empty() ? "" : ",") + ("lowerdir=" + c.stub_layer);
    } else {
      size_t end = root.options.find(',', pos);
      root.options.insert(end == std::string::npos ? root.options.size() : end, ":" + c.stub_layer);
    }
  }
  ASSIGN_OR_RETURN(Fd root_fd, Detach(root));
  std::vector<Fd> mount_fds;
  for (const MountPoint& m : c.mounts) {
    ASSIGN_OR_RETURN(Fd fd, Detach(m));
    mount_fds.push_back(std::move(fd));
  }
  struct EtcFile { const std::string& src; const char* dest; };
  const EtcFile etc[] = {{c.hosts_file, "/etc/hosts"}, {c.resolv_file, "/etc/resolv.conf"},
                         {c.hostname_file, "/etc/hostname"}};
  std::vector<Fd> etc_fds;
  for (const EtcFile& e : etc) {
    ASSIGN_OR_RETURN(Fd fd, Detach(MountPoint{e.dest, "bind", e.src, "", true}));
    etc_fds.push_back(std::move(fd));
  }

  RETURN_IF_ERROR(Attach(root_fd, c.root_mountpoint));
  if (chdir(c.root_mountpoint.c_str()) != 0) return Errno("chdir " + c.root_mountpoint);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return Errno("pivot_root " + c.root_mountpoint);
  if (umount2(".", MNT_DETACH) != 0) return Errno("detach the old root");
  if (chdir("/") != 0) return Errno("chdir /");

  // The user is resolved in the image's files, before any mount covers them.
  std::optional<std::string> passwd = ReadWhole("/etc/passwd");
  std::optional<std::string> group = ReadWhole("/etc/group");
  ASSIGN_OR_RETURN(ResolvedUser user, ResolveUser(c.process.user, passwd, group));

  RETURN_IF_ERROR(EnsureMountpoint("/proc", false));
  RETURN_IF_ERROR(Mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr));
  RETURN_IF_ERROR(MountDev());
  RETURN_IF_ERROR(EnsureMountpoint("/sys", false));
  RETURN_IF_ERROR(Mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, nullptr));
  RETURN_IF_ERROR(MaskPaths());
  for (size_t i = 0; i < etc_fds.size(); ++i) {
    RETURN_IF_ERROR(EnsureMountpoint(etc[i].dest, true));
    RETURN_IF_ERROR(Attach(etc_fds[i], etc[i].dest));
  }
  for (size_t i = 0; i < c.mounts.size(); ++i) {
    RETURN_IF_ERROR(EnsureMountpoint(c.mounts[i].dest, c.mount_is_file[i]));
    RETURN_IF_ERROR(Attach(mount_fds[i], c.mounts[i].dest));
  }

  std::vector<std::string> env = c.process.env;
  if (!HasEnv(env, "PATH")) env.push_back(std::string("PATH=") + kDefaultPath);
  if (!HasEnv(env, "HOME")) env.push_back("HOME=" + HomeDir(user.uid, passwd));
  std::string cwd = c.process.cwd.empty() ? "/" : c.process.cwd;
  struct stat st;
  if (stat(cwd.c_str(), &st) != 0) {
    RETURN_IF_ERROR(MkdirAll(cwd, 0755, &user).WithContext("create working directory " + cwd));
  }
  if (c.root.readonly) {
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) != 0) return Errno("make / read-only");
  }

  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0) return Errno("open /dev/null");
  if (dup2(devnull, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) return Errno("dup2 stdio");
  if (devnull > 2) close(devnull);

  RETURN_IF_ERROR(SetCapabilities(user.uid == 0));
  RETURN_IF_ERROR(SetIds(user, c.process.no_new_privileges));
  umask(022);
  if (chdir(cwd.c_str()) != 0) return Errno("chdir to working directory " + cwd);
  ASSIGN_OR_RETURN(std::string exe, LookPath(c.process.args[0], GetEnv(env, "PATH")));

  std::vector<char*> argv, envp;
  for (const std::string& a : c.process.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ResetSignals();
  execve(exe.c_str(), argv.data(), envp.data());
  int err = errno;
  if (err == ENOENT || err == EACCES || err == ENOEXEC) {
    return Status::InvalidArgument("exec " + exe + ": " + std::strerror(err));
  }
  return Errno("exec " + exe, err);
}

[[noreturn]] void Fail(int sync_fd, const Status& s, int exit_code) {
  std::string msg(1, kMsgError);
  msg += static_cast<char>('A' + static_cast<int>(s.code()));
  msg += s.message();
  (void)!send(sync_fd, msg.data(), msg.size(), MSG_NOSIGNAL);
  _exit(exit_code);
}

[[noreturn]] void RunInit(const ContainerConfig& cfg, int sync_fd, int output_fd) {
  // Dies with the thread that called Run; if that already happened, the 'G'
  // below reads EOF instead.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char go = 0;
  if (recv(sync_fd, &go, 1, 0) != 1 || go != kMsgGo) _exit(125);
  Status s = SetupAndExec(cfg, sync_fd, output_fd);
  Fail(sync_fd, s, 125);
}

}  // namespace

uint64_t DefaultCapabilities() {
  static const int kCaps[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
                              CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
                              CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};
  uint64_t mask = 0;
  for (int c : kCaps) mask |= uint64_t{1} << c;
  return mask;
}

void RunIntermediate(const ContainerConfig& cfg, pid_t parent, int sync_fd, int output_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(125);
  if (unshare(CLONE_NEWPID) != 0) Fail(sync_fd, Errno("unshare pid namespace"), 125);
  // CLONE_PARENT: the init is a child of the thread that called Run, so its
  // PDEATHSIG follows that thread and the parent can wait for it directly.
  long pid = syscall(SYS_clone, CLONE_PARENT, 0, nullptr, nullptr, 0);
  if (pid < 0) Fail(sync_fd, Errno("clone into the new pid namespace"), 125);
  if (pid == 0) RunInit(cfg, sync_fd, output_fd);
  std::string msg = std::string(1, kMsgPid) + std::to_string(pid);
  if (send(sync_fd, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) {
    kill(static_cast<pid_t>(pid), SIGKILL);
    _exit(125);
  }
  _exit(0);
}

}  // namespace kiln::runner
