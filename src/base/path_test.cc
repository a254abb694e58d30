#include "base/path.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(CleanPath, GoPathCleanTable) {
  // Cases from Go's path.Clean tests.
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("abc"), "abc");
  EXPECT_EQ(CleanPath("abc/def"), "abc/def");
  EXPECT_EQ(CleanPath("a/b/c"), "a/b/c");
  EXPECT_EQ(CleanPath("."), ".");
  EXPECT_EQ(CleanPath(".."), "..");
  EXPECT_EQ(CleanPath("../.."), "../..");
  EXPECT_EQ(CleanPath("../../abc"), "../../abc");
  EXPECT_EQ(CleanPath("/abc"), "/abc");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("abc/"), "abc");
  EXPECT_EQ(CleanPath("abc/def/"), "abc/def");
  EXPECT_EQ(CleanPath("./"), ".");
  EXPECT_EQ(CleanPath("../"), "..");
  EXPECT_EQ(CleanPath("/abc/"), "/abc");
  EXPECT_EQ(CleanPath("abc//def//ghi"), "abc/def/ghi");
  EXPECT_EQ(CleanPath("//abc"), "/abc");
  EXPECT_EQ(CleanPath("///abc"), "/abc");
  EXPECT_EQ(CleanPath("abc/./def"), "abc/def");
  EXPECT_EQ(CleanPath("/./abc/def"), "/abc/def");
  EXPECT_EQ(CleanPath("abc/."), "abc");
  EXPECT_EQ(CleanPath("abc/def/ghi/../jkl"), "abc/def/jkl");
  EXPECT_EQ(CleanPath("abc/def/../ghi/../jkl"), "abc/jkl");
  EXPECT_EQ(CleanPath("abc/def/.."), "abc");
  EXPECT_EQ(CleanPath("abc/def/../.."), ".");
  EXPECT_EQ(CleanPath("/abc/def/../.."), "/");
  EXPECT_EQ(CleanPath("abc/def/../../.."), "..");
  EXPECT_EQ(CleanPath("/abc/def/../../.."), "/");
  EXPECT_EQ(CleanPath("abc/def/../../../ghi/jkl/../../../mno"), "../../mno");
  EXPECT_EQ(CleanPath("abc/./../def"), "def");
  EXPECT_EQ(CleanPath("abc//./../def"), "def");
  EXPECT_EQ(CleanPath("abc/../../././../def"), "../../def");
}

TEST(CleanPath, GoSemantics) {
  EXPECT_EQ(CleanPath("/a/../b/"), "/b");
  EXPECT_EQ(CleanPath("a//b/./c/.."), "a/b");
  EXPECT_EQ(CleanPath("/../.."), "/");
  EXPECT_EQ(CleanPath("../a"), "../a");
  EXPECT_EQ(CleanPath("/../a/./b//c/"), "/a/b/c");
  EXPECT_EQ(CleanPath("../x/.."), "..");
}

TEST(DirNameBaseName, GoSemantics) {
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("/a"), "/");
  EXPECT_EQ(DirName("a//b/"), "a/b");
  EXPECT_EQ(BaseName("/a/b/"), "b");
  EXPECT_EQ(BaseName("c"), "c");
  EXPECT_EQ(BaseName(""), ".");
  EXPECT_EQ(BaseName("///"), "/");
}

TEST(CleanRelPath, NeverLeavesTheRoot) {
  EXPECT_EQ(CleanRelPath(""), ".");
  EXPECT_EQ(CleanRelPath("/"), ".");
  EXPECT_EQ(CleanRelPath(".."), ".");
  EXPECT_EQ(CleanRelPath("a/./b/../c"), "a/c");
  EXPECT_EQ(CleanRelPath("/a//b/"), "a/b");
  EXPECT_EQ(CleanRelPath("../../a"), "a");
  EXPECT_EQ(CleanRelPath("/../a/./b"), "a/b");
  EXPECT_EQ(CleanRelPath("/a/./b/../c/"), "a/c");
  EXPECT_EQ(CleanRelPath("../x"), "x");
}

}  // namespace
}  // namespace kiln
