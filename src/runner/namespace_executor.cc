// The parent side of the namespace executor: prepares the run directory, forks,
// streams output, enforces the timeout and reports the exit status.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>

#include "base/fs.h"
#include "runner/cgroup.h"
#include "runner/container.h"
#include "runner/executor.h"
#include "runner/stubs.h"

namespace kiln::runner {
namespace {

// Pids of running containers' init processes, for KillAllContainers().
std::array<std::atomic<pid_t>, 1024> g_running{};

class Registration {
 public:
  explicit Registration(pid_t pid) {
    for (auto& slot : g_running) {
      pid_t expected = 0;
      if (slot.compare_exchange_strong(expected, pid)) {
        slot_ = &slot;
        return;
      }
    }
  }
  ~Registration() { if (slot_) slot_->store(0); }

 private:
  std::atomic<pid_t>* slot_ = nullptr;
};

std::string CommandLine(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

Status Validate(const RunSpec& spec) {
  if (spec.process.args.empty()) return Status::InvalidArgument("run: no command given (empty argv)");
  const MountPoint& r = spec.root;
  if (r.type != "overlay" && r.type != "bind") {
    return Status::InvalidArgument("run: the root must be an overlay or a bind mount, not \"" + r.type + "\"");
  }
  if (r.type == "bind") {
    struct stat st;
    if (stat(r.source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument("run: root directory " + r.source + " does not exist");
    }
  }
  for (const MountPoint& m : spec.mounts) {
    if (m.dest.empty() || m.dest[0] != '/') {
      return Status::InvalidArgument("run: mount destination \"" + m.dest + "\" is not an absolute path");
    }
    if (m.type == "bind" && !PathExists(m.source)) {
      return Status::InvalidArgument("run: bind source " + m.source + " for " + m.dest + " does not exist");
    }
  }
  return Status::OK();
}

// /etc/resolv.conf: the host's; without the host network, localhost
// nameservers are dropped (they would be unreachable) and Google's public DNS
// used when none is left, as docker and BuildKit do.
std::string ResolvConf(ProcessSpec::Network net) {
  Result<std::string> host = ReadFile("/etc/resolv.conf");
  std::string in = host.ok() ? *host : "";
  if (net == ProcessSpec::Network::kHost) return in;
  std::string out;
  bool any = false;
  size_t start = 0;
  while (start < in.size()) {
    size_t end = in.find('\n', start);
    if (end == std::string::npos) end = in.size();
    std::string line = in.substr(start, end - start);
    start = end + 1;
    bool ns = line.rfind("nameserver", 0) == 0;
    if (ns && (line.find("127.") != std::string::npos || line.find("::1") != std::string::npos)) continue;
    any = any || ns;
    out += line + "\n";
  }
  if (!any) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
}

std::string HostsFile(const ProcessSpec& p) {
  // BuildKit's executor/oci/hosts.go, byte for byte as dockerd 20.10 writes
  // it (no leading blank line).
  std::string host = p.hostname.empty() ? "buildkitsandbox" : p.hostname;
  std::string s = "127.0.0.1\tlocalhost " + host + "\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const std::string& h : p.extra_hosts) {
    size_t eq = h.find('=');
    if (eq == std::string::npos) continue;
    s += h.substr(eq + 1) + "\t" + h.substr(0, eq) + "\n";
  }
  return s;
}

// Throwaway files of the run dir: no fsync, they die with the run.
Status WriteSmallFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "create", path);
  ssize_t n = write(fd, data.data(), data.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(data.size())) return Status::FromErrno(err, "write", path);
  return Status::OK();
}

// The value of `key` in a mount option string ("" when absent).
std::string OptionValue(const std::string& options, const std::string& key) {
  size_t start = 0;
  while (start < options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string::npos) end = options.size();
    std::string opt = options.substr(start, end - start);
    if (opt.rfind(key + "=", 0) == 0) return opt.substr(key.size() + 1);
    start = end + 1;
  }
  return "";
}

bool HasOption(const std::string& options, const std::string& flag) {
  return ("," + options + ",").find("," + flag + ",") != std::string::npos;
}

struct Prepared {
  ContainerConfig cfg;
  std::vector<std::string> bind_stubs;  // bind root: stubs to remove afterwards
  std::string volatile_marker;          // overlay root: workdir/work/incompat, removed afterwards
};

