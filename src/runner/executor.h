// Runs one process in an isolated container over prepared mounts (a RUN step).
// Linux namespaces (mount, PID, UTS, IPC, optionally network), pivot_root,
// minimal /dev, /proc, read-only /sys, docker's default capabilities, no_new_privs.
#pragma once

#include <functional>
#include <string>
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
};

struct RunSpec {
  MountPoint root;                  // the root filesystem ("/"), usually an overlay
  std::vector<MountPoint> mounts;   // further mounts, in order
  ProcessSpec process;
};

// Receives the process's output (stdout and stderr interleaved) as it comes.
using OutputSink = std::function<void(std::string_view chunk)>;

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs to completion. A non-zero exit is an error whose message says
  // "process \"...\" did not complete successfully: exit code: N".
  virtual Status Run(const RunSpec& spec, const OutputSink& output) = 0;
};

// The namespace-based executor (needs root).
std::unique_ptr<Executor> NewNamespaceExecutor();

}  // namespace kiln::runner
