#include "frontend/shell_lex.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace kiln::frontend {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// BuildKit's envVarTest table: PLATFORM|input|expected.
TEST(ShellLex, EnvVarTestTable) {
  VarList env;
  env.Set("PWD", "/home");
  env.Set("SHELL", "bash");
  env.Set("KOREAN", "한국어");
  env.Set("NULL", "");
  ShellLex lex('\\');
  int checked = 0;
  for (const std::string& line : ReadLines(std::string(KILN_SHARED_DIR) + "/conformance/buildkit-shell/envVarTest")) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('|');
    size_t b = line.find('|', a + 1);
    ASSERT_NE(b, std::string::npos) << line;
    std::string plat = line.substr(0, a);
    if (plat != "A" && plat != "U") continue;
    std::string input = Trim(line.substr(a + 1, b - a - 1));
    std::string expected = Trim(line.substr(b + 1));
    auto r = lex.ProcessWord(input, env);
    if (expected == "error") {
      EXPECT_FALSE(r.ok()) << "input " << input << " gave " << (r.ok() ? *r : "");
    } else {
      ASSERT_TRUE(r.ok()) << "input " << input << ": " << r.status().ToString();
      EXPECT_EQ(*r, expected) << "input " << input;
    }
    checked++;
  }
  EXPECT_GT(checked, 200);
}

// BuildKit's wordsTest table: input | w1,w2,...; "ENV k=v" lines extend the env.
TEST(ShellLex, WordsTestTable) {
  VarList env;
  ShellLex lex('\\');
  int checked = 0;
  for (const std::string& line : ReadLines(std::string(KILN_SHARED_DIR) + "/conformance/buildkit-shell/wordsTest")) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("ENV ", 0) == 0) {
      std::string kv = line.substr(4);
      size_t eq = kv.find('=');
      env.Set(kv.substr(0, eq), kv.substr(eq + 1));
      continue;
    }
    size_t bar = line.find('|');
    ASSERT_NE(bar, std::string::npos) << line;
    std::string input = Trim(line.substr(0, bar));
    // Expected words keep their spaces except the one after "|".
    std::string expected = line.substr(bar + 1);
    if (!expected.empty() && expected[0] == ' ') expected.erase(0, 1);
    auto r = lex.ProcessWords(input, env);
    if (expected == "error") {
      EXPECT_FALSE(r.ok()) << input;
      checked++;
      continue;
    }
    ASSERT_TRUE(r.ok()) << input << ": " << r.status().ToString();
    std::vector<std::string> want;
    std::stringstream ss(expected);
    std::string w;
    while (std::getline(ss, w, ',')) want.push_back(w);
    EXPECT_EQ(*r, want) << "input [" << input << "]";
    checked++;
  }
  EXPECT_GT(checked, 20);
}

std::string Expand(const std::string& word, const VarList& env) {
  auto r = ShellLex('\\').ProcessWord(word, env);
  return r.ok() ? *r : "ERROR: " + r.status().message();
}

TEST(ShellLex, PrefixAndSuffixPatterns) {
  VarList env;
  env.Set("path", "/usr/local/lib/libfoo.so.1");
  env.Set("file", "archive.tar.gz");
  EXPECT_EQ(Expand("${path#*/}", env), "usr/local/lib/libfoo.so.1");
  EXPECT_EQ(Expand("${path##*/}", env), "libfoo.so.1");
  EXPECT_EQ(Expand("${file%.*}", env), "archive.tar");
  EXPECT_EQ(Expand("${file%%.*}", env), "archive");
  EXPECT_EQ(Expand("${file#archive}", env), ".tar.gz");
  EXPECT_EQ(Expand("${file#nomatch}", env), "archive.tar.gz");
  EXPECT_EQ(Expand("${file%.g?}", env), "archive.tar");
  EXPECT_EQ(Expand("${unset#a}", env), "");
  EXPECT_EQ(Expand("${file#\\*}", env), "archive.tar.gz");
  // ':' before # or % is not a modifier.
  EXPECT_EQ(Expand("${file:#a}", env).rfind("ERROR", 0), 0u);
  EXPECT_EQ(Expand("${file:%a}", env).rfind("ERROR", 0), 0u);
}

TEST(ShellLex, ReplacePatterns) {
  VarList env;
  env.Set("v", "a-b-c");
  env.Set("s", "hello world");
  EXPECT_EQ(Expand("${v/-/_}", env), "a_b-c");
  EXPECT_EQ(Expand("${v//-/_}", env), "a_b_c");
  EXPECT_EQ(Expand("${v//-}", env), "ERROR: failed to process \"${v//-}\": syntax error: missing '/' in ${}");
  EXPECT_EQ(Expand("${v//-/}", env), "abc");
  EXPECT_EQ(Expand("${s/o*/X}", env), "hellX");
  EXPECT_EQ(Expand("${s/wor?d/there}", env), "hello there");
  EXPECT_EQ(Expand("${v/x/y}", env), "a-b-c");
  EXPECT_EQ(Expand("${v/\\//y}", env), "a-b-c");
  EXPECT_EQ(Expand("${v/a/$s}", env), "hello world-b-c");
}

TEST(ShellLex, ErrorsNameTheWord) {
  VarList env;
  auto r = ShellLex('\\').ProcessWord("${X:?must be set}", env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "failed to process \"${X:?must be set}\": X: must be set");
  r = ShellLex('\\').ProcessWord("${X?}", env);
  EXPECT_EQ(r.status().message(), "failed to process \"${X?}\": X: is not allowed to be unset");
}

TEST(ShellLex, BacktickEscape) {
  VarList env;
  env.Set("A", "1");
  ShellLex lex('`');
  EXPECT_EQ(*lex.ProcessWord("C:\\dir`$A", env), "C:\\dir$A");
  EXPECT_EQ(*lex.ProcessWord("\"x`\"y\"", env), "x\"y");
}

TEST(ShellLex, MatchesAndSkipUnset) {
  VarList env;
  env.Set("A", "1");
  auto r = ShellLex('\\').Process("$A ${B:-x}", env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->matched, std::set<std::string>{"A"});
  EXPECT_EQ(r->unmatched, std::set<std::string>{"B"});
  ShellLex keep('\\');
  keep.skip_unset_env = true;
  keep.raw_quotes = true;
  EXPECT_EQ(*keep.ProcessWord("echo $A $B '${C}' ${D:-z}", env), "echo 1 $B '${C}' ${D:-z}");
}

TEST(ShellLex, GoQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(GoQuote("\x01"), "\"\\x01\"");
  EXPECT_EQ(GoQuote("\xff\xc3\xa9"), "\"\\xff\xc3\xa9\"");
}

TEST(ShellLex, GoQuoteRune) {
  EXPECT_EQ(text::GoQuoteRune(0), "'\\x00'");
  EXPECT_EQ(text::GoQuoteRune(3), "'\\x03'");
  EXPECT_EQ(text::GoQuoteRune(10), "'\\n'");
  EXPECT_EQ(text::GoQuoteRune(65), "'A'");
  EXPECT_EQ(text::GoQuoteRune('\''), "'\\''");
  EXPECT_EQ(text::GoQuoteRune('"'), "'\"'");
  EXPECT_EQ(text::GoQuoteRune(0x7f), "'\\x7f'");
  EXPECT_EQ(text::GoQuoteRune(0xa0), "'\\u00a0'");
  EXPECT_EQ(text::GoQuoteRune(0xe9), "'\xc3\xa9'");
  EXPECT_EQ(text::GoQuoteRune(-1), "'\xef\xbf\xbd'");
}

}  // namespace
}  // namespace kiln::frontend
