// The Lint() pipeline: pragmas, overrides, ignores, ShellCheck, parse errors
// and the failure threshold.
#include "lint/lint.h"
#include "lint/model.h"

#include <gtest/gtest.h>

#include "lint/rules.h"
#include "lint/shellcheck.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

using testing::Count;
using testing::LintText;

LintOptions NoExternal() {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  return o;
}

TEST(Pragmas, IgnoreNextInstructionOnly) {
  auto fs = LintText("# hadolint ignore=DL3006\nFROM debian\nFROM ubuntu\n", NoExternal());
  ASSERT_EQ(Count(fs, "DL3006"), 1);
  EXPECT_EQ(fs[0].line, 3);
}

TEST(Pragmas, IgnoreSeveralCodesWithTrailingComment) {
  auto fs = LintText("FROM debian:12\n# hadolint ignore=DL3003,DL3004 # we accept this\nRUN cd /x && sudo ls\n",
                     NoExternal());
  EXPECT_EQ(Count(fs, "DL3003"), 0);
  EXPECT_EQ(Count(fs, "DL3004"), 0);
}

TEST(Pragmas, IgnoreCoversContinuationLinesOfTheInstruction) {
  auto fs = LintText("FROM debian:12\n# hadolint ignore=DL3008\nRUN apt-get update \\\n && apt-get install -y x\n",
                     NoExternal());
  EXPECT_EQ(Count(fs, "DL3008"), 0);
}

TEST(Pragmas, Global) {
  auto fs = LintText("FROM debian\nRUN cd /x\n# hadolint global ignore=DL3006,DL3003\n", NoExternal());
  EXPECT_EQ(Count(fs, "DL3006"), 0);
  EXPECT_EQ(Count(fs, "DL3003"), 0);
}

TEST(Pragmas, StageScope) {
  auto fs = LintText("FROM debian:12 AS a\n# hadolint stage ignore=DL3003\nRUN cd /x\nRUN cd /y\nFROM debian:12\nRUN cd /z\n",
                     NoExternal());
  ASSERT_EQ(Count(fs, "DL3003"), 1);
  for (const auto& f : fs) {
    if (f.code == "DL3003") {
      EXPECT_EQ(f.line, 6);
    }
  }
}

TEST(Pragmas, DisabledByOption) {
  LintOptions o = NoExternal();
  o.disable_ignore_pragma = true;
  auto fs = LintText("# hadolint ignore=DL3006\nFROM debian\n# hadolint global ignore=DL3003\nRUN cd /x\n", o);
  EXPECT_EQ(Count(fs, "DL3006"), 1);
  EXPECT_EQ(Count(fs, "DL3003"), 1);
}

// As in hadolint, the shell pragma steers ShellCheck only: the DL rules still
// look at the commands (DL4006 follows SHELL instructions, not the pragma).
TEST(Pragmas, ShellPragmaOnlySteersShellcheck) {
  auto fs = LintText("FROM mcr.microsoft.com/windows/servercore:ltsc2022\n# hadolint shell=powershell\n"
                     "RUN Get-Process notepad | Stop-Process\nRUN cd x\n",
                     NoExternal());
  EXPECT_EQ(Count(fs, "DL4006"), 1);
  EXPECT_EQ(Count(fs, "DL3003"), 1);
}

TEST(Pragmas, Dl1001ReportsInlinePragmasWhenEnabled) {
  LintOptions o = NoExternal();
  o.overrides["DL1001"] = Severity::kWarning;
  auto fs = LintText("# hadolint ignore=DL3006\nFROM debian\n", o);
  ASSERT_EQ(Count(fs, "DL1001"), 1);
  EXPECT_EQ(fs[0].line, 1);
}

TEST(Options, OverridesAndIgnores) {
  LintOptions o = NoExternal();
  o.overrides["DL3006"] = Severity::kError;
  o.overrides["DL3003"] = Severity::kIgnore;
  o.ignored = {"DL3004"};
  auto fs = LintText("FROM debian\nRUN cd /x && sudo ls\n", o);
  ASSERT_EQ(Count(fs, "DL3006"), 1);
  EXPECT_EQ(fs[0].severity, Severity::kError);
  EXPECT_EQ(Count(fs, "DL3003"), 0);
  EXPECT_EQ(Count(fs, "DL3004"), 0);
}

TEST(Options, SortedByLine) {
  auto fs = LintText("FROM debian\nRUN cd /x\nUSER root\nMAINTAINER x\n", NoExternal());
  for (size_t i = 1; i < fs.size(); ++i) EXPECT_LE(fs[i - 1].line, fs[i].line);
}

