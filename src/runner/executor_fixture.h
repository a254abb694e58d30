// The fixture of the namespace executor's tests (executor_test.cc,
// cgroup_test.cc): a busybox rootfs built with tests/lib/mkrootfs.sh, an
// overlay per case, and helpers that look at the host's processes and mounts.
// The tests need root (and skip, saying so, without it).
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_dir.h"
#include "runner/executor.h"

namespace kiln::runner {

inline std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return {"<cannot open " + dir + ">"};
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Pids of host processes whose command line contains `marker`.
inline std::vector<int> ProcessesWith(const std::string& marker) {
  std::vector<int> pids;
  for (const std::string& e : Entries("/proc")) {
    if (e.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = Slurp("/proc/" + e + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos && std::stoi(e) != getpid()) pids.push_back(std::stoi(e));
  }
  return pids;
}

// Mount points of the host (the test's mount namespace) that the executor could
// leak: those under its run directories and this test's rootfs ("kiln-run*").
// Other tests running in parallel mount and unmount elsewhere.
inline std::string HostMounts() {
  std::stringstream in(Slurp("/proc/self/mountinfo")), out;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::string id, parent, dev, root, mp;
    ls >> id >> parent >> dev >> root >> mp;
    if (mp.find("kiln-run") != std::string::npos) out << mp << "\n";
  }
  return out.str();
}

class ExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0) return;
    Result<TempDir> t = TempDir::Create("kiln-runner-test");
    ASSERT_TRUE(t.ok());
    base_ = new TempDir(std::move(*t));
    std::string cmd = std::string("bash ") + KILN_SOURCE_DIR + "/tests/lib/mkrootfs.sh " + base_->path() + "/lower";
    ASSERT_EQ(system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() {
    delete base_;
    base_ = nullptr;
  }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the namespace executor needs root (running as uid " << geteuid() << ")";
    if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "needs /bin/busybox (apt-get install busybox-static)";
    ASSERT_NE(base_, nullptr);
    dir_ = NewTestDir("kiln-runner-case");
    ASSERT_TRUE(dir_);
    upper_ = dir_->path() + "/upper";
    work_ = dir_->path() + "/work";
    ASSERT_TRUE(MakeDirs(upper_).ok());
    ASSERT_TRUE(MakeDirs(work_).ok());
  }

  RunSpec Spec(std::vector<std::string> args) {
    RunSpec s;
    s.root.type = "overlay";
    s.root.dest = "/";
    s.root.options = "lowerdir=" + lower() + ",upperdir=" + upper_ + ",workdir=" + work_;
    s.process.args = std::move(args);
    return s;
  }
  RunSpec Sh(const std::string& script) { return Spec({"/bin/sh", "-c", script}); }
  RunSpec OverEtcFile(const std::string& name, const std::string& content, const std::string& cmd);

  Status Run(const RunSpec& spec, std::string* out = nullptr) {
    std::string buf;
    Status s = NewNamespaceExecutor()->Run(spec, [&](std::string_view c) { buf.append(c); });
    if (out) *out = buf;
    return s;
  }
  // Runs `script` and returns its output, failing the test on error.
  std::string Output(const RunSpec& spec) {
    std::string out;
    Status s = Run(spec, &out);
    EXPECT_TRUE(s.ok()) << s.ToString() << "\noutput:\n" << out;
    return out;
  }

  static std::string lower() { return base_->path() + "/lower"; }

  inline static TempDir* base_ = nullptr;
  std::unique_ptr<TempDir> dir_;
  std::string upper_, work_;
};


}  // namespace kiln::runner
