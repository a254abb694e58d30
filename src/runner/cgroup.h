// The cgroup of one RUN step, under a `kiln` parent beside kiln's own cgroup
// (cgroup v2's unified hierarchy, or the v1 controllers where those are what
// the host has). It holds the step's limits (pids, memory, CPU), the v1
// devices controller's allow-list (runc's default: mknod of any node works,
// opening one outside the list is EPERM) and is how every process of the step
// is killed when it ends; the directories are removed afterwards.
//
// v1: pids and devices always, memory and cpu only when a limit asks for them. v2: one directory with the
// controllers kiln can enable (kiln's parent must let it: the root cgroup, or
// a delegated one); cgroup.kill where the kernel has it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "runner/executor.h"

namespace kiln::runner {

class StepCgroup {
 public:
  // A new, empty cgroup with `r` applied. FailedPrecondition (naming what is
  // missing) when no cgroup filesystem can hold it; see NeedsCgroup.
  static Result<StepCgroup> Create(const Resources& r);
  StepCgroup(StepCgroup&& o) noexcept : dirs_(std::move(o.dirs_)), v2_(o.v2_), memory_(std::move(o.memory_)) { o.dirs_.clear(); }
  StepCgroup& operator=(StepCgroup&&) = delete;
  ~StepCgroup() { (void)KillAndRemove(); }

  // Moves `pid` (and so all it will fork) into the cgroup.
  Status Add(pid_t pid);
  // Whether the kernel's OOM killer killed a process of the step (its memory
  // limit); false without a memory limit.
  bool OomKilled() const;
  // SIGKILLs every process left in the cgroup, waits for them to go and
  // removes its directories. Idempotent.
  Status KillAndRemove();
  // The directories (one on v2; one per controller on v1), for tests.
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  StepCgroup() = default;
  std::vector<std::string> dirs_;
  bool v2_ = false;
  std::string memory_;  // the directory with the memory limit, "" without one
};

// Whether `r` asks for more than the defaults (then a missing cgroup is an
// error rather than a warning).
bool NeedsCgroup(const Resources& r);

}  // namespace kiln::runner
