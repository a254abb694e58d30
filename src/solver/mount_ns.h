// A private mount namespace for the solver's own mounts (file ops over an
// overlay snapshot, the final rootfs for an export). A dedicated thread
// unshares its mount namespace and performs the mounts; any thread reaches
// them through /proc/self/task/<tid>/root. When the object is destroyed (or
// kiln dies) the thread ends and every mount vanishes with the namespace:
// nothing leaks into the host's mount table.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <thread>

#include "base/status.h"
#include "cache/snapshotter.h"

namespace kiln::solver {

class MountNamespace {
 public:
  static Result<std::unique_ptr<MountNamespace>> Create();
  ~MountNamespace();

  // Mounts `spec` (overlay, or a bind directory used as is) and returns a path
  // to it usable from any thread. `scratch` is a directory for the mountpoint.
  // A writable overlay is mounted `volatile`: going away, it does not sync the
  // whole upper filesystem (a snapshot's durability is the snapshotter's
  // business, as for the runner's root); Unmount removes the marker it leaves.
  Result<std::string> Mount(const cache::MountSpec& spec, const std::string& scratch);
  // Unmounts a path returned by Mount (a no-op for bind specs).
  Status Unmount(const std::string& path);

 private:
  MountNamespace() = default;
  Status Call(std::function<Status()> fn);  // runs fn on the namespace thread
  void Loop();

  std::thread thread_;
  pid_t tid_ = 0;
  std::mutex call_mu_, mu_;
  std::condition_variable cv_;
  std::function<Status()> job_;
  Status job_status_;
  bool has_job_ = false, job_done_ = false, stop_ = false, ready_ = false;
  Status init_status_;
  std::string prefix_;  // /proc/<pid>/task/<tid>/root
  std::map<std::string, std::string> volatile_markers_;  // mount target -> marker dir (guarded by mu_)
};

}  // namespace kiln::solver
