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
// Command-aware hadolint rules over each RUN's shell parse (incl. ONBUILD RUN):
// the per-RUN ones (rules_run.cc), then DL3059 and the ones that carry state
// across instructions (rules_stage.cc).
void RunCommandRules(RuleContext& ctx);
void RunConsecutiveRunRule(RuleContext& ctx);  // DL3059
void RunStageCommandRules(RuleContext& ctx);   // DL3009 DL3060 DL3010 DL3042 DL4001 DL4006
// BuildKit's build checks.
void RunBuildChecks(RuleContext& ctx);

// A `# hadolint ...` comment (text after '#', trimmed).
struct Pragma {
  enum Kind { kNone, kIgnore, kGlobalIgnore, kStageIgnore, kShell } kind = kNone;
  std::vector<std::string> codes;  // ignore kinds
  std::string shell;               // kShell
};
Pragma ParsePragma(const std::string& comment);

// Shared command predicates (rules_run.cc).
bool AnyCommand(const ParsedShell& s, bool (*p)(const ShellCommand&));
// A pip install that keeps pip's cache (no --no-cache-dir; not pipx/pipenv).
bool PipInstallKeepsCache(const ShellCommand& c);
// A RUN with a `--mount=type=cache` whose target starts with `dir`.
bool HasCacheDir(const Inst& in, std::string_view dir);
// A path with an archive extension (.tar, .gz, .tgz, ...), quotes removed.
bool IsArchivePath(const std::string& p);

// True for SHELL programs hadolint does not treat as POSIX (pwsh, powershell, cmd).
bool IsNonPosixShell(const std::string& shell);

}  // namespace kiln::lint
