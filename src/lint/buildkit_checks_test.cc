// BuildKit's build checks: three cases per rule, exact messages, and the
// `# check=` directive, per-instruction skip and BUILDKIT_DOCKERFILE_CHECK.
#include <gtest/gtest.h>

#include "lint/test_util.h"

namespace kiln::lint {
namespace {

struct Case {
  const char* rule;
  const char* dockerfile;
  int expected;
  const char* message;  // of the first finding when expected > 0 ("" = not checked)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.rule << " expecting " << c.expected; }

const Case kCases[] = {
    {"StageNameCasing", "FROM debian:12 AS Build\n", 1, "Stage name 'Build' should be lowercase"},
    {"StageNameCasing", "FROM debian:12 AS build\n", 0, ""},
    {"StageNameCasing", "FROM debian:12 AS build-2_x.y\n", 0, ""},
    {"FromAsCasing", "FROM debian:12 as build\n", 1, "'as' and 'FROM' keywords' casing do not match"},
    {"FromAsCasing", "FROM debian:12 AS build\nfrom debian:12 as b2\n", 0, ""},
    {"FromAsCasing", "from debian:12 AS build\n", 1, "'AS' and 'from' keywords' casing do not match"},
    {"NoEmptyContinuation", "FROM debian:12\nRUN echo a \\\n\n  && echo b\n", 1, "Empty continuation line"},
    {"NoEmptyContinuation", "FROM debian:12\nRUN echo a \\\n  && echo b\n", 0, ""},
    {"NoEmptyContinuation", "FROM debian:12\nRUN echo a \\\n# comment\n  && echo b\n", 0, ""},
    {"ConsistentInstructionCasing", "FROM debian:12\nrun true\nRUN true\n", 1,
     "Command 'run' should match the case of the command majority (uppercase)"},
    {"ConsistentInstructionCasing", "from debian:12\nrun true\n", 0, ""},
    {"ConsistentInstructionCasing", "from debian:12\nrun true\nRun true\n", 1,
     "Command 'Run' should match the case of the command majority (lowercase)"},
    {"DuplicateStageName", "FROM debian:12 AS a\nFROM debian:12 AS a\n", 1,
     "Duplicate stage name \"a\", stage names should be unique"},
    {"DuplicateStageName", "FROM debian:12 AS a\nFROM debian:12 AS b\n", 0, ""},
    {"DuplicateStageName", "FROM debian:12 AS a\nFROM debian:12 AS A\n", 1, ""},
    {"ReservedStageName", "FROM debian:12 AS scratch\n", 1,
     "Stage name should not use the same name as reserved stage \"scratch\""},
    {"ReservedStageName", "FROM debian:12 AS build\n", 0, ""},
    {"ReservedStageName", "FROM debian:12 AS context\n", 1, ""},
    {"JSONArgsRecommended", "FROM debian:12\nCMD echo hi\n", 1,
     "JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"},
    {"JSONArgsRecommended", "FROM debian:12\nCMD [\"echo\", \"hi\"]\n", 0, ""},
    {"JSONArgsRecommended", "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\nENTRYPOINT exec app\n", 0, ""},
    {"MaintainerDeprecated", "FROM debian:12\nMAINTAINER me\n", 1,
     "Maintainer instruction is deprecated in favor of using label"},
    {"MaintainerDeprecated", "FROM debian:12\nLABEL maintainer=me\n", 0, ""},
    {"MaintainerDeprecated", "FROM debian:12\nmaintainer me\nMAINTAINER you\n", 2, ""},
    {"UndefinedArgInFrom", "FROM debian:$VERSON\n", 1, "FROM argument 'VERSON' is not declared"},
    {"UndefinedArgInFrom", "ARG VERSION=12\nFROM debian:$VERSION\nFROM --platform=$BUILDPLATFORM debian:12\n", 0, ""},
    {"UndefinedArgInFrom", "ARG VERSION=12\nFROM debian:${VERSON}\n", 1,
     "FROM argument 'VERSON' is not declared (did you mean VERSION?)"},
    {"WorkdirRelativePath", "FROM debian:12\nWORKDIR app\n", 1,
     "Relative workdir \"app\" can have unexpected results if the base image changes"},
    {"WorkdirRelativePath", "FROM debian:12\nWORKDIR /app\nWORKDIR sub\n", 0, ""},
    {"WorkdirRelativePath", "FROM debian:12 AS base\nWORKDIR /app\nFROM base\nWORKDIR sub\n", 0, ""},
    {"UndefinedVar", "FROM debian:12\nCOPY $SRC /dst\n", 1, "Usage of undefined variable '$SRC'"},
    {"UndefinedVar", "FROM debian:12\nARG SRC=.\nENV DST=/d\nCOPY $SRC $DST\nENV PATH=$PATH:/x\n", 0, ""},
    {"UndefinedVar", "FROM debian:12\nARG SRC_DIR=.\nCOPY ${SRC_DIRR} /x\nCOPY ${UNSET:-.} /y\n", 1,
     "Usage of undefined variable '$SRC_DIRR' (did you mean $SRC_DIR?)"},
    {"MultipleInstructionsDisallowed", "FROM debian:12\nCMD [\"a\"]\nCMD [\"b\"]\n", 1,
     "Multiple CMD instructions should not be used in the same stage because only the last one will be used"},
    {"MultipleInstructionsDisallowed", "FROM debian:12\nCMD [\"a\"]\nFROM debian:12\nCMD [\"b\"]\n", 0, ""},
    {"MultipleInstructionsDisallowed",
     "FROM debian:12\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\nHEALTHCHECK NONE\nHEALTHCHECK NONE\n", 2, ""},
    {"LegacyKeyValueFormat", "FROM debian:12\nENV A 1\n", 1,
     "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"},
    {"LegacyKeyValueFormat", "FROM debian:12\nENV A=1\nLABEL a=b\n", 0, ""},
    {"LegacyKeyValueFormat", "FROM debian:12\nLABEL a b c\n", 1,
     "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format"},
    {"InvalidDefaultArgInFrom", "ARG IMAGE\nFROM $IMAGE\n", 1,
     "Default value for ARG $IMAGE results in empty or invalid base image name"},
    {"InvalidDefaultArgInFrom", "ARG IMAGE=debian:12\nFROM $IMAGE\n", 0, ""},
    {"InvalidDefaultArgInFrom", "ARG TAG\nFROM debian:${TAG:-12}\nARG B=Debian\nFROM $B\n", 1, ""},
    {"FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 debian:12\n", 1,
     "FROM --platform flag should not use constant value \"linux/amd64\""},
    {"FromPlatformFlagConstDisallowed", "FROM --platform=$BUILDPLATFORM debian:12\n", 0, ""},
    {"FromPlatformFlagConstDisallowed", "FROM --platform=linux/amd64 debian:12 AS build-amd64\n", 0, ""},
    {"RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM debian:12\n", 1,
     "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"},
    {"RedundantTargetPlatform", "FROM --platform=$BUILDPLATFORM debian:12\n", 0, ""},
    {"RedundantTargetPlatform", "FROM --platform=${TARGETPLATFORM} debian:12\n", 1, ""},
    {"SecretsUsedInArgOrEnv", "FROM debian:12\nARG API_TOKEN\n", 1,
     "Do not use ARG or ENV instructions for sensitive data (ARG \"API_TOKEN\")"},
    {"SecretsUsedInArgOrEnv", "FROM debian:12\nARG TOKENIZER=x\nENV PUBLIC_KEY=y\n", 0, ""},
    {"SecretsUsedInArgOrEnv", "FROM debian:12\nENV DB_PASSWORD=x\n", 1,
     "Do not use ARG or ENV instructions for sensitive data (ENV \"DB_PASSWORD\")"},
    {"ExposeProtoCasing", "FROM debian:12\nEXPOSE 80/TCP\n", 1,
     "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase"},
    {"ExposeProtoCasing", "FROM debian:12\nEXPOSE 80/tcp 53/udp 8080\n", 0, ""},
    {"ExposeProtoCasing", "FROM debian:12\nEXPOSE 80/Udp 81/TCP\n", 2, ""},
    {"ExposeInvalidFormat", "FROM debian:12\nEXPOSE 127.0.0.1:80:80\n", 1,
     "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'"},
    {"ExposeInvalidFormat", "FROM debian:12\nEXPOSE 80\n", 0, ""},
    {"ExposeInvalidFormat", "FROM debian:12\nEXPOSE 8080:80/tcp\n", 1, ""},
};

class CheckCase : public ::testing::TestWithParam<Case> {};

TEST_P(CheckCase, Count) {
  const Case& c = GetParam();
  LintOptions o;
  o.shellcheck = false;
  auto all = testing::LintText(c.dockerfile, o);
  std::vector<Finding> fs;
  for (const auto& f : all)
    if (f.code == c.rule) fs.push_back(f);
  ASSERT_EQ(static_cast<int>(fs.size()), c.expected) << c.dockerfile << testing::Describe(all);
  if (c.expected > 0 && *c.message) EXPECT_EQ(fs[0].message, c.message);
  for (const auto& f : fs) EXPECT_EQ(f.severity, Severity::kWarning);
}

INSTANTIATE_TEST_SUITE_P(BuildKit, CheckCase, ::testing::ValuesIn(kCases));

TEST(CopyIgnoredFile, Dockerignore) {
  LintOptions o;
  o.shellcheck = false;
  o.dockerignore = {"secrets", "*.log", "!keep.log", "build/**"};
  auto fs = testing::LintText(
      "FROM debian:12\nCOPY secrets /s\nADD app.log /l\nCOPY keep.log src /k/\nCOPY build/out/x /x\nCOPY --from=a secrets /y\n", o);
  EXPECT_EQ(testing::Count(fs, "CopyIgnoredFile"), 3) << testing::Describe(fs);
  EXPECT_EQ(fs[0].message, "Attempting to Copy file \"secrets\" that is excluded by .dockerignore");
  o.dockerignore.clear();
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12\nCOPY secrets /s\n", o), "CopyIgnoredFile"), 0);
}

TEST(CopyIgnoredFile, PatternmatcherSemantics) {
  // The patterns mean what they mean to BuildKit's .dockerignore matcher:
  // "**/" matches zero directories too, and a matched parent covers its children.
  LintOptions o;
  o.shellcheck = false;
  o.dockerignore = {"**/*.log", "/docs", "!docs/keep.md"};
  auto fs = testing::LintText(
      "FROM debian:12\nCOPY app.log /a\nCOPY sub/x.log /b\nCOPY docs/a/b.md /c\nCOPY docs/keep.md /d\n"
      "COPY main.c /e\n", o);
  EXPECT_EQ(testing::Count(fs, "CopyIgnoredFile"), 3) << testing::Describe(fs);
}

TEST(CheckDirective, SkipAndError) {
  LintOptions o;
  o.shellcheck = false;
  const char* df = "FROM debian:12 AS Build\nMAINTAINER me\n";
  auto base = testing::LintText(df, o);
  EXPECT_EQ(testing::Count(base, "StageNameCasing"), 1);
  auto skipped = testing::LintText(std::string("# check=skip=StageNameCasing\n") + df, o);
  EXPECT_EQ(testing::Count(skipped, "StageNameCasing"), 0);
  EXPECT_EQ(testing::Count(skipped, "MaintainerDeprecated"), 1);
  auto all = testing::LintText(std::string("# check=skip=all\n") + df, o);
  EXPECT_EQ(testing::Count(all, "StageNameCasing") + testing::Count(all, "MaintainerDeprecated"), 0);
  auto err = testing::LintText(std::string("# check=error=true\n") + df, o);
  for (const auto& f : err)
    if (f.code == "StageNameCasing") EXPECT_EQ(f.severity, Severity::kError);
  // hadolint's rules are not build checks: DL4000 stays.
  EXPECT_EQ(testing::Count(all, "DL4000"), 1);
}

TEST(CheckDirective, BuildArgOverridesDirective) {
  LintOptions o;
  o.shellcheck = false;
  o.build_args["BUILDKIT_DOCKERFILE_CHECK"] = "skip=MaintainerDeprecated";
  auto fs = testing::LintText("# check=skip=StageNameCasing\nFROM debian:12 AS Build\nMAINTAINER me\n", o);
  EXPECT_EQ(testing::Count(fs, "StageNameCasing"), 1);
  EXPECT_EQ(testing::Count(fs, "MaintainerDeprecated"), 0);
  o.build_args["BUILDKIT_DOCKERFILE_CHECK"] = "skip=all";
  fs = testing::LintText("FROM debian:12 AS Build\n", o);
  EXPECT_EQ(testing::Count(fs, "StageNameCasing"), 0);
}

TEST(CheckDirective, PerInstructionSkip) {
  LintOptions o;
  o.shellcheck = false;
  auto fs = testing::LintText(
      "FROM debian:12\n# check=skip=JSONArgsRecommended\nCMD echo a\nFROM debian:12\nCMD echo b\n", o);
  ASSERT_EQ(testing::Count(fs, "JSONArgsRecommended"), 1) << testing::Describe(fs);
  for (const auto& f : fs)
    if (f.code == "JSONArgsRecommended") EXPECT_EQ(f.line, 5);
}

TEST(BuildChecks, CanBeTurnedOff) {
  LintOptions o;
  o.shellcheck = false;
  o.build_checks = false;
  EXPECT_EQ(testing::Count(testing::LintText("FROM debian:12 AS Build\n", o), "StageNameCasing"), 0);
}

// Checks found by lowering (InvalidBaseImagePlatform) go through the same
// directives and skip comments.
TEST(BuildKitExternalChecks, ReportedAndSkippable) {
  LintOptions o;
  o.shellcheck = false;
  o.external_checks = {{"InvalidBaseImagePlatform", "Base image x was pulled with platform \"linux/arm64\"", 2}};
  auto fs = testing::LintText("FROM debian:12 AS a\nFROM x\n", o);
  EXPECT_EQ(testing::Count(fs, "InvalidBaseImagePlatform"), 1) << testing::Describe(fs);
  fs = testing::LintText("# check=skip=InvalidBaseImagePlatform\nFROM debian:12 AS a\nFROM x\n",
                         [&] { auto p = o; p.external_checks[0].line = 3; return p; }());
  EXPECT_EQ(testing::Count(fs, "InvalidBaseImagePlatform"), 0) << testing::Describe(fs);
  fs = testing::LintText("FROM debian:12 AS a\n# check=skip=InvalidBaseImagePlatform\nFROM x\n",
                         [&] { auto p = o; p.external_checks[0].line = 3; return p; }());
  EXPECT_EQ(testing::Count(fs, "InvalidBaseImagePlatform"), 0) << testing::Describe(fs);
}

}  // namespace
}  // namespace kiln::lint
