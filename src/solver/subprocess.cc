#include "solver/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace kiln::solver {

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::vector<std::string>& env, CancelToken* cancel) {
  if (argv.empty()) return Status::InvalidArgument("RunCommand: empty argv");
  // Everything the child needs is built before fork (no allocation after it).
  std::vector<std::string> envs;
  for (char** e = environ; *e; e++) envs.emplace_back(*e);
  for (const auto& kv : env) {
    std::string name = kv.substr(0, kv.find('=') + 1);
    std::erase_if(envs, [&](const std::string& s) { return s.rfind(name, 0) == 0; });
    envs.push_back(kv);
  }
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe");
  if (pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close(out[0]);
    close(out[1]);
    return Status::FromErrno(e, "pipe");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    return Status::FromErrno(e, "fork", argv[0]);
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    umask(022);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      dprintf(2, "chdir %s: %s", cwd.c_str(), strerror(errno));
      _exit(127);
    }
    execvpe(args[0], args.data(), envp.data());
    dprintf(2, "exec %s: %s", args[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  CommandResult r;
  bool out_open = true, err_open = true, killed = false;
  while (out_open || err_open) {
    if (cancel && cancel->cancelled() && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    struct pollfd fds[2];
    int nf = 0, iout = -1, ierr = -1;
    if (out_open) { fds[nf] = {out[0], POLLIN, 0}; iout = nf++; }
    if (err_open) { fds[nf] = {err[0], POLLIN, 0}; ierr = nf++; }
    if (poll(fds, nf, 200) < 0 && errno != EINTR) break;
    char buf[8192];
    auto drain = [&](int idx, int fd, std::string& dst, bool& open) {
      if (idx < 0 || !fds[idx].revents) return;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) dst.append(buf, n);
      else if (n == 0 || errno != EINTR) open = false;
    };
    drain(iout, out[0], r.out, out_open);
    drain(ierr, err[0], r.err, err_open);
  }
  close(out[0]);
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (killed) return Status::Cancelled("build cancelled");
  return r;
}

}  // namespace kiln::solver