Result<Prepared> Prepare(const RunSpec& spec, const std::string& dir) {
  Prepared p;
  ContainerConfig& c = p.cfg;
  c.root = spec.root;
  c.mounts = spec.mounts;
  c.process = spec.process;
  if (c.process.hostname.empty()) c.process.hostname = "buildkitsandbox";
  if (c.root.type == "bind" && c.root.readonly) {
    // A read-only overlay of the directory: the stubs stay out of it.
    c.root = MountPoint{"/", "overlay", "", "lowerdir=" + spec.root.source, true};
  }
  if (c.process.cwd.empty() || c.process.cwd[0] != '/') c.process.cwd = "/" + c.process.cwd;
  c.root_mountpoint = dir + "/root";
  c.hosts_file = dir + "/hosts";
  c.resolv_file = dir + "/resolv.conf";
  RETURN_IF_ERROR(MakeDirs(c.root_mountpoint, 0755));
  RETURN_IF_ERROR(WriteSmallFile(c.hosts_file, HostsFile(spec.process)));
  RETURN_IF_ERROR(WriteSmallFile(c.resolv_file, ResolvConf(spec.process.network)));

  std::vector<Stub> stubs = {{"/proc", false}, {"/dev", false}, {"/sys", false},
                             {"/etc/hosts", true}, {"/etc/resolv.conf", true}};
  for (const MountPoint& m : spec.mounts) {
    struct stat st;
    bool is_file = m.type == "bind" && stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
    c.mount_is_file.push_back(is_file);
    stubs.push_back({m.dest, is_file});
  }
  if (c.root.type == "overlay") {
    // No syncfs of the upper filesystem when the overlay goes away (a native
    // process does not sync either); the marker it leaves is removed afterwards.
    std::string workdir = OptionValue(c.root.options, "workdir");
    if (!workdir.empty() && !OptionValue(c.root.options, "upperdir").empty()) {
      if (!HasOption(c.root.options, "volatile")) c.root.options += ",volatile";
      p.volatile_marker = workdir + "/work/incompat";
    }
    c.stub_layer = dir + "/stubs";
    RETURN_IF_ERROR(MakeDirs(c.stub_layer, 0755));
    RETURN_IF_ERROR(BuildStubLayer(c.stub_layer, stubs));
  } else {
    p.bind_stubs = MissingStubs(spec.root.source, stubs);
  }
  return p;
}

Status ChildError(const std::string& msg) {
  if (msg.size() < 2) return Status::Internal("run: malformed error from the container");
  Code code = static_cast<Code>(msg[1] - 'A');
  if (code == Code::kOk || static_cast<int>(code) > static_cast<int>(Code::kInternal)) code = Code::kInternal;
  return Status(code, msg.substr(2));
}

// Forks the intermediate, learns the init's pid and lets it go.
Result<pid_t> Start(const ContainerConfig& cfg, int parent_sock, int child_sock, int out_w) {
  pid_t self = getpid();
  pid_t mid = fork();
  if (mid < 0) return Status::FromErrno(errno, "fork");
  if (mid == 0) {
    close(parent_sock);
    RunIntermediate(cfg, self, child_sock, out_w);
  }
  int st = 0;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR) {}
  char buf[4096];
  ssize_t n = recv(parent_sock, buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0 && buf[0] == kMsgError) return ChildError(std::string(buf, n));
  if (n <= 1 || buf[0] != kMsgPid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    return Status::Internal("run: the container's intermediate process failed (status " + std::to_string(st) + ")");
  }
  pid_t pid = static_cast<pid_t>(std::stol(std::string(buf + 1, n - 1)));
  return pid;
}

// The step's cgroup; without one (no cgroup filesystem, not writable) a step
// with the default resources still runs, after one warning.
Result<std::optional<StepCgroup>> MakeCgroup(const Resources& r) {
  Result<StepCgroup> cg = StepCgroup::Create(r);
  if (cg.ok()) return std::optional<StepCgroup>(std::move(*cg));
  if (NeedsCgroup(r)) return cg.status().WithContext("run: the step's resource limits need a cgroup");
  static std::once_flag once;
  std::call_once(once, [&] {
    fprintf(stderr, "WARNING: RUN steps run without a cgroup (no pids limit): %s\n", cg.status().ToString().c_str());
  });
  return std::optional<StepCgroup>();
}

class NamespaceExecutor : public Executor {
 public:
  Status Run(const RunSpec& spec, const OutputSink& output) override;
};

