#include "fileop/path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace kiln::fileop {
namespace {

// CleanPath itself: base/path_test.cc.
TEST(PathHelpers, GoSemantics) {
  EXPECT_EQ(AbsClean("a/b/"), "/a/b");
  EXPECT_EQ(BaseName("/a/b/"), "b");
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("/a"), "/");
  auto [d, f] = SplitPath("/a/b/");
  EXPECT_EQ(d, "/a/b/");
  EXPECT_EQ(f, "");
}

class RootPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("kiln-rootpath");
    ASSERT_TRUE(t.ok());
    dir_.emplace(std::move(*t));
    root_ = dir_->path();
    ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/usr").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/usr/lib").c_str(), 0755), 0);
    ASSERT_EQ(symlink("usr/lib", (root_ + "/lib").c_str()), 0);
    ASSERT_EQ(symlink("/etc", (root_ + "/abs").c_str()), 0);
    ASSERT_EQ(symlink("../../../../../../", (root_ + "/up").c_str()), 0);
    ASSERT_EQ(symlink("/../../etc/passwd", (root_ + "/passwd").c_str()), 0);
    ASSERT_EQ(symlink("loop2", (root_ + "/loop1").c_str()), 0);
    ASSERT_EQ(symlink("loop1", (root_ + "/loop2").c_str()), 0);
  }
  std::optional<TempDir> dir_;
  std::string root_;
};

TEST_F(RootPathTest, FollowsSymlinksInsideRoot) {
  EXPECT_EQ(*RootPath(root_, "/lib/x"), root_ + "/usr/lib/x");
  EXPECT_EQ(*RootPath(root_, "/abs/hosts"), root_ + "/etc/hosts");
  EXPECT_EQ(*RootPath(root_, "/"), root_);
  EXPECT_EQ(*RootPathNoFollow(root_, "/lib"), root_ + "/lib");
  EXPECT_EQ(*RootPathNoFollow(root_, "/lib/a"), root_ + "/usr/lib/a");
}

TEST_F(RootPathTest, NeverEscapes) {
  EXPECT_EQ(*RootPath(root_, "/../../../etc/passwd"), root_ + "/etc/passwd");
  EXPECT_EQ(*RootPath(root_, "/up/etc/shadow"), root_ + "/etc/shadow");
  EXPECT_EQ(*RootPath(root_, "/passwd"), root_ + "/etc/passwd");
  EXPECT_EQ(*RootPath(root_, "/usr/../../.."), root_);
}

TEST_F(RootPathTest, LoopsAreErrors) {
  auto r = RootPath(root_, "/loop1/x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("symbolic links"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace kiln::fileop
