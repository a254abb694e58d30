// Black-box tests of the namespace executor over a busybox rootfs built with
// tests/lib/mkrootfs.sh. They need root (and skip, saying so, without it).
#include "runner/executor.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_dir.h"
#include "runner/executor_fixture.h"

namespace kiln::runner {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(ExecutorTest, TrueLeavesTheUpperDirEmpty) {
  // BuildKit leaves nothing behind for a RUN true: no /proc, /dev, /sys, no
  // /etc/hosts, /etc/resolv.conf or /etc/hostname stubs (the image lacks them).
  ASSERT_TRUE(Run(Sh("true")).ok());
  EXPECT_EQ(Entries(upper_), std::vector<std::string>{});
  struct stat st;
  ASSERT_EQ(stat(upper_.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  // The root overlay is volatile; its marker must not stay behind, or the next
  // mount of the same upper/work would fail.
  EXPECT_EQ(Entries(work_), std::vector<std::string>{"work"});
  EXPECT_EQ(Entries(work_ + "/work"), std::vector<std::string>{});
  EXPECT_TRUE(Run(Sh("true")).ok());
}

TEST_F(ExecutorTest, WritesLandInTheUpperDir) {
  ASSERT_TRUE(Run(Sh("mkdir -p /opt/x && echo hi > /opt/x/f && echo more >> /etc/passwd")).ok());
  EXPECT_EQ(Slurp(upper_ + "/opt/x/f"), "hi\n");
  EXPECT_EQ(Entries(upper_), (std::vector<std::string>{"etc", "opt"}));
  EXPECT_EQ(Entries(upper_ + "/etc"), std::vector<std::string>{"passwd"});
  EXPECT_THAT(Slurp(lower() + "/etc/passwd"), Not(HasSubstr("more")));
}

TEST_F(ExecutorTest, SeesOnlyItsOwnProcessesAsPid1) {
  std::string out = Output(Sh("echo pid=$$; ps -o pid,args; true"));
  EXPECT_THAT(out, HasSubstr("pid=1\n"));
  // Header, sh (pid 1) and ps: nothing of the host.
  std::stringstream ss(out);
  std::string line;
  int lines = 0;
  while (std::getline(ss, line)) ++lines;
  EXPECT_EQ(lines, 4) << out;
  EXPECT_THAT(out, HasSubstr("    1 /bin/sh -c"));
}

TEST_F(ExecutorTest, CannotWriteOutsideItsRoot) {
  std::string marker = "kiln-escape-" + std::to_string(getpid());
  Status s = Run(Sh("echo x > /../../" + marker + "; echo y > /tmp/" + marker + "; "
                    "mkdir -p /mnt && ! mount -t tmpfs none /mnt 2>/dev/null"));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(PathExists("/" + marker));
  EXPECT_FALSE(PathExists("/tmp/" + marker));
  EXPECT_TRUE(PathExists(upper_ + "/" + marker));
  EXPECT_TRUE(PathExists(upper_ + "/tmp/" + marker));
}

TEST_F(ExecutorTest, NetworkNoneHasOnlyLoopbackUp) {
  RunSpec spec = Sh("ip -o link; ip -o addr");
  spec.process.network = ProcessSpec::Network::kNone;
  std::string out = Output(spec);
  std::stringstream ss(out);
  std::string line;
  int links = 0;
  while (std::getline(ss, line)) {
    if (line.find("link/") != std::string::npos) {
      ++links;
      EXPECT_THAT(line, HasSubstr(": lo: <LOOPBACK,UP,LOWER_UP>"));
    }
  }
  EXPECT_EQ(links, 1) << out;
  EXPECT_THAT(out, HasSubstr("inet 127.0.0.1/8"));
}

TEST_F(ExecutorTest, NetworkHostSharesTheHostsLinks) {
  std::string host_links;
  {
    std::ifstream f("/proc/net/dev");
    std::string line;
    int n = 0;
    while (std::getline(f, line)) n += line.find(':') != std::string::npos;
    host_links = std::to_string(n);
  }
  std::string out = Output(Sh("grep -c : /proc/net/dev"));
  EXPECT_EQ(out, host_links + "\n");
}

TEST_F(ExecutorTest, HostnameAndEtcFiles) {
  RunSpec spec = Sh("hostname; cat /etc/hosts; { echo x >> /etc/hosts; } 2>/dev/null || echo ro");
  spec.process.extra_hosts = {"db=10.0.0.7"};
  std::string out = Output(spec);
  EXPECT_EQ(out,
            "buildkitsandbox\n"
            "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "10.0.0.7\tdb\n"
            "ro\n")
      << out;
  EXPECT_EQ(Entries(upper_), std::vector<std::string>{});
}

// `cmd` on an image layer holding /etc/NAME = content above the base rootfs.
}  // namespace

RunSpec ExecutorTest::OverEtcFile(const std::string& name, const std::string& content, const std::string& cmd) {
  std::string lower2 = dir_->path() + "/lower2";
  EXPECT_TRUE(MakeDirs(lower2 + "/etc").ok());
  EXPECT_TRUE(WriteFileAtomic(lower2 + "/etc/" + name, content).ok());
  RunSpec spec = Sh(cmd);
  spec.root.options = "lowerdir=" + lower2 + ":" + lower() + ",upperdir=" + upper_ + ",workdir=" + work_;
  return spec;
}

namespace {

TEST_F(ExecutorTest, EtcFilesOverExistingOnesLeaveThemUntouched) {
  std::string lower2 = dir_->path() + "/lower2";  // OverEtcFile's
  RunSpec spec = OverEtcFile("hosts", "image hosts\n", "cat /etc/hosts");
  EXPECT_THAT(Output(spec), HasSubstr("localhost buildkitsandbox"));
  EXPECT_EQ(Entries(upper_), std::vector<std::string>{});
  EXPECT_EQ(Slurp(lower2 + "/etc/hosts"), "image hosts\n");
}

TEST_F(ExecutorTest, EtcHostnameIsTheImagesOwnFile) {
  // As BuildKit: only the UTS hostname is set; a write to /etc/hostname stays.
  RunSpec spec = OverEtcFile("hostname", "image\n", "hostname; cat /etc/hostname; echo mine > /etc/hostname");
  EXPECT_EQ(Output(spec), "buildkitsandbox\nimage\n");
  EXPECT_EQ(Slurp(upper_ + "/etc/hostname"), "mine\n");
}

TEST_F(ExecutorTest, UserByNameGetsItsGroups) {
  RunSpec spec = Sh("id -u; id -g; id -G; echo $HOME");
  spec.process.user = "app";
  EXPECT_EQ(Output(spec), "1000\n1000\n1000 100\n/home/app\n");
}

TEST_F(ExecutorTest, UserUidGid) {
  RunSpec spec = Sh("id -u; id -g; id -G; echo $HOME");
  spec.process.user = "1000:100";
  EXPECT_EQ(Output(spec), "1000\n100\n100\n/home/app\n");
  spec.process.user = "4242";
  EXPECT_EQ(Output(spec), "4242\n0\n0\n/\n");
}

TEST_F(ExecutorTest, UnknownUserIsAClearError) {
  RunSpec spec = Sh("true");
  spec.process.user = "ghost";
  Status s = Run(spec);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.message(), "unable to find user ghost: no matching entries in passwd file");
}

TEST_F(ExecutorTest, CapabilitiesAndNoNewPrivs) {
  RunSpec spec = Sh("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status");
  EXPECT_EQ(Output(spec),
            "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n"
            "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n");
  spec.process.user = "app";
  EXPECT_EQ(Output(spec),
            "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
            "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n");
}

TEST_F(ExecutorTest, CwdIsCreatedOwnedByTheUser) {
  RunSpec spec = Sh("pwd; stat -c '%u:%g %a' /work /work/deep");
  spec.process.cwd = "/work/deep";
  spec.process.user = "app";
  EXPECT_EQ(Output(spec), "/work/deep\n1000:1000 755\n1000:1000 755\n");
  spec.process.cwd = "/tmp";  // existing: untouched
  EXPECT_EQ(Output(Sh("stat -c '%u:%g %a' /tmp")), "0:0 1777\n");
}

TEST_F(ExecutorTest, ExitCodeIsReportedAsBuildKitDoes) {
  Status s = Run(Sh("false"));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "process \"/bin/sh -c false\" did not complete successfully: exit code: 1");
  s = Run(Sh("exit 42"));
  EXPECT_EQ(s.message(), "process \"/bin/sh -c exit 42\" did not complete successfully: exit code: 42");
  // PID 1 ignores signals from inside its namespace, as under runc; a child
  // killed by a signal gives the shell's 128+N.
  EXPECT_TRUE(Run(Sh("kill -9 $$")).ok());
  s = Run(Sh("sh -c 'kill -9 $$'; exit $?"));
  EXPECT_EQ(s.message(), "process \"/bin/sh -c sh -c 'kill -9 $$'; exit $?\" did not complete successfully: exit code: 137");
}

TEST_F(ExecutorTest, OwnSessionWithoutTerminalAndDefaultSignals) {
  // Session 1 (its own), no controlling terminal, SIGPIPE not ignored even if kiln ignores it.
  signal(SIGPIPE, SIG_IGN);
  std::string out = Output(Sh("cut -d' ' -f6,7 /proc/$$/stat; "
                              "{ echo x > /dev/tty; } 2>/dev/null || echo no-tty; grep SigIgn /proc/self/status; true"));
  signal(SIGPIPE, SIG_DFL);
  EXPECT_EQ(out, "1 0\nno-tty\nSigIgn:\t0000000000000000\n");
}

TEST_F(ExecutorTest, StdinIsDevNull) {
  EXPECT_EQ(Output(Sh("readlink /proc/self/fd/0; cat; echo eof")), "/dev/null\neof\n");
}

TEST_F(ExecutorTest, EnvAsGivenWithDefaultPathAndHome) {
  RunSpec spec = Spec({"env"});
  spec.process.env = {"FOO=bar baz", "EMPTY="};
  std::string out = Output(spec);
  EXPECT_EQ(out, "FOO=bar baz\nEMPTY=\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/root\n");
  spec.process.env = {"PATH=/bin", "HOME=/x"};
  EXPECT_EQ(Output(spec), "PATH=/bin\nHOME=/x\n");
}

TEST_F(ExecutorTest, Argv0IsLookedUpInPath) {
  EXPECT_EQ(Output(Spec({"echo", "hi"})), "hi\n");
  RunSpec spec = Spec({"nope"});
  Status s = Run(spec);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(s.message(), "exec: \"nope\": executable file not found in $PATH");
  spec = Spec({"echo", "x"});
  spec.process.env = {"PATH=/nowhere"};
  EXPECT_FALSE(Run(spec).ok());
}

TEST_F(ExecutorTest, DevProcSys) {
  std::string out = Output(Sh(
      "ls /dev | tr '\\n' ' '; echo; head -c 5 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok; "
      "touch /sys/x 2>/dev/null || echo sys-ro; ls /dev/pts | grep -c ptmx; "
      "grep -E ' /(proc|sys|dev|dev/shm|dev/pts) ' /proc/mounts | cut -d' ' -f2,3 | sort | tr '\\n' ' '"));
  EXPECT_EQ(out,
            "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \n"
            "5\nnull-ok\nsys-ro\n1\n/dev tmpfs /dev/pts devpts /dev/shm tmpfs /proc proc /sys sysfs ")
      << out;
}

TEST_F(ExecutorTest, OutputIsStreamedAsItComes) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point first{};
  std::string out;
  auto start = Clock::now();
  Status s = NewNamespaceExecutor()->Run(Sh("echo one; sleep 1; echo two >&2"), [&](std::string_view c) {
    if (out.empty()) first = Clock::now();
    out.append(c);
  });
  auto end = Clock::now();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "one\ntwo\n");
  EXPECT_LT(first - start, end - start - std::chrono::milliseconds(500));
}