Status NamespaceExecutor::Run(const RunSpec& spec, const OutputSink& output) {
  if (geteuid() != 0) {
    return Status::FailedPrecondition("run: the namespace executor needs root (running as uid " +
                                      std::to_string(geteuid()) + ")");
  }
  RETURN_IF_ERROR(Validate(spec));
  ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("kiln-run"));
  ASSIGN_OR_RETURN(Prepared prep, Prepare(spec, dir.path()));
  struct Cleaner {  // runs once the container is gone
    const Prepared& p;
    ~Cleaner() {
      RemoveStubs(p.bind_stubs);
      if (!p.volatile_marker.empty()) (void)RemoveAll(p.volatile_marker);
    }
  } cleaner{prep};

  int sv[2], out[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return Status::FromErrno(errno, "socketpair");
  Fd parent_sock(sv[0]), child_sock(sv[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe2");
  Fd out_r(out[0]), out_w(out[1]);

  ASSIGN_OR_RETURN(std::optional<StepCgroup> cgroup, MakeCgroup(spec.resources));
  Result<pid_t> started = Start(prep.cfg, parent_sock.get(), child_sock.get(), out_w.get());
  child_sock.reset();
  out_w.reset();
  if (!started.ok()) return started.status();
  pid_t pid = *started;
  Registration reg(pid);
  // The init waits for 'G': what it forks is born in the cgroup.
  Status joined = cgroup ? cgroup->Add(pid) : Status::OK();
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!joined.ok() || pidfd.get() < 0 || send(parent_sock.get(), &kMsgGo, 1, MSG_NOSIGNAL) != 1) {
    Status s = !joined.ok() ? joined : Status::FromErrno(errno, "start container init", std::to_string(pid));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return s;
  }
  fcntl(out_r.get(), F_SETFL, O_NONBLOCK);

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(spec.process.timeout_seconds);
  bool exited = false, timed_out = false, cancelled = false, out_open = true;
  char buf[65536];
  auto drain = [&]() {
    ssize_t n;
    while ((n = read(out_r.get(), buf, sizeof buf)) > 0) {
      if (output) output(std::string_view(buf, n));
    }
    if (n == 0) out_open = false;
  };
  while (!exited) {
    struct pollfd fds[2] = {{pidfd.get(), POLLIN, 0}, {out_open ? out_r.get() : -1, POLLIN, 0}};
    int wait_ms = spec.cancel ? 50 : -1;
    if (spec.process.timeout_seconds > 0 && !timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      wait_ms = wait_ms < 0 ? static_cast<int>(std::max<long>(left, 0)) : std::min<int>(wait_ms, std::max<long>(left, 0));
    }
    int rc = poll(fds, 2, wait_ms);
    if (rc < 0 && errno != EINTR) {
      kill(pid, SIGKILL);
      break;
    }
    if (fds[1].revents) drain();
    if (fds[0].revents) exited = true;
    if (!timed_out && spec.process.timeout_seconds > 0 && Clock::now() >= deadline) {
      timed_out = true;
      kill(pid, SIGKILL);
    }
    if (!cancelled && spec.cancel && spec.cancel->load()) {
      cancelled = true;
      kill(pid, SIGKILL);
    }
  }
  // pid 1 exits only after the kernel has killed the rest of its namespace, so
  // every writer is gone: what is left in the pipe is all there is.
  if (out_open) drain();
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  bool oom = cgroup && cgroup->OomKilled();
  if (cgroup) RETURN_IF_ERROR(cgroup->KillAndRemove());

  std::string cmd = CommandLine(spec.process.args);
  if (timed_out) {
    return Status::Cancelled("process \"" + cmd + "\" did not complete within " +
                             std::to_string(spec.process.timeout_seconds) + "s: killed");
  }
  if (cancelled) return Status::Cancelled("process \"" + cmd + "\" cancelled: killed");
  char msg[65536];
  ssize_t n = recv(parent_sock.get(), msg, sizeof msg, MSG_DONTWAIT);
  if (n > 0 && msg[0] == kMsgError) return ChildError(std::string(msg, n));
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (code != 0) {
    Status s = Status::FailedPrecondition("process \"" + cmd + "\" did not complete successfully: exit code: " +
                                          std::to_string(code));
    if (oom) {
      s = s.WithHint("the step ran out of memory: its limit is " + std::to_string(spec.resources.memory_bytes) +
                     " bytes (kiln build --memory)");
    }
    return s;
  }
  return Status::OK();
}

}  // namespace

std::unique_ptr<Executor> NewNamespaceExecutor() { return std::make_unique<NamespaceExecutor>(); }

void KillAllContainers() {
  for (auto& slot : g_running) {
    pid_t pid = slot.load();
    if (pid > 0) kill(pid, SIGKILL);
  }
}

}  // namespace kiln::runner
