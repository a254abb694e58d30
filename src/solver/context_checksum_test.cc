#include "solver/context_checksum.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <thread>

#include "base/fs.h"

namespace kiln::solver {
namespace {

class ContextChecksumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("kiln-ctx");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(t).value());
    dir_ = tmp_->path() + "/ctx";
    ASSERT_TRUE(MakeDirs(dir_ + "/src/sub").ok());
    Write("a.txt", "alpha");
    Write("src/main.c", "int main;");
    Write("src/util.c", "int util;");
    Write("src/sub/deep.h", "#pragma once");
    Write("notes.md", "notes");
    // Make every file look old so the stat cache trusts it.
    Age("a.txt");
    Age("src/main.c");
    Age("src/util.c");
    Age("src/sub/deep.h");
    Age("notes.md");
  }
  void Write(const std::string& rel, const std::string& data) {
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/" + rel, data).ok());
  }
  void Age(const std::string& rel) {
    struct timeval tv[2] = {{1000000, 0}, {1000000, 0}};
    ASSERT_EQ(utimes((dir_ + "/" + rel).c_str(), tv), 0);
  }
  std::unique_ptr<ContextChecksummer> Open(std::vector<std::string> excludes = {}) {
    auto c = ContextChecksummer::Open({.dir = dir_, .exclude_patterns = excludes, .stat_cache_file = tmp_->path() + "/statcache"});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }
  std::string Sum(std::vector<std::string> sel, std::vector<std::string> excludes = {}) {
    auto c = Open(excludes);
    auto s = c->Checksum(sel);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_TRUE(c->Save().ok());
    return *s;
  }

  std::optional<TempDir> tmp_;
  std::string dir_;
};

TEST_F(ContextChecksumTest, StableForUnchangedContent) {
  EXPECT_EQ(Sum({"/"}), Sum({"/"}));
  EXPECT_EQ(Sum({}), Sum({"/"}));
}

TEST_F(ContextChecksumTest, ContentChangeChangesIt) {
  auto before = Sum({"/src"});
  Write("src/util.c", "int util2;");
  EXPECT_NE(before, Sum({"/src"}));
}

TEST_F(ContextChecksumTest, TimestampsDoNotMatter) {
  auto before = Sum({"/"});
  struct timeval tv[2] = {{2000000, 0}, {2000000, 0}};
  ASSERT_EQ(utimes((dir_ + "/a.txt").c_str(), tv), 0);
  EXPECT_EQ(before, Sum({"/"}));
}

TEST_F(ContextChecksumTest, ModeAndLinkTargetsMatter) {
  auto before = Sum({"/a.txt"});
  ASSERT_EQ(chmod((dir_ + "/a.txt").c_str(), 0755), 0);
  EXPECT_NE(before, Sum({"/a.txt"}));
  ASSERT_EQ(symlink("a.txt", (dir_ + "/link").c_str()), 0);
  auto l1 = Sum({"/link"});
  ASSERT_EQ(unlink((dir_ + "/link").c_str()), 0);
  ASSERT_EQ(symlink("notes.md", (dir_ + "/link").c_str()), 0);
  EXPECT_NE(l1, Sum({"/link"}));
}

TEST_F(ContextChecksumTest, SymlinkCoversItsTarget) {
  ASSERT_EQ(symlink("a.txt", (dir_ + "/link").c_str()), 0);
  auto before = Sum({"/link"});
  Write("a.txt", "changed");
  EXPECT_NE(before, Sum({"/link"}));
}

TEST_F(ContextChecksumTest, OnlyTheSelectedFilesCount) {
  auto main_only = Sum({"/src/main.c"});
  auto c_files = Sum({"/src/*.c"});
  Write("notes.md", "other notes");
  Write("src/sub/deep.h", "changed");
  EXPECT_EQ(main_only, Sum({"/src/main.c"}));
  EXPECT_EQ(c_files, Sum({"/src/*.c"}));
  Write("src/util.c", "changed");
  EXPECT_EQ(main_only, Sum({"/src/main.c"}));
  EXPECT_NE(c_files, Sum({"/src/*.c"}));
}

TEST_F(ContextChecksumTest, NewFileInADirectoryChangesIt) {
  auto before = Sum({"/src"});
  Write("src/new.c", "");
  EXPECT_NE(before, Sum({"/src"}));
}

TEST_F(ContextChecksumTest, ExcludedFilesDoNotCount) {
  auto before = Sum({"/"}, {"*.md"});
  Write("notes.md", "changed");
  EXPECT_EQ(before, Sum({"/"}, {"*.md"}));
  // An excluded path is not part of the context at all.
  EXPECT_EQ(Sum({"/notes.md"}, {"*.md"}), Sum({"/other.md"}, {"*.md"}));
}

TEST_F(ContextChecksumTest, ExcludePatternsAreContextRelative) {
  // "/src" and "src" both name the context's src directory (and everything in it).
  auto before = Sum({"/"}, {"/src"});
  EXPECT_EQ(before, Sum({"/"}, {"src"}));
  Write("src/sub/deep.h", "changed");
  EXPECT_EQ(before, Sum({"/"}, {"/src"}));
  // A re-include below an excluded directory counts.
  auto kept = Sum({"/"}, {"src", "!/src/sub/deep.h"});
  Write("src/sub/deep.h", "changed again");
  EXPECT_NE(kept, Sum({"/"}, {"src", "!/src/sub/deep.h"}));
}

TEST_F(ContextChecksumTest, MissingPathIsDistinct) {
  EXPECT_NE(Sum({"/missing"}), Sum({"/other-missing"}));
  EXPECT_NE(Sum({"/missing"}), Sum({}));
}

TEST_F(ContextChecksumTest, StatCacheAvoidsRehashing) {
  {
    auto c = Open();
    ASSERT_TRUE(c->Checksum({"/"}).ok());
    EXPECT_EQ(c->files_hashed(), 5u);
    ASSERT_TRUE(c->Save().ok());
  }
  auto c = Open();
  auto s = c->Checksum({"/"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(c->files_hashed(), 0u);  // served by the persisted stat cache
  Write("a.txt", "new content!");
  Age("a.txt");
  auto c2 = Open();
  auto s2 = c2->Checksum({"/"});
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(c2->files_hashed(), 1u);
  EXPECT_NE(*s, *s2);
}

TEST_F(ContextChecksumTest, RecentlyChangedFilesAreRehashed) {
  Write("fresh.txt", "one");  // mtime = now: racy
  { auto c = Open(); ASSERT_TRUE(c->Checksum({"/fresh.txt"}).ok()); ASSERT_TRUE(c->Save().ok()); }
  auto c = Open();
  ASSERT_TRUE(c->Checksum({"/fresh.txt"}).ok());
  EXPECT_EQ(c->files_hashed(), 1u);
}

TEST_F(ContextChecksumTest, BadContextIsAnError) {
  auto c = ContextChecksummer::Open({.dir = dir_ + "/nope"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace kiln::solver
