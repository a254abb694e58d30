#include "runner/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/fs.h"

namespace kiln::runner {
namespace {

// runc's default device allow-list (libcontainer/specconv AllowedDevices):
// mknod of anything, rwm of the nodes a container's /dev has.
constexpr const char* kAllowedDevices[] = {
    "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"};

struct Hierarchy {
  std::string mount;                     // where it is mounted
  std::string own;                       // kiln's own cgroup, as a directory under `mount`
  std::vector<std::string> controllers;  // v1: those mounted there; v2: empty
};

struct Layout {
  bool v2 = false;
  std::vector<Hierarchy> hierarchies;  // v2: one
  const Hierarchy* Find(const std::string& controller) const {
    for (const Hierarchy& h : hierarchies)
      for (const std::string& c : h.controllers)
        if (c == controller) return &h;
    return nullptr;
  }
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// kiln's cgroup per hierarchy: /proc/self/cgroup ("ID:controllers:path") joined
// to the cgroup mounts of /proc/self/mountinfo.
Layout Discover() {
  Layout l;
  std::vector<std::pair<std::string, std::string>> own;  // controllers ("" = v2), path
  Result<std::string> cg = ReadFile("/proc/self/cgroup");
  for (const std::string& line : Split(cg.ok() ? *cg : "", '\n')) {
    size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b != std::string::npos) own.emplace_back(line.substr(a + 1, b - a - 1), line.substr(b + 1));
  }
  Result<std::string> mi = ReadFile("/proc/self/mountinfo");
  for (const std::string& line : Split(mi.ok() ? *mi : "", '\n')) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> pre = Split(line.substr(0, dash), ' '), post = Split(line.substr(dash + 3), ' ');
    if (pre.size() < 5 || post.size() < 3) continue;
    const std::string &root = pre[3], &mount = pre[4], &fstype = post[0];
    std::vector<std::string> opts = Split(post[2], ',');
    auto under = [&](const std::string& path) {  // the path as seen from this mount
      if (root == "/") return mount + (path == "/" ? "" : path);
      return path.rfind(root, 0) == 0 ? mount + path.substr(root.size()) : std::string();
    };
    if (fstype == "cgroup2" && mount == "/sys/fs/cgroup") {
      for (const auto& [ctl, path] : own)
        if (ctl.empty()) l.hierarchies = {Hierarchy{mount, under(path), {}}};
      l.v2 = !l.hierarchies.empty();
      return l;
    }
    if (fstype != "cgroup") continue;
    for (const auto& [ctl, path] : own) {
      std::vector<std::string> names = Split(ctl, ',');
      if (names.empty() || std::find(opts.begin(), opts.end(), names[0]) == opts.end()) continue;
      std::string dir = under(path);
      if (!dir.empty()) l.hierarchies.push_back(Hierarchy{mount, dir, names});
    }
  }
  return l;
}

const Layout& TheLayout() {
  static const Layout l = Discover();
  return l;
}

Status WriteCg(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  Fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open", path);
  if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return Status::FromErrno(errno, "write `" + value + "` to", path);
  }
  return Status::OK();
}

std::vector<pid_t> Procs(const std::string& dir) {
  std::vector<pid_t> pids;
  Result<std::string> s = ReadFile(dir + "/cgroup.procs");
  if (!s.ok()) return pids;
  for (const std::string& p : Split(*s, '\n'))
    if (!p.empty()) pids.push_back(static_cast<pid_t>(std::stol(p)));
  return pids;
}

// Step cgroups of kiln processes that died without removing theirs (killed):
// removed once per process, so the parent does not fill up.
void RemoveStale(const std::string& parent) {
  DIR* d = opendir(parent.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    size_t dash = n.find('-');
    if (dash == std::string::npos || n.find_first_not_of("0123456789") != dash) continue;
    pid_t pid = static_cast<pid_t>(std::stol(n.substr(0, dash)));
    if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) rmdir((parent + "/" + n).c_str());
  }
  closedir(d);
}

// `dir`'s parent `kiln` directory, made on first use; on v2 with the
// controllers enabled for its children.
Status MakeParent(const Hierarchy& h, bool v2, const std::string& parent) {
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno(errno, "create cgroup", parent);
  if (v2) {
    // Best effort: a controller that kiln's own cgroup does not pass down is left out.
    for (const char* c : {"+pids", "+memory", "+cpu"}) {
      (void)WriteCg(h.own, "cgroup.subtree_control", c);
      (void)WriteCg(parent, "cgroup.subtree_control", c);
    }
  }
  static std::once_flag once;
  std::call_once(once, [&] { RemoveStale(parent); });
  return Status::OK();
}

std::string StepName() {
  static std::atomic<uint64_t> n{0};
  return std::to_string(getpid()) + "-" + std::to_string(++n);
}

