// The step cgroup through the namespace executor: limits, the device
// allow-list, no process outliving its step, nothing left in cgroupfs.
#include "runner/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "runner/executor_fixture.h"

namespace kiln::runner {
namespace {

using ::testing::HasSubstr;

// The step's cgroup as the step saw it: the pids hierarchy's line of
// /proc/self/cgroup ("N:pids:/.../kiln/PID-K"), read inside the step.
std::string PidsCgroupOf(const std::string& proc_self_cgroup) {
  std::stringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    std::string rest = line.substr(a + 1);
    if (rest.rfind("pids:", 0) == 0) return rest.substr(5);
    if (rest.rfind(":", 0) == 0) return rest.substr(1);  // v2
  }
  return "";
}

std::string PidsMount() {
  struct stat st;
  return stat("/sys/fs/cgroup/pids", &st) == 0 ? "/sys/fs/cgroup/pids" : "/sys/fs/cgroup";
}

class CgroupTest : public ExecutorTest {};

TEST_F(CgroupTest, EachStepHasItsOwnCgroupRemovedAfterwards) {
  std::string out = Output(Sh("cat /proc/self/cgroup"));
  std::string cg = PidsCgroupOf(out);
  EXPECT_THAT(cg, HasSubstr("/kiln/" + std::to_string(getpid()) + "-")) << out;
  struct stat st;
  EXPECT_NE(stat((PidsMount() + cg).c_str(), &st), 0) << cg << " is still there";
  // The pids limit is on by default.
  EXPECT_EQ(Output(Sh("cat /sys/fs/cgroup/pids" + cg + "/pids.max 2>/dev/null || echo host-sys")), "host-sys\n");
  std::string second = PidsCgroupOf(Output(Sh("cat /proc/self/cgroup")));
  EXPECT_NE(second, cg);
}

TEST_F(CgroupTest, PidsLimitStopsAForkBurst) {
  std::string marker = "sleep 7" + std::to_string(getpid());
  RunSpec spec = Sh("i=0; while [ $i -lt 100 ]; do " + marker + " & i=$((i+1)); done; echo all $i started");
  spec.resources.pids_max = 20;
  std::string out;
  Status s = Run(spec, &out);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString() << "\n" << out;
  EXPECT_THAT(out, HasSubstr("fork")) << out;
  EXPECT_THAT(out, Not(HasSubstr("all 100 started")));
  EXPECT_EQ(ProcessesWith(marker), std::vector<int>{});
}

TEST_F(CgroupTest, BackgroundChildDoesNotOutliveItsStep) {
  std::string marker = "sleep 6" + std::to_string(getpid());
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Output(Sh(marker + " >/dev/null 2>&1 & echo started")), "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(ProcessesWith(marker), std::vector<int>{});
}

TEST_F(CgroupTest, DeviceNodesOutsideTheAllowListCannotBeOpened) {
  // mknod works (as in docker); opening the node does not: loop0 and kvm.
  std::string out = Output(Sh(
      "mknod /tmp/loop0 b 7 0 && mknod /tmp/kvm c 10 232 && echo made;"
      "for d in loop0 kvm; do (exec 3</tmp/$d) 2>/dev/null && echo $d opened || echo $d denied; done;"
      "echo x > /dev/null && head -c 1 /dev/zero | wc -c"));
  EXPECT_EQ(out, "made\nloop0 denied\nkvm denied\n1\n");
}

TEST_F(CgroupTest, MemoryLimitKillsTheStepWithAHint) {
  RunSpec spec = Sh("x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}");
  spec.resources.memory_bytes = 16 << 20;
  Status s = Run(spec);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("exit code: 137"));
  EXPECT_THAT(s.hint(), HasSubstr("ran out of memory"));
  EXPECT_EQ(Output(Sh("x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo ${#x}")), "1000000\n");
}

}  // namespace
}  // namespace kiln::runner
