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
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runner/mounts.h"
#include "runner/seccomp.h"
#include "runner/user.h"

namespace kiln::runner {
namespace {

using internal::Attach;
using internal::Detach;
using internal::EnsureMountpoint;
using internal::Errno;
using internal::MaskPaths;
using internal::MkdirAll;
using internal::Mount;
using internal::MountDev;
using internal::ReadWhole;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

Status DropBoundingCapabilities() {
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

Status SetIds(const ResolvedUser& u, bool no_new_privs, bool all_caps) {
  if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("prctl PR_SET_NO_NEW_PRIVS");
  std::vector<gid_t> groups(u.sgids.begin(), u.sgids.end());
  if (setgroups(groups.size(), groups.data()) != 0) return Errno("setgroups");
  if (setresgid(u.gid, u.gid, u.gid) != 0) return Errno("setresgid " + std::to_string(u.gid));
  if (setresuid(u.uid, u.uid, u.uid) != 0) return Errno("setresuid " + std::to_string(u.uid));
  // Effective and permitted: the default set for root (empty otherwise, as the
  // kernel clears them on a change to a non-zero uid); inheritable: empty.
  if (all_caps && u.uid == 0) return Status::OK();  // root keeps every capability it has
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
  // As BuildKit: /etc/hostname is the image's own file (the UTS hostname is
  // set), so a RUN that writes it keeps its change.
  const EtcFile etc[] = {{c.hosts_file, "/etc/hosts"}, {c.resolv_file, "/etc/resolv.conf"}};
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

  // Insecure mode (BuildKit's security.insecure): every capability, no seccomp.
  if (!c.process.insecure) {
    RETURN_IF_ERROR(DropBoundingCapabilities());
    // Loaded while CAP_SYS_ADMIN is still effective, so no_new_privs is not needed.
    RETURN_IF_ERROR(ApplyDefaultSeccomp(DefaultCapabilities()));
  }
  RETURN_IF_ERROR(SetIds(user, c.process.no_new_privileges, c.process.insecure));
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
