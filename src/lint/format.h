// Output formats, shaped exactly as hadolint writes them: tty, json,
// checkstyle, codeclimate, gitlab_codeclimate, gnu, codacy, sarif (2.1.0),
// sonarqube and junit (hadolint 2.15). A parse error is a DL1000 finding with
// its line and column in every format.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "lint/lint.h"

namespace kiln::lint {

struct FileResult {
  std::string file;               // as reported (after --file-path-in-report)
  std::vector<Finding> findings;  // sorted by line
};

struct FormatOptions {
  bool color = false;                      // tty only
  std::string version = kHadolintVersion;  // tool version (sarif, junit)
  std::time_t now = 0;                     // junit's run id and name (0: the current time)
};

// The whole report for all files in `format` (an unknown format gives "").
std::string FormatReport(const std::string& format, const std::vector<FileResult>& results,
                         const FormatOptions& options = {});

}  // namespace kiln::lint
