// Merged from the former frontend (dockerignore_test), solver (patterns_test)
// and fileop (match_test) matcher tests.
#include "base/pattern_matcher.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

using V = std::vector<std::string>;

PatternMatcher M(const V& patterns) {
  auto pm = PatternMatcher::Create(patterns);
  EXPECT_TRUE(pm.ok()) << pm.status().ToString();
  return std::move(pm).value();
}

TEST(PatternMatcher, StarDoesNotCrossSlash) {
  PatternMatcher pm = M({"*.log"});
  EXPECT_TRUE(pm.Matches("a.log"));
  EXPECT_FALSE(pm.Matches("dir/a.log"));
  PatternMatcher q = M({"?.txt"});
  EXPECT_TRUE(q.Matches("a.txt"));
  EXPECT_FALSE(q.Matches("ab.txt"));
  PatternMatcher o = M({"*.o"});
  EXPECT_TRUE(o.Matches("a.o"));
  EXPECT_FALSE(o.Matches("dir/a.o"));
  EXPECT_FALSE(o.Matches("a.c"));
}

TEST(PatternMatcher, DoubleStarSpansDirectories) {
  PatternMatcher pm = M({"**/*.log"});
  EXPECT_TRUE(pm.Matches("a.log"));
  EXPECT_TRUE(pm.Matches("x/y/a.log"));
  EXPECT_FALSE(pm.Matches("x/y/a.txt"));
  PatternMatcher all = M({"**"});
  EXPECT_TRUE(all.Matches("anything/at/all"));
  PatternMatcher mid = M({"a/**/b"});
  EXPECT_TRUE(mid.Matches("a/b"));
  EXPECT_TRUE(mid.Matches("a/x/y/b"));
  EXPECT_FALSE(mid.Matches("c/a/b"));
  PatternMatcher suffix = M({"**/node_modules"});
  EXPECT_TRUE(suffix.Matches("node_modules"));
  EXPECT_TRUE(suffix.Matches("web/node_modules/x.js"));
  // Any parent directory counts, however deep (MatchesOrParentMatches).
  EXPECT_TRUE(suffix.Matches("a/b/node_modules/x.js"));
  PatternMatcher build = M({"build/**"});
  EXPECT_TRUE(build.Matches("build/a/b"));
}

TEST(PatternMatcher, ParentDirectoryMatchCoversChildren) {
  PatternMatcher pm = M({"build"});
  EXPECT_TRUE(pm.Matches("build"));
  EXPECT_TRUE(pm.Matches("build/out/a.o"));
  EXPECT_FALSE(pm.Matches("src/build"));
  PatternMatcher nm = M({"node_modules", "tmp"});
  EXPECT_TRUE(nm.Matches("node_modules/x/y.js"));
  EXPECT_TRUE(nm.Matches("tmp/a"));
  EXPECT_FALSE(nm.Matches("src/node_modules"));
}

TEST(PatternMatcher, ExceptionsAndLastMatchWins) {
  PatternMatcher pm = M({"*.md", "!README.md"});
  EXPECT_TRUE(pm.Matches("CHANGES.md"));
  EXPECT_FALSE(pm.Matches("README.md"));
  EXPECT_TRUE(pm.HasExclusions());
  PatternMatcher again = M({"*.md", "!README.md", "README*"});
  EXPECT_TRUE(again.Matches("README.md"));
  PatternMatcher dir = M({"docs", "!docs/keep.txt"});
  EXPECT_TRUE(dir.Matches("docs/other.txt"));
  EXPECT_FALSE(dir.Matches("docs/keep.txt"));
  EXPECT_TRUE(dir.MayReinclude("docs"));
  EXPECT_FALSE(M({"docs"}).MayReinclude("docs"));
  EXPECT_FALSE(M({"docs"}).HasExclusions());
}

TEST(PatternMatcher, DockerignoreSemantics) {
  PatternMatcher m = M({"*.txt", "**/*.log", "build", "!build/keep.me"});
  EXPECT_TRUE(m.Matches("a.txt"));
  EXPECT_FALSE(m.Matches("sub/a.txt"));  // * does not cross directories
  EXPECT_TRUE(m.Matches("x.log"));
  EXPECT_TRUE(m.Matches("deep/down/x.log"));
  EXPECT_TRUE(m.Matches("build"));
  EXPECT_TRUE(m.Matches("build/out.o"));  // parent directory matched
  EXPECT_FALSE(m.Matches("build/keep.me"));
  EXPECT_FALSE(m.Matches("src/main.c"));
  EXPECT_TRUE(m.HasExclusions());
  EXPECT_TRUE(m.MayReinclude("build"));
  EXPECT_FALSE(m.MayReinclude("src"));
  EXPECT_TRUE(m.HasExclusionBelow("build"));
  EXPECT_FALSE(m.HasExclusionBelow("src"));
}

TEST(PatternMatcher, ReincludeBelowADirectory) {
  // A wildcard re-include may apply anywhere: a walker descends, fsutil's copy
  // filter (a literal prefix test) does not.
  PatternMatcher m = M({"build", "!**/keep"});
  EXPECT_TRUE(m.MayReinclude("build"));
  EXPECT_FALSE(m.HasExclusionBelow("build"));
  PatternMatcher n = M({"a", "!a/b/*.c"});
  EXPECT_TRUE(n.MayReinclude("a"));
  EXPECT_TRUE(n.MayReinclude("a/b"));
  EXPECT_FALSE(n.MayReinclude("x"));
  EXPECT_TRUE(n.HasExclusionBelow("a"));
  EXPECT_TRUE(n.HasExclusionBelow("a/b"));
  EXPECT_FALSE(n.HasExclusionBelow("a/b/c"));
}

TEST(PatternMatcher, ClassesAndEscapes) {
  PatternMatcher m = M({"file[0-9].txt", "a\\*b", "?.c"});
  EXPECT_TRUE(m.Matches("file3.txt"));
  EXPECT_FALSE(m.Matches("filex.txt"));
  EXPECT_TRUE(m.Matches("a*b"));
  EXPECT_FALSE(m.Matches("axb"));
  EXPECT_TRUE(m.Matches("x.c"));
  EXPECT_FALSE(m.Matches("xy.c"));
  EXPECT_FALSE(m.Matches("a.b.c"));
  EXPECT_TRUE(M({"[ab].txt"}).Matches("a.txt"));
  EXPECT_TRUE(M({"a\\*b"}).Matches("a*b"));
  EXPECT_FALSE(M({"a\\*b"}).Matches("axb"));
}

TEST(PatternMatcher, PatternsAreTrimmedAndCleaned) {
  PatternMatcher m = M({"  ./a/../b//c/  ", "", "  "});
  EXPECT_EQ(m.patterns().size(), 1u);
  EXPECT_TRUE(m.Matches("b/c"));
  EXPECT_TRUE(m.Matches("b/c/d"));
  EXPECT_FALSE(m.Matches("a/b/c"));
}

TEST(PatternMatcher, BadPatterns) {
  EXPECT_FALSE(PatternMatcher::Create({"!"}).ok());
  EXPECT_FALSE(PatternMatcher::Create({"a["}).ok());
  auto bad = PatternMatcher::Create({"[abc"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[abc"), std::string::npos);
  EXPECT_TRUE(PatternMatcher::Create({"[abc]"}).ok());
  auto empty = PatternMatcher::Create({"  ", ""});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace kiln
