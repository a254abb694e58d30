// Internal: the rule passes over a Model. Each pass appends raw findings
// (default severities, before overrides and pragmas).
#pragma once

#include <string>
#include <vector>

#include "lint/lint.h"
#include "lint/model.h"

namespace kiln::lint {

struct RuleContext {
  const Model& m;
  const LintOptions& opts;
  std::vector<Finding>& out;

  // Adds `code` at `line` with the catalogue's severity and message (or `message`).
  void Add(const char* code, int line, const std::string& message = "");
};

// Instruction- and stage-level hadolint rules (FROM, COPY, LABEL, USER, ...).
void RunInstructionRules(RuleContext& ctx);
// Command-aware hadolint rules over each RUN's shell parse (incl. ONBUILD RUN).
void RunCommandRules(RuleContext& ctx);
// BuildKit's build checks.
void RunBuildChecks(RuleContext& ctx);

// A `# hadolint ...` comment (text after '#', trimmed).
struct Pragma {
  enum Kind { kNone, kIgnore, kGlobalIgnore, kStageIgnore, kShell } kind = kNone;
  std::vector<std::string> codes;  // ignore kinds
  std::string shell;               // kShell
};
Pragma ParsePragma(const std::string& comment);

// True for SHELL programs hadolint does not treat as POSIX (pwsh, powershell, cmd).
bool IsNonPosixShell(const std::string& shell);

}  // namespace kiln::lint
