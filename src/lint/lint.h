// kiln lint: hadolint's rules, ShellCheck on RUN and BuildKit's build checks
// over the frontend's Ast. This is the library entry point; `kiln lint` (the
// CLI, config files, output formats) and `kiln build --check` call Lint().
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "frontend/ast.h"
#include "lint/catalogue.h"

namespace kiln::lint {

struct Finding {
  std::string code;      // "DL3006", "SC2086", "StageNameCasing", "DL1000"
  Severity severity = Severity::kWarning;
  std::string message;
  int line = 0;          // 1-based
  int column = 1;
  std::string file;      // the Ast's filename (or --file-path-in-report)
};

struct LintOptions {
  // hadolint's configuration (already merged from config file, env and flags).
  std::vector<std::string> trusted_registries;  // DL3026; empty = any
  std::vector<std::pair<std::string, std::string>> label_schema;  // name -> text|url|semver|hash|rfc3339|spdx|email
  bool strict_labels = false;
  bool disable_ignore_pragma = false;
  std::map<std::string, Severity> overrides;  // code -> severity (--error/--warning/...)
  std::set<std::string> ignored;              // --ignore codes

  // ShellCheck on shell-form RUN (one process per Dockerfile).
  bool shellcheck = true;
  std::string shellcheck_path = "shellcheck";  // looked up in PATH

  // BuildKit's build checks.
  bool build_checks = true;
  std::map<std::string, std::string> build_args;  // BUILDKIT_DOCKERFILE_CHECK, FROM args
  std::vector<std::string> dockerignore;          // .dockerignore patterns (CopyIgnoredFile)
  // Build checks found outside the linter (InvalidBaseImagePlatform, by lowering):
  // reported as the others, `# check=` directives and skip comments applied.
  struct ExternalCheck {
    std::string rule, message;
    int line = 0;
  };
  std::vector<ExternalCheck> external_checks;
};

// Findings of one Dockerfile, sorted by line (stable), after severity
// overrides, ignores, pragmas and `# check=` directives are applied; rules at
// severity "ignore" are not reported. `notices` (may be null) receives
// one-line notes for the user, e.g. that shellcheck is not installed.
std::vector<Finding> Lint(const frontend::Ast& ast, const LintOptions& options,
                          std::vector<std::string>* notices = nullptr);

// A parse error as hadolint reports it: DL1000, severity error, with the
// error's line and column.
Finding ParseErrorFinding(const Status& error, const std::string& file);

// The failure rule: true when some finding is at least as severe as `threshold`.
bool ShouldFail(const std::vector<Finding>& findings, Severity threshold);

}  // namespace kiln::lint
