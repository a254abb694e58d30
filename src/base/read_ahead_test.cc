#include "base/read_ahead.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_dir.h"

namespace kiln {
namespace {

class ReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-readahead");
    ASSERT_TRUE(tmp_);
    ASSERT_TRUE(MakeDirs(tmp_->path() + "/a").ok());
    ASSERT_TRUE(MakeDirs(tmp_->path() + "/b").ok());
    for (int i = 0; i < 40; i++) {
      std::string p = tmp_->path() + (i < 20 ? "/a/" : "/b/") + std::to_string(i);
      ASSERT_TRUE(WriteFileAtomic(p, std::string(1000 + i, static_cast<char>('a' + i % 26))).ok());
      paths_.push_back(p);
    }
  }
  // Entry i: the file paths_[i], except every 7th entry, which has no data.
  ReadAhead::Target TargetOf(size_t i) const {
    if (i % 7 == 3) return {};
    return {paths_[i], static_cast<int64_t>(1000 + i)};
  }
  // Reads every entry with data through `ra`, checking the bytes.
  void ReadAll(ReadAhead& ra, size_t first) {
    for (size_t i = first; i < paths_.size(); i++) {
      if (TargetOf(i).path.empty()) continue;
      Fd fd = ra.Open(i);
      ASSERT_GE(fd.get(), 0) << paths_[i];
      std::string got(5000, '\0');
      ssize_t n = ra.ReadNoWait(fd.get(), got.data(), got.size());
      ASSERT_EQ(n, static_cast<ssize_t>(1000 + i)) << paths_[i];
      got.resize(static_cast<size_t>(n));
      EXPECT_EQ(got, std::string(1000 + i, static_cast<char>('a' + i % 26)));
    }
  }
  std::unique_ptr<TempDir> tmp_;
  std::vector<std::string> paths_;
};

TEST_F(ReadAheadTest, WarmFilesAreReadWithoutReadingAhead) {
  for (const auto& p : paths_) ASSERT_TRUE(ReadFile(p).ok());  // in the page cache now
  ReadAhead ra(0, paths_.size(), [&](size_t i) { return TargetOf(i); });
  ReadAll(ra, 0);
  EXPECT_FALSE(ra.active());
  EXPECT_EQ(ra.requested(), 0u);
}

TEST_F(ReadAheadTest, AMissTurnsReadAheadOnForTheFilesAfterIt) {
  sync();
  for (const auto& p : paths_) {
    int fd = open(p.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // out of the page cache
    close(fd);
  }
  ReadAhead ra(5, paths_.size(), [&](size_t i) { return TargetOf(i); }, ReadAhead::Limits{1 << 20, 8});
  ReadAll(ra, 5);
  if (!ra.active()) GTEST_SKIP() << "the page cache kept the files (DONTNEED ignored here)";
  // Every file with data after the first one read, except entry 5's own.
  size_t want = 0;
  for (size_t i = 6; i < paths_.size(); i++) want += TargetOf(i).path.empty() ? 0 : 1;
  EXPECT_EQ(ra.requested(), want);
}

TEST_F(ReadAheadTest, BackgroundReadAheadWarmsColdFilesOnly) {
  for (const auto& p : paths_) ASSERT_TRUE(ReadFile(p).ok());
  {
    BackgroundReadAhead warm(paths_.size(), [&](size_t i) { return paths_[i]; });
    EXPECT_FALSE(warm.WasCold()) << "files just read are in the page cache";
  }
  sync();
  for (const auto& p : paths_) {
    int fd = open(p.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
  BackgroundReadAhead cold(paths_.size(), [&](size_t i) { return paths_[i]; });
  if (!cold.WasCold()) GTEST_SKIP() << "the page cache kept the files (DONTNEED ignored here)";
  // Read back in: every file is readable without waiting once the requests complete.
  for (int attempt = 0; attempt < 100; attempt++) {
    bool all = true;
    for (const auto& p : paths_) {
      Fd fd(open(p.c_str(), O_RDONLY));
      char b;
      struct iovec iov = {&b, 1};
      all = all && preadv2(fd.get(), &iov, 1, 0, RWF_NOWAIT) == 1;
    }
    if (all) return;
    usleep(20000);
  }
  ADD_FAILURE() << "the files never came back into the page cache";
}

TEST_F(ReadAheadTest, OpenReportsAMissingFile) {
  ReadAhead ra(0, paths_.size(), [&](size_t i) { return TargetOf(i); });
  ASSERT_EQ(unlink(paths_[0].c_str()), 0);
  Fd fd = ra.Open(0);
  EXPECT_LT(fd.get(), 0);
  EXPECT_EQ(errno, ENOENT);
}

}  // namespace
}  // namespace kiln
