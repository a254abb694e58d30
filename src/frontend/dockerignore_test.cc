#include "frontend/dockerignore.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "frontend/diagnostic.h"
#include "frontend/path_util.h"
#include "frontend/pattern_matcher.h"

namespace kiln::frontend {
namespace {

using V = std::vector<std::string>;

PatternMatcher Matcher(const V& patterns) {
  auto pm = PatternMatcher::Create(patterns);
  EXPECT_TRUE(pm.ok()) << pm.status().ToString();
  return std::move(pm).value();
}

TEST(Dockerignore, CommentsBlankLinesAndWhitespace) {
  EXPECT_EQ(ParseDockerignore("# comment\n\n  node_modules  \n\t*.log\n #not a comment\n"),
            (V{"node_modules", "*.log", "#not a comment"}));
}

TEST(Dockerignore, PathCleaning) {
  EXPECT_EQ(ParseDockerignore("/abs/path\n./a/../b\na//b/\n/\n"), (V{"abs/path", "b", "a/b", "/"}));
  EXPECT_EQ(ParseDockerignore("! /x\n!./y/\n"), (V{"!x", "!y"}));
}

TEST(Dockerignore, BomAndCrlf) {
  EXPECT_EQ(ParseDockerignore("\xEF\xBB\xBF" "foo\r\nbar\r\n"), (V{"foo", "bar"}));
}

TEST(PatternMatcher, StarDoesNotCrossSlash) {
  PatternMatcher pm = Matcher({"*.log"});
  EXPECT_TRUE(pm.MatchesOrParentMatches("a.log"));
  EXPECT_FALSE(pm.MatchesOrParentMatches("dir/a.log"));
  PatternMatcher q = Matcher({"?.txt"});
  EXPECT_TRUE(q.MatchesOrParentMatches("a.txt"));
  EXPECT_FALSE(q.MatchesOrParentMatches("ab.txt"));
}

TEST(PatternMatcher, DoubleStarSpansDirectories) {
  PatternMatcher pm = Matcher({"**/*.log"});
  EXPECT_TRUE(pm.MatchesOrParentMatches("a.log"));
  EXPECT_TRUE(pm.MatchesOrParentMatches("x/y/a.log"));
  EXPECT_FALSE(pm.MatchesOrParentMatches("x/y/a.txt"));
  PatternMatcher all = Matcher({"**"});
  EXPECT_TRUE(all.MatchesOrParentMatches("anything/at/all"));
  PatternMatcher mid = Matcher({"a/**/b"});
  EXPECT_TRUE(mid.MatchesOrParentMatches("a/b"));
  EXPECT_TRUE(mid.MatchesOrParentMatches("a/x/y/b"));
  EXPECT_FALSE(mid.MatchesOrParentMatches("c/a/b"));
  PatternMatcher suffix = Matcher({"**/node_modules"});
  EXPECT_TRUE(suffix.MatchesOrParentMatches("node_modules"));
  EXPECT_TRUE(suffix.MatchesOrParentMatches("web/node_modules/x.js"));
}

TEST(PatternMatcher, ParentDirectoryMatchCoversChildren) {
  PatternMatcher pm = Matcher({"build"});
  EXPECT_TRUE(pm.MatchesOrParentMatches("build"));
  EXPECT_TRUE(pm.MatchesOrParentMatches("build/out/a.o"));
  EXPECT_FALSE(pm.MatchesOrParentMatches("src/build"));
}

TEST(PatternMatcher, ExceptionsAndLastMatchWins) {
  PatternMatcher pm = Matcher({"*.md", "!README.md"});
  EXPECT_TRUE(pm.MatchesOrParentMatches("CHANGES.md"));
  EXPECT_FALSE(pm.MatchesOrParentMatches("README.md"));
  EXPECT_TRUE(pm.HasExclusions());
  PatternMatcher again = Matcher({"*.md", "!README.md", "README*"});
  EXPECT_TRUE(again.MatchesOrParentMatches("README.md"));
  PatternMatcher dir = Matcher({"docs", "!docs/keep.txt"});
  EXPECT_TRUE(dir.MatchesOrParentMatches("docs/other.txt"));
  EXPECT_FALSE(dir.MatchesOrParentMatches("docs/keep.txt"));
}

TEST(PatternMatcher, Errors) {
  EXPECT_FALSE(PatternMatcher::Create({"!"}).ok());
  EXPECT_FALSE(PatternMatcher::Create({"[abc"}).ok());
  EXPECT_TRUE(PatternMatcher::Create({"[abc]"}).ok());
  EXPECT_TRUE(Matcher({"[ab].txt"}).MatchesOrParentMatches("a.txt"));
  EXPECT_TRUE(Matcher({"a\\*b"}).MatchesOrParentMatches("a*b"));
  EXPECT_FALSE(Matcher({"a\\*b"}).MatchesOrParentMatches("axb"));
}

class DockerignoreFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-di-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel) << text;
  }
  std::string dir_;
};

TEST_F(DockerignoreFiles, DockerfileSpecificWins) {
  Write(".dockerignore", "from-context\n");
  Write("sub/app.Dockerfile", "FROM scratch\n");
  Write("sub/app.Dockerfile.dockerignore", "from-dockerfile\n");
  auto r = ReadDockerignore(dir_, dir_ + "/sub/app.Dockerfile");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->patterns, V{"from-dockerfile"});
  EXPECT_EQ(r->path, dir_ + "/sub/app.Dockerfile.dockerignore");
  auto c = ReadDockerignore(dir_, dir_ + "/Dockerfile");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->patterns, V{"from-context"});
}

TEST_F(DockerignoreFiles, NoneIsEmpty) {
  auto r = ReadDockerignore(dir_, dir_ + "/Dockerfile");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->patterns.empty());
  EXPECT_EQ(r->path, "");
}

TEST(PathUtil, GoSemantics) {
  EXPECT_EQ(PathClean(""), ".");
  EXPECT_EQ(PathClean("/../a/./b//c/"), "/a/b/c");
  EXPECT_EQ(PathClean("../x/.."), "..");
  EXPECT_EQ(PathJoin("/app", "../etc"), "/etc");
  EXPECT_EQ(PathDir("a/b/c"), "a/b");
  EXPECT_EQ(PathDir("c"), ".");
  EXPECT_EQ(PathBase("/a/b/"), "b");
}

TEST(Diagnostic, CaretUnderColumn) {
  Status st = Status::InvalidArgument("unknown stage").WithLocation({"Dockerfile", 2, 6}).WithHint("did you mean x?");
  EXPECT_EQ(FormatDiagnostic(st, "FROM a\nCOPY --from=y / /\n"),
            "Dockerfile:2:6: unknown stage\n  2 | COPY --from=y / /\n    |      ^\n  hint: did you mean x?");
  EXPECT_EQ(ClosestMatch("buidl", {"base", "build"}), "build");
  EXPECT_EQ(ClosestMatch("zzzzzz", {"base", "build"}), "");
}

}  // namespace
}  // namespace kiln::frontend