Status ApplyV1(const std::string& ctl, const std::string& dir, const Resources& r) {
  if (ctl == "pids" && r.pids_max > 0) return WriteCg(dir, "pids.max", std::to_string(r.pids_max));
  if (ctl == "memory") return WriteCg(dir, "memory.limit_in_bytes", std::to_string(r.memory_bytes));
  if (ctl == "cpu") {
    RETURN_IF_ERROR(WriteCg(dir, "cpu.cfs_period_us", std::to_string(r.cpu_period_us > 0 ? r.cpu_period_us : 100000)));
    return WriteCg(dir, "cpu.cfs_quota_us", std::to_string(r.cpu_quota_us));
  }
  if (ctl == "devices") {
    RETURN_IF_ERROR(WriteCg(dir, "devices.deny", "a"));
    for (const char* rule : kAllowedDevices) RETURN_IF_ERROR(WriteCg(dir, "devices.allow", rule));
  }
  return Status::OK();
}

Status ApplyV2(const std::string& dir, const Resources& r) {
  if (r.pids_max > 0) {
    Status s = WriteCg(dir, "pids.max", std::to_string(r.pids_max));
    if (!s.ok() && NeedsCgroup(r)) return s.WithHint("kiln's cgroup does not delegate the pids controller");
  }
  if (r.memory_bytes > 0) {
    RETURN_IF_ERROR(WriteCg(dir, "memory.max", std::to_string(r.memory_bytes))
                        .WithHint("kiln's cgroup does not delegate the memory controller"));
  }
  if (r.cpu_quota_us > 0) {
    std::string v = std::to_string(r.cpu_quota_us) + " " + std::to_string(r.cpu_period_us > 0 ? r.cpu_period_us : 100000);
    RETURN_IF_ERROR(WriteCg(dir, "cpu.max", v).WithHint("kiln's cgroup does not delegate the cpu controller"));
  }
  return Status::OK();
}

}  // namespace

bool NeedsCgroup(const Resources& r) {
  return r.memory_bytes > 0 || r.cpu_quota_us > 0 || (r.pids_max > 0 && r.pids_max != Resources::kDefaultPidsMax);
}

Result<StepCgroup> StepCgroup::Create(const Resources& r) {
  const Layout& l = TheLayout();
  StepCgroup cg;
  cg.v2_ = l.v2;
  std::string name = StepName();
  std::vector<std::string> wanted = {"pids", "devices"};
  if (r.memory_bytes > 0) wanted.push_back("memory");
  if (r.cpu_quota_us > 0) wanted.push_back("cpu");
  if (l.v2) wanted = {""};
  for (const std::string& ctl : wanted) {
    const Hierarchy* h = l.v2 ? &l.hierarchies[0] : l.Find(ctl);
    if (!h) {
      if (ctl == "pids" || ctl == "memory" || ctl == "cpu") {
        return Status::FailedPrecondition("no cgroup hierarchy with the " + ctl + " controller is mounted")
            .WithHint("mount cgroup2 on /sys/fs/cgroup (or the v1 " + ctl + " controller)");
      }
      continue;
    }
    std::string parent = h->own + "/kiln", dir = parent + "/" + name;
    RETURN_IF_ERROR(MakeParent(*h, l.v2, parent));
    if (mkdir(dir.c_str(), 0755) != 0) return Status::FromErrno(errno, "create cgroup", dir);
    cg.dirs_.push_back(dir);
    if (r.memory_bytes > 0 && (l.v2 || ctl == "memory")) cg.memory_ = dir;
    RETURN_IF_ERROR(l.v2 ? ApplyV2(dir, r) : ApplyV1(ctl, dir, r));
  }
  if (l.hierarchies.empty()) return Status::FailedPrecondition("no cgroup filesystem is mounted").WithHint("mount cgroup2 on /sys/fs/cgroup");
  return cg;
}

bool StepCgroup::OomKilled() const {
  if (memory_.empty()) return false;
  Result<std::string> s = ReadFile(memory_ + (v2_ ? "/memory.events" : "/memory.oom_control"));
  if (!s.ok()) return false;
  for (const std::string& line : Split(*s, '\n'))
    if (line.rfind("oom_kill ", 0) == 0) return line != "oom_kill 0";
  return false;
}

Status StepCgroup::Add(pid_t pid) {
  for (const std::string& d : dirs_) RETURN_IF_ERROR(WriteCg(d, "cgroup.procs", std::to_string(pid)));
  return Status::OK();
}

Status StepCgroup::KillAndRemove() {
  if (dirs_.empty()) return Status::OK();
  const std::string& dir = dirs_[0];
  if (v2_) (void)WriteCg(dir, "cgroup.kill", "1");
  // Killed tasks cannot fork: each round leaves only children forked since the
  // last read of cgroup.procs, and the pids limit bounds those.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Status result = Status::OK();
  for (std::vector<pid_t> left = Procs(dir); !left.empty(); left = Procs(dir)) {
    if (std::chrono::steady_clock::now() > deadline) {
      result = Status::Internal("cgroup " + dir + ": " + std::to_string(left.size()) + " processes survive SIGKILL");
      break;
    }
    for (pid_t p : left) kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (const std::string& d : dirs_) {
    // An exiting task can keep the directory busy for a moment.
    for (int i = 0; rmdir(d.c_str()) != 0 && errno == EBUSY && i < 500; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  dirs_.clear();
  return result;
}

}  // namespace kiln::runner
