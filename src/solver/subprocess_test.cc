#include "solver/subprocess.h"

#include <gtest/gtest.h>

#include <thread>

namespace kiln::solver {
namespace {

TEST(RunCommand, CapturesOutputExitCodeAndEnv) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; echo $KILN_T; pwd; exit 3"}, "/tmp", {"KILN_T=v"}, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\nv\n/tmp\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(RunCommand, MissingProgramExits127) {
  auto r = RunCommand({"kiln-no-such-program"}, "", {}, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_NE(r->err.find("kiln-no-such-program"), std::string::npos);
}

TEST(RunCommand, CancelKillsTheChild) {
  CancelToken cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel.Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({"sleep", "30"}, "", {}, &cancel);
  t.join();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace kiln::solver