TEST(Threshold, ShouldFail) {
  std::vector<Finding> fs(1);
  fs[0].severity = Severity::kInfo;
  EXPECT_TRUE(ShouldFail(fs, Severity::kInfo));
  EXPECT_TRUE(ShouldFail(fs, Severity::kStyle));
  EXPECT_FALSE(ShouldFail(fs, Severity::kWarning));
  EXPECT_FALSE(ShouldFail(fs, Severity::kError));
  EXPECT_TRUE(ShouldFail(fs, Severity::kIgnore));  // `none`: any finding fails
  EXPECT_FALSE(ShouldFail({}, Severity::kIgnore));
}

TEST(ParseError, IsDl1000WithPosition) {
  Status st = Status::InvalidArgument("unknown instruction: FOO").WithLocation({"Dockerfile", 3, 5});
  Finding f = ParseErrorFinding(st, "Dockerfile");
  EXPECT_EQ(f.code, "DL1000");
  EXPECT_EQ(f.severity, Severity::kError);
  EXPECT_EQ(f.line, 3);
  EXPECT_EQ(f.column, 5);
}

TEST(ShellCheck, ScriptsCarryShebangAndExports) {
  auto ast = frontend::Parse("ARG VERSION\nFROM debian:12\nENV FOO=1\nSHELL [\"/bin/bash\", \"-c\"]\n"
                             "RUN echo $FOO\nRUN [\"echo\", \"exec\"]\nONBUILD RUN echo $x\n");
  ASSERT_TRUE(ast.ok());
  Model m = BuildModel(*ast);
  auto scripts = CollectShellScripts(m);
  // hadolint checks exec-form RUNs too (words joined), and ONBUILD triggers in a
  // pass of their own that sees no SHELL/ENV of the stage.
  ASSERT_EQ(scripts.size(), 3u);
  EXPECT_EQ(scripts[0].line, 5);
  EXPECT_EQ(scripts[0].shebang, "/bin/bash");
  EXPECT_NE(scripts[0].text.find("#!/bin/bash\n"), std::string::npos);
  EXPECT_NE(scripts[0].text.find("export FOO=1\n"), std::string::npos);
  EXPECT_EQ(scripts[0].text.find("export VERSION=1\n"), std::string::npos);  // FROM resets ARG/ENV names
  EXPECT_NE(scripts[0].text.find("export http_proxy=1\n"), std::string::npos);
  EXPECT_EQ(scripts[1].line, 6);
  EXPECT_NE(scripts[1].text.find("echo exec\n"), std::string::npos);
  EXPECT_EQ(scripts[2].line, 7);
  EXPECT_EQ(scripts[2].shebang, "/bin/sh");
  EXPECT_EQ(scripts[2].text.find("export FOO=1\n"), std::string::npos);
}

TEST(ShellCheck, NonPosixShellsSkipped) {
  auto ast = frontend::Parse("FROM x:1\nSHELL [\"pwsh\", \"-c\"]\nRUN echo $x\n");
  ASSERT_TRUE(ast.ok());
  EXPECT_TRUE(CollectShellScripts(BuildModel(*ast)).empty());
  auto ast2 = frontend::Parse("FROM x:1\n# hadolint shell=powershell\nRUN echo $x\n");
  ASSERT_TRUE(ast2.ok());
  EXPECT_TRUE(CollectShellScripts(BuildModel(*ast2)).empty());
}

TEST(ShellCheck, FindingsOnTheRunLine) {
  if (!ShellcheckAvailable("shellcheck")) GTEST_SKIP() << "shellcheck not installed";
  LintOptions o;
  o.build_checks = false;
  auto fs = LintText("FROM debian:12\nENV DIR=/x\nRUN echo $1 \\\n  && ls $DIR\nRUN source /etc/x && echo ok\n", o);
  ASSERT_EQ(Count(fs, "SC2086"), 1) << testing::Describe(fs);  // $1 (DIR is a known literal)
  for (const auto& f : fs)
    if (f.code == "SC2086") {
      EXPECT_EQ(f.line, 3);
      EXPECT_EQ(f.severity, Severity::kInfo);
      EXPECT_EQ(f.message, "Double quote to prevent globbing and word splitting.");
    }
  // hadolint 2.12: one SC finding per RUN (the last: SC1091 at `/etc/x` after
  // SC3046 at `source`), in the mocked file system's words.
  ASSERT_EQ(Count(fs, "SC1091"), 1) << testing::Describe(fs);
  EXPECT_EQ(Count(fs, "SC3046"), 0);
  for (const auto& f : fs)
    if (f.code == "SC1091") {
      EXPECT_EQ(f.line, 5);
      EXPECT_EQ(f.message, "Not following: File not included in mock.");
    }
  EXPECT_EQ(Count(fs, "SC2154"), 0);  // DIR is exported from ENV
}

