#include "fileop/match.h"

#include <gtest/gtest.h>

namespace kiln::fileop {
namespace {

TEST(IncludeMatch, PartialDirectories) {
  std::vector<std::string> pats{"a/*/c.txt"};
  auto r = IncludeMatch(pats, "a", true);
  EXPECT_TRUE(r.matched);
  EXPECT_TRUE(r.partial);
  r = IncludeMatch(pats, "a/b", true);
  EXPECT_TRUE(r.matched && r.partial);
  r = IncludeMatch(pats, "a/b/c.txt", false);
  EXPECT_TRUE(r.matched && !r.partial);
  r = IncludeMatch(pats, "a/b/d.txt", false);
  EXPECT_FALSE(r.matched);
  r = IncludeMatch(pats, "x", true);
  EXPECT_FALSE(r.matched);
  r = IncludeMatch({"**/*.go"}, "deep/er/x.go", false);
  EXPECT_TRUE(r.matched);
  r = IncludeMatch({"dir"}, "dir", true);
  EXPECT_TRUE(r.matched && !r.partial);
}

}  // namespace
}  // namespace kiln::fileop