TEST_F(ExecutorTest, MountsBindTmpfsOverlay) {
  std::string host = dir_->path() + "/hostdir";
  ASSERT_TRUE(MakeDirs(host).ok());
  ASSERT_TRUE(WriteFileAtomic(host + "/in", "from host\n").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/file", "a file\n").ok());
  std::string ol = dir_->path() + "/ol";
  ASSERT_TRUE(MakeDirs(ol + "/lower").ok() && MakeDirs(ol + "/upper").ok() && MakeDirs(ol + "/work").ok());
  ASSERT_TRUE(WriteFileAtomic(ol + "/lower/base", "base\n").ok());
  RunSpec spec = Sh(
      "cat /ro/in; { echo w > /ro/w; } 2>/dev/null || echo ro-denied; echo w > /rw/w; cat /one/file; "
      "echo t > /scratch/t && grep -c ' /scratch tmpfs' /proc/mounts; cat /ov/base; echo new > /ov/new");
  spec.mounts = {{"/ro", "bind", host, "", true},
                 {"/rw", "bind", host, "", false},
                 {"/one/file", "bind", dir_->path() + "/file", "", true},
                 {"/scratch", "tmpfs", "", "size=1m", false},
                 {"/ov", "overlay", "", "lowerdir=" + ol + "/lower,upperdir=" + ol + "/upper,workdir=" + ol + "/work", false}};
  EXPECT_EQ(Output(spec), "from host\nro-denied\na file\n1\nbase\n");
  EXPECT_EQ(Slurp(host + "/w"), "w\n");
  EXPECT_EQ(Slurp(ol + "/upper/new"), "new\n");
  // The mountpoints were stubs: nothing of them in the layer.
  EXPECT_EQ(Entries(upper_), std::vector<std::string>{});
}

TEST_F(ExecutorTest, TimeoutKillsTheTreeAndLeavesNoMount) {
  std::string mounts_before = HostMounts();
  // Unique durations make the sleeps themselves findable among host processes.
  std::string marker = "sleep 9" + std::to_string(getpid());
  RunSpec spec = Sh(marker + "1 & " + marker + "2 & (" + marker + "3; echo x) & wait");
  spec.process.timeout_seconds = 1;
  auto start = std::chrono::steady_clock::now();
  Status s = Run(spec);
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("did not complete within 1s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(ProcessesWith(marker), std::vector<int>{});
  EXPECT_EQ(HostMounts(), mounts_before);
}

TEST_F(ExecutorTest, CancelFlagKillsTheProcess) {
  std::atomic<bool> cancel{false};
  RunSpec spec = Sh("sleep 1000");
  spec.cancel = &cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  Status s = Run(spec);
  t.join();
  EXPECT_EQ(s.code(), Code::kCancelled) << s.ToString();
}

TEST_F(ExecutorTest, SigtermOfKilnKillsEverything) {
  std::string mounts_before = HostMounts();
  std::string marker = "sleep 8" + std::to_string(getpid());
  pid_t kiln = fork();
  ASSERT_GE(kiln, 0);
  if (kiln == 0) {
    setenv("TMPDIR", dir_->path().c_str(), 1);  // its run dir is left behind: it dies
    Status s = NewNamespaceExecutor()->Run(Sh(marker + "1 & " + marker + "2 & wait"),
                                           [](std::string_view) {});
    _exit(s.ok() ? 0 : 1);
  }
  // Wait until the container runs.
  for (int i = 0; i < 100 && ProcessesWith(marker + "2").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(ProcessesWith(marker + "2").empty());
  kill(kiln, SIGTERM);
  int st = 0;
  waitpid(kiln, &st, 0);
  EXPECT_TRUE(WIFSIGNALED(st));
  for (int i = 0; i < 100 && !ProcessesWith(marker).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ProcessesWith(marker), std::vector<int>{});
  EXPECT_EQ(HostMounts(), mounts_before);
}

TEST_F(ExecutorTest, BindRootGetsItsStubsRemoved) {
  std::string root = dir_->path() + "/copy";
  ASSERT_EQ(system(("cp -a " + lower() + " " + root).c_str()), 0);
  struct stat before;
  ASSERT_EQ(stat(root.c_str(), &before), 0);
  RunSpec spec = Sh("cat /etc/hosts | grep -c localhost; echo data > /made");
  spec.root = {"/", "bind", root, "", false};
  spec.mounts = {{"/mnt/deep/x", "tmpfs", "", "", false}};
  EXPECT_EQ(Output(spec), "2\n");
  EXPECT_EQ(Entries(root), (std::vector<std::string>{"bin", "etc", "home", "made", "root", "tmp", "usr"}));
  EXPECT_EQ(Entries(root + "/etc"), (std::vector<std::string>{"group", "passwd"}));
}

TEST_F(ExecutorTest, ReadonlyBindRootIsNeverTouched) {
  std::string root = dir_->path() + "/copy";
  ASSERT_EQ(system(("cp -a " + lower() + " " + root).c_str()), 0);
  RunSpec spec = Sh("hostname; ls -d /proc/1 /mnt/x; { touch /new; } 2>/dev/null || echo ro");
  spec.root = {"/", "bind", root, "", true};
  spec.mounts = {{"/mnt/x", "tmpfs", "", "", false}};
  std::atomic<bool> stop{false};
  // Nothing may appear in the directory, not even while the process runs.
  std::thread watcher([&] {
    while (!stop) {
      EXPECT_EQ(Entries(root), (std::vector<std::string>{"bin", "etc", "home", "root", "tmp", "usr"}));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  EXPECT_EQ(Output(spec), "buildkitsandbox\n/mnt/x\n/proc/1\nro\n");
  stop = true;
  watcher.join();
}

TEST_F(ExecutorTest, KillAllContainersKillsRunningOnes) {
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    KillAllContainers();
  });
  Status s = Run(Sh("sleep 1000"));
  killer.join();
  EXPECT_EQ(s.message(), "process \"/bin/sh -c sleep 1000\" did not complete successfully: exit code: 137");
}

TEST_F(ExecutorTest, LowerdirListLongerThanAPage) {
  // mount(2) takes at most a page of options; 150 layers of long paths do not fit.
  std::string lowers;
  for (int i = 0; i < 150; ++i) {
    std::string l = dir_->path() + "/layer-with-a-rather-long-name-to-fill-the-page-" + std::to_string(i);
    ASSERT_TRUE(MakeDirs(l).ok());
    std::ofstream(l + "/f" + std::to_string(i)) << "x";
    lowers += l + ":";
  }
  ASSERT_GT(lowers.size(), 4096u);
  RunSpec spec = Sh("ls / | grep -c '^f'; hostname");
  spec.root.options = "lowerdir=" + lowers + lower() + ",upperdir=" + upper_ + ",workdir=" + work_;
  EXPECT_EQ(Output(spec), "150\nbuildkitsandbox\n");
}

TEST_F(ExecutorTest, ReadonlyRoot) {
  RunSpec spec = Sh("touch /x 2>/dev/null || echo ro; { echo ok > /tmp/t; } 2>/dev/null || echo ro-tmp");
  spec.root.readonly = true;
  EXPECT_EQ(Output(spec), "ro\nro-tmp\n");
}

TEST_F(ExecutorTest, MountErrorsNameTheCallAndErrno) {
  RunSpec spec = Sh("true");
  spec.root.options = "lowerdir=/nonexistent-kiln,upperdir=" + upper_ + ",workdir=" + work_;
  Status s = Run(spec);
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_THAT(s.message(), HasSubstr("mount overlay on /"));
  EXPECT_THAT(s.message(), HasSubstr("ENOENT"));
}

TEST_F(ExecutorTest, ParallelRuns) {
  std::vector<std::thread> threads;
  std::vector<std::string> outs(4);
  std::vector<Status> sts(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      RunSpec spec = Sh("echo run" + std::to_string(i));
      std::string d = dir_->path() + "/p" + std::to_string(i);
      ASSERT_TRUE(MakeDirs(d + "/u").ok() && MakeDirs(d + "/w").ok());
      spec.root.options = "lowerdir=" + lower() + ",upperdir=" + d + "/u,workdir=" + d + "/w";
      sts[i] = Run(spec, &outs[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(sts[i].ok()) << sts[i].ToString();
    EXPECT_EQ(outs[i], "run" + std::to_string(i) + "\n");
  }
}

}  // namespace
}  // namespace kiln::runner