TEST(ShellCheck, OneFindingPerRunTheLastInShellcheckOrder) {
  if (!ShellcheckAvailable("shellcheck")) GTEST_SKIP() << "shellcheck not installed";
  LintOptions o;
  o.build_checks = false;
  // SC2046 (unquoted $(...), column 6) and SC3014 (== in [ ], next script line):
  // hadolint 2.11/2.12 report SC3014 only (hadolint issue #891).
  auto fs = LintText("FROM ubuntu:22.04\nRUN echo $(echo \"x\" ; \\\n  if [ \"Foo\" == \"bar\" ] ; then echo X ; fi)\n", o);
  int sc = 0;
  for (const auto& f : fs) sc += f.code.rfind("SC", 0) == 0;
  EXPECT_EQ(sc, 1) << testing::Describe(fs);
  EXPECT_EQ(Count(fs, "SC3014"), 1) << testing::Describe(fs);
}

TEST(ShellCheck, MissingBinaryGivesANoticeAndDlRulesStillRun) {
  LintOptions o;
  o.build_checks = false;
  o.shellcheck_path = "/nonexistent/shellcheck";
  std::vector<std::string> notices;
  auto ast = frontend::Parse("FROM debian\nRUN echo $1\n");
  ASSERT_TRUE(ast.ok());
  auto fs = Lint(*ast, o, &notices);
  EXPECT_EQ(Count(fs, "DL3006"), 1);
  EXPECT_EQ(Count(fs, "SC2086"), 0);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("shellcheck not found"), std::string::npos);
}

TEST(ShellCheck, PragmaIgnoresScCodes) {
  if (!ShellcheckAvailable("shellcheck")) GTEST_SKIP() << "shellcheck not installed";
  LintOptions o;
  o.build_checks = false;
  auto fs = LintText("FROM debian:12\n# hadolint ignore=SC2086\nRUN echo $1\nRUN echo $2\n", o);
  ASSERT_EQ(Count(fs, "SC2086"), 1);
}

}  // namespace
}  // namespace kiln::lint

namespace kiln::lint {
namespace {
TEST(Pragmas, Parse) {
  auto p = ParsePragma("hadolint ignore=DL3006, SC2086 # because");
  EXPECT_EQ(p.kind, Pragma::kIgnore);
  EXPECT_EQ(p.codes, (std::vector<std::string>{"DL3006", "SC2086"}));
  EXPECT_EQ(ParsePragma("hadolint global ignore=DL3000").kind, Pragma::kGlobalIgnore);
  EXPECT_EQ(ParsePragma("hadolint stage ignore=DL3000").kind, Pragma::kStageIgnore);
  auto s = ParsePragma("hadolint shell=powershell");
  EXPECT_EQ(s.kind, Pragma::kShell);
  EXPECT_EQ(s.shell, "powershell");
  EXPECT_EQ(ParsePragma("hadolintignore=DL3000").kind, Pragma::kNone);
  EXPECT_EQ(ParsePragma("just a comment").kind, Pragma::kNone);
  std::string huge = "hadolint ignore=" + std::string(200000, 'D');
  // hadolint's grammar: the whole comment must parse, rule names are [DLSC0-9]+
  EXPECT_EQ(ParsePragma("hadolint ignore=DL3006 because").kind, Pragma::kNone);
  EXPECT_EQ(ParsePragma("hadolint ignore=dl3006").kind, Pragma::kNone);
  EXPECT_EQ(ParsePragma("hadolint ignore = DL3006 , DL3007").codes.size(), 2u);
  EXPECT_EQ(ParsePragma(huge).codes.size(), 1u);
}

TEST(Robustness, HugeWordsDoNotCrash) {
  std::string big(60000, 'a');  // BuildKit rejects lines over 65535 bytes
  LintOptions o;
  o.shellcheck = false;
  o.label_schema = {{"u", "url"}};
  auto fs = testing::LintText("ARG X\nFROM $X" + big + "\nLABEL u=" + big + "\nARG " + big + "\nCOPY --from=" +
                                  std::string(30, '9') + " a b\n# hadolint ignore=" + big + "\nRUN true\n",
                              o);
  EXPECT_FALSE(fs.empty());
}
}  // namespace
}  // namespace kiln::lint
