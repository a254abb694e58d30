// Golden files per output format (tests/fixtures/lint/golden/<format>.out).
// Regenerate with KILN_UPDATE_GOLDEN=1 after checking the diff by hand.
#include "lint/format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

const std::string kDir = std::string(KILN_SOURCE_DIR) + "/tests/fixtures/lint/golden/";

std::vector<FileResult> GoldenResults() {
  std::vector<FileResult> rs;
  for (const char* name : {"Dockerfile", "bad.Dockerfile"}) {
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
  fo.version = "test";
  std::string got = FormatReport(format, GoldenResults(), fo);
  std::string path = kDir + format + ".out";
  if (getenv("KILN_UPDATE_GOLDEN")) ASSERT_TRUE(WriteFileAtomic(path, got).ok());
  auto want = ReadFile(path);
  ASSERT_TRUE(want.ok()) << path;
  EXPECT_EQ(got, *want) << "format " << format;
}

INSTANTIATE_TEST_SUITE_P(Formats, Golden,
                         ::testing::Values("tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu",
                                           "codacy", "sarif", "sonarqube"));

TEST(Formats, ParseErrorIsDl1000WithLineAndColumnEverywhere) {
  auto rs = GoldenResults();
  const Finding& pe = rs[1].findings.at(0);
  ASSERT_EQ(pe.code, "DL1000");
  EXPECT_EQ(pe.line, 3);
  for (const char* f : {"tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate", "gnu", "codacy", "sarif",
                        "sonarqube"}) {
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

// hadolint's sarif driver: exactly these keys (no rules array).
TEST(Formats, SarifDriverAsHadolint) {
  auto j = nlohmann::json::parse(FormatReport("sarif", GoldenResults()));
  EXPECT_EQ(j["version"], "2.1.0");
  const auto& driver = j["runs"][0]["tool"]["driver"];
  std::vector<std::string> keys;
  for (auto it = driver.begin(); it != driver.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"downloadUri", "fullName", "name", "shortDescription", "version"}));
  EXPECT_EQ(j["runs"][0]["defaultSourceLanguage"], "dockerfile");
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
