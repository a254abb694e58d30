// ShellCheck on the RUN scripts of one Dockerfile, as hadolint 2.12 runs it:
// each script gets a shebang from the SHELL in effect and `export NAME=1`
// lines for the ARG/ENV names in scope and the proxy variables; SC2187,
// SC1090 and the checks ShellCheck added after 0.8.0 are excluded; SC1091
// says "File not included in mock"; at most one finding per RUN (the last in
// ShellCheck's order, as hadolint's line-keyed Set keeps it), reported on the
// RUN's line. All scripts of a Dockerfile go to ONE shellcheck process (one
// in-memory file per RUN, --format=json1), so the cost is one exec per
// Dockerfile.
#pragma once

#include <string>
#include <vector>

#include "lint/lint.h"
#include "lint/model.h"

namespace kiln::lint {

struct ShellScript {
  int line = 0;          // the RUN's line
  std::string shebang;   // "/bin/sh"
  std::string text;      // the full script given to shellcheck
};

// The scripts hadolint would check: every RUN (exec form as its words joined
// by spaces), in a main pass and a separate pass over ONBUILD triggers, skipping
// non-POSIX shells (SHELL ["pwsh", ...] or `# hadolint shell=powershell`).
std::vector<ShellScript> CollectShellScripts(const Model& m);

// True when `path` (or "shellcheck" in PATH) is an executable.
bool ShellcheckAvailable(const std::string& path);

// Runs shellcheck once over all scripts. An error when it cannot be run.
Result<std::vector<Finding>> RunShellcheck(const std::vector<ShellScript>& scripts, const std::string& path,
                                           const std::string& file);

}  // namespace kiln::lint
