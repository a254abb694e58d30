// Runs a helper program (git, cp) for a source op: argv with a working
// directory and extra environment, output captured, cancellable.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "solver/cancel.h"

namespace kiln::solver {

struct CommandResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out, err;
};

// Runs argv[0] (looked up in PATH) in `cwd` ("" = kiln's), with `env`
// ("NAME=value") added to kiln's environment, stdin from /dev/null and umask
// 022. A non-zero exit is a successful Result (the caller judges it); failing
// to start gives an error. When `cancel` is cancelled the child is killed and
// Cancelled returned.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::vector<std::string>& env, CancelToken* cancel);

}  // namespace kiln::solver
