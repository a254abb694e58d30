// Golden files per output format (tests/fixtures/lint/golden/<format>.out).
// Regenerate with KILN_UPDATE_GOLDEN=1 after checking the diff by hand.
#include "lint/format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

const std::string kDir = std::string(KILN_SOURCE_DIR) + "/tests/fixtures/lint/golden/";

std::vector<FileResult> GoldenResults() {
  std::vector<FileResult> rs;
  for (const char* name : {"Dockerfile", "bad.Dockerfile", "clean.Dockerfile"}) {
    auto text = ReadFile(kDir + name);
    EXPECT_TRUE(text.ok());
    FileResult r;
    r.file = name;
    auto ast = frontend::Parse(*text, name);
    if (!ast.ok()) {
      r.findings.push_back(ParseErrorFinding(ast.status(), name));
    } else {
      LintOptions o;
      o.shellcheck = false;
      r.findings = Lint(*ast, o);
    }
    rs.push_back(r);
  }
  return rs;
}

class Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(Golden, MatchesFile) {
  std::string format = GetParam();
  FormatOptions fo;
  fo.now = 1786000000;  // junit names the run by its time
  std::string got = FormatReport(format, GoldenResults(), fo);
  std::string path = kDir + format + ".out";
  if (getenv("KILN_UPDATE_GOLDEN")) ASSERT_TRUE(WriteFileAtomic(path, got).ok());
  auto want = ReadFile(path);
  ASSERT_TRUE(want.ok()) << path;
  EXPECT_EQ(got, *want) << "format " << format;
}

INSTANTIATE_TEST_SUITE_P(Formats, Golden,
                         ::testing::Values("tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu",
                                           "codacy", "sarif", "sonarqube", "junit"));

TEST(Formats, ParseErrorIsDl1000WithLineAndColumnEverywhere) {
  auto rs = GoldenResults();
  const Finding& pe = rs[1].findings.at(0);
  ASSERT_EQ(pe.code, "DL1000");
  EXPECT_EQ(pe.line, 3);
  for (const char* f : {"tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu", "codacy", "sarif",
                        "sonarqube", "junit"}) {
    std::string out = FormatReport(f, {rs[1]});
    // hadolint's gnu format prints the position and the parser's message only;
    // codacy has no column.
    if (std::string(f) != "gnu") EXPECT_NE(out.find("DL1000"), std::string::npos) << f;
    if (std::string(f) != "codacy") EXPECT_NE(out.find(std::to_string(pe.column)), std::string::npos) << f;
  }
}

TEST(Formats, JsonShape) {
  auto j = nlohmann::json::parse(FormatReport("json", GoldenResults()));
  ASSERT_TRUE(j.is_array());
  ASSERT_FALSE(j.empty());
  std::vector<std::string> keys;
  for (auto it = j[0].begin(); it != j[0].end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"code", "column", "file", "level", "line", "message"}));
}

// hadolint's sarif driver (its version hadolint's), plus the rules the results
// name with their help URIs.
TEST(Formats, SarifDriverAsHadolintWithRuleHelpUris) {
  auto j = nlohmann::json::parse(FormatReport("sarif", GoldenResults()));
  EXPECT_EQ(j["version"], "2.1.0");
  const auto& driver = j["runs"][0]["tool"]["driver"];
  std::vector<std::string> keys;
  for (auto it = driver.begin(); it != driver.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"downloadUri", "fullName", "name", "rules", "shortDescription", "version"}));
  EXPECT_EQ(driver["version"], "2.15.1");
  EXPECT_EQ(j["runs"][0]["defaultSourceLanguage"], "dockerfile");
  std::map<std::string, std::string> help;
  for (const auto& r : driver["rules"]) help[r["id"]] = r["helpUri"];
  std::set<std::string> used;
  for (const auto& res : j["runs"][0]["results"]) used.insert(res["ruleId"].get<std::string>());
  EXPECT_EQ(help.size(), used.size());  // each rule named once
  EXPECT_EQ(help["DL3006"], "https://github.com/hadolint/hadolint/wiki/DL3006");
  EXPECT_EQ(help["StageNameCasing"], "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/");
  EXPECT_EQ(HelpUri("SC2086"), "https://www.shellcheck.net/wiki/SC2086");
}

// hadolint 2.15: a clean file still gets its <file> node.
TEST(Formats, CheckstyleNamesCleanFiles) {
  std::string out = FormatReport("checkstyle", {FileResult{"clean.Dockerfile", {}}});
  EXPECT_EQ(out, "<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'><file name='clean.Dockerfile' >"
                 "</file></checkstyle>");
}

TEST(Formats, JunitSuitePerFileCasePerFinding) {
  FormatOptions fo;
  fo.now = 1786000000;  // 2026-08-06 07:06:40 UTC
  auto rs = GoldenResults();
  std::string out = FormatReport("junit", rs, fo);
  EXPECT_EQ(out.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites id=\"20260806_070640\" "
                      "name=\"Hadolint run at 2026-08-06 07:06:40\" time=\"0.001\">", 0), 0u) << out;
  size_t cases = 0, pos = 0;
  while ((pos = out.find("<testcase ", pos)) != std::string::npos) ++cases, ++pos;
  EXPECT_EQ(cases, rs[0].findings.size() + rs[1].findings.size());
  EXPECT_NE(out.find("<testsuite errors=\"1\" failures=\"1\" id=\"hadolint\" name=\"Hadolint 2.15.1\""), std::string::npos);
  EXPECT_NE(out.find("<testsuite errors=\"0\" failures=\"0\" id=\"hadolint\" name=\"Hadolint 2.15.1\" time=\"0.001\"/>"),
            std::string::npos);
}

TEST(Formats, CodacyIsOneObjectPerLine) {
  std::string out = FormatReport("codacy", GoldenResults());
  size_t lines = std::count(out.begin(), out.end(), '\n');
  size_t total = 0;
  for (const auto& r : GoldenResults()) total += r.findings.size();
  EXPECT_EQ(lines, total);
  auto first = nlohmann::json::parse(out.substr(0, out.find('\n')));
  std::vector<std::string> keys;
  for (auto it = first.begin(); it != first.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"filename", "line", "message", "patternId"}));
}

TEST(Formats, GitlabFingerprintsAreSha1OfTheIssue) {
  auto j = nlohmann::json::parse(FormatReport("gitlab_codeclimate", GoldenResults()));
  std::set<std::string> fps;
  for (const auto& issue : j) {
    std::string fp = issue["fingerprint"];
    EXPECT_EQ(fp.size(), 40u);
    fps.insert(fp);
  }
  EXPECT_EQ(fps.size(), j.size());  // distinct issues, distinct fingerprints
}

TEST(Formats, CodeclimateIsNulSeparated) {
  std::string out = FormatReport("codeclimate", GoldenResults());
  size_t n = std::count(out.begin(), out.end(), '\0');
  size_t total = 0;
  for (const auto& r : GoldenResults()) total += r.findings.size();
  EXPECT_EQ(n, total);
}

}  // namespace
}  // namespace kiln::lint
