#include "solver/mount_ns.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "base/fs.h"

namespace kiln::solver {

Result<std::unique_ptr<MountNamespace>> MountNamespace::Create() {
  std::unique_ptr<MountNamespace> ns(new MountNamespace());
  ns->thread_ = std::thread([p = ns.get()] { p->Loop(); });
  std::unique_lock l(ns->mu_);
  ns->cv_.wait(l, [&] { return ns->ready_; });
  if (!ns->init_status_.ok()) {
    Status st = ns->init_status_;
    l.unlock();
    return st;  // the destructor joins the (finished) thread
  }
  return ns;
}

MountNamespace::~MountNamespace() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MountNamespace::Loop() {
  Status init;
  if (unshare(CLONE_NEWNS) != 0) init = Status::FromErrno(errno, "unshare mount namespace");
  else if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    init = Status::FromErrno(errno, "make mounts private in", "/");
  std::unique_lock l(mu_);
  tid_ = static_cast<pid_t>(syscall(SYS_gettid));
  prefix_ = "/proc/" + std::to_string(getpid()) + "/task/" + std::to_string(tid_) + "/root";
  init_status_ = init;
  ready_ = true;
  cv_.notify_all();
  if (!init.ok()) return;
  for (;;) {
    cv_.wait(l, [&] { return stop_ || has_job_; });
    if (has_job_) {
      auto job = std::move(job_);
      has_job_ = false;
      l.unlock();
      Status st = job();
      l.lock();
      job_status_ = st;
      job_done_ = true;
      cv_.notify_all();
      continue;
    }
    if (stop_) return;
  }
}

Status MountNamespace::Call(std::function<Status()> fn) {
  std::lock_guard serial(call_mu_);  // one job at a time
  std::unique_lock l(mu_);
  job_ = std::move(fn);
  has_job_ = true;
  job_done_ = false;
  cv_.notify_all();
  cv_.wait(l, [&] { return job_done_; });
  return job_status_;
}

Result<std::string> MountNamespace::Mount(const cache::MountSpec& spec, const std::string& scratch) {
  if (spec.type != "overlay") return spec.dir;
  static std::atomic<int> counter{0};
  std::string target = scratch + "/m" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  RETURN_IF_ERROR(MakeDirs(target, 0700));
  std::string opts = spec.OverlayOptions();
  unsigned long flags = spec.readonly ? MS_RDONLY : 0;
  bool vol = !spec.readonly && !spec.upper.empty() && !spec.work.empty();
  RETURN_IF_ERROR(Call([&]() -> Status {
    if (vol && mount("overlay", target.c_str(), "overlay", flags, (opts + ",volatile").c_str()) == 0) return Status::OK();
    vol = false;  // a kernel without volatile overlays (before 5.10)
    if (mount("overlay", target.c_str(), "overlay", flags, opts.c_str()) != 0)
      return Status::FromErrno(errno, "mount overlay on", target + " (" + opts + ")");
    return Status::OK();
  }));
  if (vol) {
    std::lock_guard l(mu_);
    volatile_markers_[target] = spec.work + "/work/incompat";
  }
  return prefix_ + target;
}

Status MountNamespace::Unmount(const std::string& path) {
  if (path.rfind(prefix_, 0) != 0) return Status::OK();
  std::string target = path.substr(prefix_.size());
  RETURN_IF_ERROR(Call([&]() -> Status {
    if (umount2(target.c_str(), MNT_DETACH) != 0) return Status::FromErrno(errno, "unmount", target);
    return Status::OK();
  }));
  (void)rmdir(target.c_str());
  std::string marker;
  {
    std::lock_guard l(mu_);
    if (auto it = volatile_markers_.find(target); it != volatile_markers_.end()) {
      marker = it->second;
      volatile_markers_.erase(it);
    }
  }
  // The next mount of this upper dir would refuse the marker a volatile mount left.
  if (!marker.empty()) RETURN_IF_ERROR(RemoveAll(marker));
  return Status::OK();
}

}  // namespace kiln::solver
