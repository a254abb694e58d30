#include "solver/patterns.h"

#include <gtest/gtest.h>

namespace kiln::solver {
namespace {

PatternMatcher M(std::vector<std::string> p) {
  auto m = PatternMatcher::Compile(p);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(PatternsTest, Clean) {
  EXPECT_EQ(CleanRelPath("/a/./b/../c/"), "a/c");
  EXPECT_EQ(CleanRelPath("/"), ".");
  EXPECT_EQ(CleanRelPath(""), ".");
  EXPECT_EQ(CleanRelPath("../x"), "x");
}

TEST(PatternsTest, StarStaysInOneElement) {
  auto m = M({"*.o"});
  EXPECT_TRUE(m.Matches("a.o"));
  EXPECT_FALSE(m.Matches("dir/a.o"));
  EXPECT_FALSE(m.Matches("a.c"));
}

TEST(PatternsTest, DoubleStarCrossesElements) {
  auto m = M({"**/*.o"});
  EXPECT_TRUE(m.Matches("a.o"));
  EXPECT_TRUE(m.Matches("x/y/a.o"));
  auto n = M({"build/**"});
  EXPECT_TRUE(n.Matches("build/a/b"));
}

TEST(PatternsTest, ParentDirectoryMatchExcludesChildren) {
  auto m = M({"node_modules", "/tmp"});
  EXPECT_TRUE(m.Matches("node_modules/x/y.js"));
  EXPECT_TRUE(m.Matches("tmp/a"));
  EXPECT_FALSE(m.Matches("src/node_modules"));
}

TEST(PatternsTest, NegationReincludesAndLastMatchWins) {
  auto m = M({"*.md", "!README.md"});
  EXPECT_TRUE(m.Matches("CHANGES.md"));
  EXPECT_FALSE(m.Matches("README.md"));
  auto n = M({"docs", "!docs/keep.txt"});
  EXPECT_TRUE(n.Matches("docs/x"));
  EXPECT_FALSE(n.Matches("docs/keep.txt"));
  EXPECT_TRUE(n.MayReinclude("docs"));
  EXPECT_FALSE(M({"docs"}).MayReinclude("docs"));
}

TEST(PatternsTest, ClassesAndEscapes) {
  auto m = M({"file[0-9].txt", "a\\*b", "?.c"});
  EXPECT_TRUE(m.Matches("file3.txt"));
  EXPECT_FALSE(m.Matches("filex.txt"));
  EXPECT_TRUE(m.Matches("a*b"));
  EXPECT_FALSE(m.Matches("axb"));
  EXPECT_TRUE(m.Matches("x.c"));
  EXPECT_FALSE(m.Matches("xy.c"));
  EXPECT_TRUE(m.Matches("a.b.c") == false);
}

TEST(PatternsTest, BadPatternIsAnError) {
  auto m = PatternMatcher::Compile({"[abc"});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("[abc"), std::string::npos);
}

}  // namespace
}  // namespace kiln::solver
