// hadolint 2.12's own rule specs (test/Hadolint/Rule/DL*Spec.hs) as cases
// (tests/fixtures/lint/hadolint_specs.txt): each
// Dockerfile is linted with ShellCheck and the build checks off, the rule's
// severity forced to error, and the rule must fire (at the given lines, when
// listed) or stay silent. Cases marked `onbuild` in hadolint's specs appear twice:
// once as written and once with every RUN wrapped in ONBUILD. Where hadolint's
// later releases changed a rule (DL3016 --registry, DL3028 extra args, DL3041
// version parts), the 2.12 behaviour is what is expected here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lint/catalogue.h"
#include "lint/shellcheck.h"
#include "lint/test_util.h"

namespace kiln::lint {
namespace {

struct SpecCase {
  std::string code;
  std::string dockerfile;
  bool fires = false;
  std::string lines;       // "3,5": the exact lines (empty: any)
  std::string registries;  // trusted registries, comma-separated (DL3026)
  std::string labels;      // label schema "name:type,..." (DL3049-DL3058)
  bool strict_labels = false;
};

// The cases of hadolint_specs.txt whose code is SC (`shellcheck`) or not.
std::vector<SpecCase> LoadSpecs(bool shellcheck) {
  std::ifstream in(std::string(KILN_SOURCE_DIR) + "/tests/fixtures/lint/hadolint_specs.txt");
  std::vector<SpecCase> all;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("=== ", 0) == 0) {
      std::istringstream h(line.substr(4));
      SpecCase c;
      std::string word;
      h >> c.code >> word;
      c.fires = word == "fires";
      while (h >> word) {
        if (word.rfind("lines=", 0) == 0) c.lines = word.substr(6);
        if (word.rfind("registries=", 0) == 0) c.registries = word.substr(11);
        if (word.rfind("labels=", 0) == 0) c.labels = word.substr(7);
        if (word == "strict") c.strict_labels = true;
      }
      all.push_back(std::move(c));
    } else if (!all.empty()) {
      all.back().dockerfile += line + "\n";
    }
  }
  std::vector<SpecCase> out;
  for (auto& c : all)
    if ((c.code == "SC") == shellcheck) out.push_back(std::move(c));
  return out;
}

void PrintTo(const SpecCase& c, std::ostream* os) { *os << c.code << (c.fires ? " fires" : " silent"); }

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

TEST(HadolintSpecFile, HasTheCases) {
  EXPECT_GT(LoadSpecs(false).size(), 650u);
  EXPECT_GT(LoadSpecs(true).size(), 20u);
}

class HadolintSpec : public ::testing::TestWithParam<SpecCase> {};

TEST_P(HadolintSpec, Matches) {
  const SpecCase& c = GetParam();
  LintOptions o = testing::RuleOptions(c.code);
  o.trusted_registries = SplitComma(c.registries);
  for (const auto& l : SplitComma(c.labels)) o.label_schema.emplace_back(l.substr(0, l.find(':')), l.substr(l.find(':') + 1));
  o.strict_labels = c.strict_labels;
  auto fs = testing::LintText(c.dockerfile, o);
  std::string lines;
  for (const auto& f : fs)
    if (f.code == c.code) lines += (lines.empty() ? "" : ",") + std::to_string(f.line);
  if (!c.lines.empty()) {
    EXPECT_EQ(lines, c.lines) << c.dockerfile << "findings:\n" << testing::Describe(fs);
  } else {
    EXPECT_EQ(!lines.empty(), c.fires) << c.dockerfile << "findings:\n" << testing::Describe(fs);
  }
}

INSTANTIATE_TEST_SUITE_P(Spec, HadolintSpec, ::testing::ValuesIn(LoadSpecs(false)));

// ShellcheckSpec.hs: whether any SC finding appears (needs Debian's shellcheck).
class ShellcheckSpec : public ::testing::TestWithParam<SpecCase> {};

TEST_P(ShellcheckSpec, Matches) {
  const SpecCase& c = GetParam();
  LintOptions o;
  o.build_checks = false;
  if (!ShellcheckAvailable(o.shellcheck_path)) GTEST_SKIP() << "shellcheck not installed";
  auto fs = testing::LintText(c.dockerfile, o);
  bool any = false;
  for (const auto& f : fs) any = any || f.code.rfind("SC", 0) == 0;
  EXPECT_EQ(any, c.fires) << c.dockerfile << "findings:\n" << testing::Describe(fs);
}

INSTANTIATE_TEST_SUITE_P(Spec, ShellcheckSpec, ::testing::ValuesIn(LoadSpecs(true)));

}  // namespace
}  // namespace kiln::lint
