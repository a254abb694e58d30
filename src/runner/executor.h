// Runs one process in an isolated container over prepared mounts (a RUN step).
// Linux namespaces (mount, PID, UTS, IPC, optionally network), pivot_root,
// minimal /dev, /proc, read-only /sys, docker's default capabilities, no_new_privs.
//
// Contract of NewNamespaceExecutor() (needs root):
// - The process is PID 1 of a fresh PID namespace, in fresh mount, UTS and IPC
//   namespaces; Network::kNone adds a network namespace holding only `lo` (up),
//   Network::kHost shares the host's network.
// - The root is `RunSpec::root` (an overlay given as mount options, or a bind of a
//   directory). /etc/hosts and /etc/resolv.conf are read-only binds
//   of files kept outside the root. Mountpoints the image lacks (/proc, /dev, /sys,
//   those files, the destinations of `mounts`) never show up in an overlay's upper
//   dir: a RUN `true` leaves the upper dir empty, as BuildKit does. For a bind root
//   the stubs created are removed afterwards when still empty (BuildKit's
//   MountStubsCleaner), restoring the parent directory's times. A read-only
//   bind root is mounted as a read-only overlay instead, so it is never touched.
// - A root overlay with an upper dir is mounted `volatile`: its unmount does not
//   syncfs the upper filesystem (a native process would not sync either, and a
//   sync costs as much as the writes). Durability of the upper dir is the
//   snapshotter's business (e.g. one syncfs at commit). The marker this leaves
//   in the workdir is removed after the run, so upper and work can be mounted
//   again.
// - Environment: `process.env` as given, plus PATH (the default
//   /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) and HOME (from
//   the user's passwd entry, else "/") only when absent. USER is resolved in the
//   root's /etc/passwd and /etc/group as BuildKit/runc do (supplementary groups
//   from /etc/group when the group is not given explicitly). The cwd is created
//   when missing (mode 0755, owned by the user, as BuildKit does). stdin is
//   /dev/null; stdout and stderr go, interleaved, to the OutputSink as they come.
// - The process runs in a cgroup of its own (runner/cgroup.h) with
//   `resources` applied and the default device allow-list; when the cgroup
//   cannot be made and the resources are the defaults, the step runs without
//   one (a warning on stderr, once); otherwise Run fails before it starts.
// - The whole process tree is killed and every mount vanishes with the mount
//   namespace on exit, failure, timeout, cancellation, and when kiln dies
//   (PR_SET_PDEATHSIG on the thread calling Run; Run blocks until the end).
//   Whatever is left in the step's cgroup is killed, and the cgroup removed,
//   before Run returns.
// Error codes: a non-zero exit is kFailedPrecondition with BuildKit's wording;
// timeout and cancellation are kCancelled; a bad spec, an unknown user or a
// command not found is kInvalidArgument; a failed syscall is kIOError naming the
// call, its operands and errno ("mount overlay on /x: EINVAL (Invalid argument)").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::runner {

struct MountPoint {
  std::string dest;            // absolute path inside the container
  std::string type;            // "overlay", "bind", "tmpfs"
  std::string source;          // bind: host path; overlay/tmpfs: unused
  std::string options;         // overlay: "lowerdir=..,upperdir=..,workdir=.."; tmpfs: "size=..."
  bool readonly = false;
};

struct ProcessSpec {
  std::vector<std::string> args;  // argv; args[0] looked up in PATH of env when not absolute
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";          // created when missing
  std::string user;               // "", "name", "uid", "name:group", "uid:gid"; resolved in the rootfs
  std::string hostname = "buildkitsandbox";
  enum class Network { kHost, kNone } network = Network::kHost;
  std::vector<std::string> extra_hosts;  // "name=ip" appended to /etc/hosts
  int timeout_seconds = 0;               // 0 = none
  // PR_SET_NO_NEW_PRIVS. Note: BuildKit itself runs RUN steps with new
  // privileges allowed (setuid binaries such as sudo work); set false for that.
  bool no_new_privileges = true;
  // BuildKit's insecure mode (RUN --security=insecure under --allow security.insecure):
  // all capabilities, no seccomp filter, no masked paths.
  bool insecure = false;
};

// Limits of one RUN step's cgroup (0 or less: none). The default pids limit
// contains a fork bomb; memory and CPU limits are set only when asked for
// (kiln build --memory, --cpu-quota, --cpu-period, --pids-limit).
struct Resources {
  static constexpr int64_t kDefaultPidsMax = 4096;
  int64_t pids_max = kDefaultPidsMax;
  int64_t memory_bytes = 0;
  int64_t cpu_quota_us = 0;   // CPU time per period
  int64_t cpu_period_us = 0;  // 0: 100000
};

struct RunSpec {
  MountPoint root;                  // the root filesystem ("/"), usually an overlay
  std::vector<MountPoint> mounts;   // further mounts, in order
  ProcessSpec process;
  Resources resources;
  // Polled (every 50 ms) while the process runs: when it becomes true the
  // process tree is killed and Run returns kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// Receives the process's output (stdout and stderr interleaved) as it comes.
using OutputSink = std::function<void(std::string_view chunk)>;

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs to completion. A non-zero exit is an error whose message says
  // "process \"...\" did not complete successfully: exit code: N".
  // Thread-safe: several Runs may proceed at once on different threads.
  virtual Status Run(const RunSpec& spec, const OutputSink& output) = 0;
};

// The namespace-based executor (needs root).
std::unique_ptr<Executor> NewNamespaceExecutor();

// SIGKILLs every container started by this process that is still running.
// Async-signal-safe: meant for a SIGINT/SIGTERM handler that wants to shut down
// cleanly (without a handler, kiln's death kills them anyway via PDEATHSIG).
void KillAllContainers();

}  // namespace kiln::runner
