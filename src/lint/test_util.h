// Test helpers: parse a Dockerfile with the real parser and lint it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frontend/parser.h"
#include "lint/lint.h"

namespace kiln::lint::testing {

inline std::vector<Finding> LintText(const std::string& text, LintOptions opts = {}) {
  auto ast = frontend::Parse(text, "Dockerfile");
  EXPECT_TRUE(ast.ok()) << ast.status().ToString() << "\n" << text;
  if (!ast.ok()) return {};
  return Lint(*ast, opts);
}

// Options that check one hadolint rule alone: no ShellCheck, no build checks, the
// rule's severity forced to error (so it reports whatever its default).
inline LintOptions RuleOptions(const std::string& code) {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  o.overrides[code] = Severity::kError;
  return o;
}

inline int Count(const std::vector<Finding>& fs, const std::string& code) {
  int n = 0;
  for (const auto& f : fs) n += f.code == code;
  return n;
}

inline std::string Describe(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += "  " + std::to_string(f.line) + " " + f.code + ": " + f.message + "\n";
  return s;
}

}  // namespace kiln::lint::testing
