// Progress displays, as buildx shows them:
//   plain    BuildKit's plain log: "#N [stage i/n] INSTR", "#N 0.123 output",
//            "#N CACHED", "#N DONE 0.3s", "#N ERROR: ...", "#N CANCELED"
//   tty      a live status board redrawn in place: one line per step with its
//            time, the last lines of output of running steps
//   rawjson  one JSON object per event in the shape of BuildKit's SolveStatus
//            (vertexes / logs, log data base64)
//   quiet    nothing
//   auto     tty when the stream is a terminal, else plain
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"
#include "solver/progress.h"

namespace kiln::solver {

enum class ProgressMode { kAuto, kTty, kPlain, kRawJson, kQuiet };

// "auto", "tty", "plain", "rawjson", "quiet"; InvalidArgument lists the choices.
Result<ProgressMode> ParseProgressMode(const std::string& s);

// A printer writing to `out` (usually stderr). kAuto is resolved here.
std::unique_ptr<ProgressSink> NewProgressPrinter(ProgressMode mode, FILE* out);

}  // namespace kiln::solver
