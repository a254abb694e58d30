#include "cache/content_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"

namespace kiln::cache {
namespace {

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-cs");
    ASSERT_TRUE(tmp_);
    auto s = OpenLocalContentStore(tmp_->path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  int IngestCount() {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(tmp_->path() + "/content/ingest")) (void)e, n++;
    return n;
  }
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, PutReadRoundTrip) {
  auto d = store_->Put("hello");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Sha256Digest("hello"));
  EXPECT_TRUE(store_->Has(*d));
  EXPECT_EQ(*store_->Size(*d), 5);
  EXPECT_EQ(*store_->Read(*d, true), "hello");
  EXPECT_EQ(*store_->Path(*d), tmp_->path() + "/content/blobs/sha256/" + std::string(DigestHex(*d)));
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<std::string>{*d});
  EXPECT_EQ(IngestCount(), 0);
}

TEST_F(ContentStoreTest, MissingBlobIsNotFound) {
  std::string d = Sha256Digest("absent");
  EXPECT_FALSE(store_->Has(d));
  EXPECT_TRUE(store_->Read(d).status().IsNotFound());
  EXPECT_TRUE(store_->Size(d).status().IsNotFound());
  EXPECT_TRUE(store_->Delete(d).IsNotFound());
  EXPECT_TRUE(store_->Read("sha256:XYZ").status().IsInvalidArgument());
}

TEST_F(ContentStoreTest, MismatchStoresNothingAndNamesBothDigests) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("abc", 3).ok());
  std::string wrong = Sha256Digest("xyz");
  auto r = (*w)->Commit(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_NE(r.status().message().find(wrong), std::string::npos);
  EXPECT_NE(r.status().message().find(Sha256Digest("abc")), std::string::npos);
  EXPECT_FALSE(store_->Has(Sha256Digest("abc")));
  EXPECT_FALSE(store_->Has(wrong));
  EXPECT_EQ(IngestCount(), 0);
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(ContentStoreTest, SizeMismatchStoresNothing) {
  auto w = store_->NewWriter();
  ASSERT_TRUE((*w)->Write("abc", 3).ok());
  auto r = (*w)->Commit(Sha256Digest("abc"), 4);
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_FALSE(store_->Has(Sha256Digest("abc")));
}

TEST_F(ContentStoreTest, WriterDestroyedWithoutCommitLeavesNothing) {
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("partial", 7).ok());
    EXPECT_EQ((*w)->Written(), 7);
    EXPECT_EQ(IngestCount(), 1);
  }
  EXPECT_EQ(IngestCount(), 0);
  EXPECT_FALSE(store_->Has(Sha256Digest("partial")));
  EXPECT_TRUE(store_->List()->empty());
}

TEST_F(ContentStoreTest, CorruptedBlobDetectedByVerifyingRead) {
  auto d = store_->Put("good data");
  ASSERT_TRUE(d.ok());
  std::string path = *store_->Path(*d);
  ASSERT_TRUE(WriteFileAtomic(path, "evil data").ok());
  EXPECT_EQ(*store_->Read(*d, false), "evil data");  // unverified read does not notice
  auto r = store_->Read(*d, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_NE(r.status().message().find(Sha256Digest("evil data")), std::string::npos);
  Status v = store_->Verify(*d);
  EXPECT_EQ(v.code(), Code::kCorruption);
}

TEST_F(ContentStoreTest, ConcurrentWritersOfTheSameBlob) {
  std::string data(1 << 20, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  std::string want = Sha256Digest(data);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&] {
      auto w = store_->NewWriter();
      if (!w.ok()) return void(failures++);
      for (size_t off = 0; off < data.size(); off += 4096)
        if (!(*w)->Write(data.data() + off, 4096).ok()) return void(failures++);
      auto r = (*w)->Commit(want, static_cast<int64_t>(data.size()));
      if (!r.ok() || *r != want) failures++;
      // Readers racing with other writers' renames always see the whole blob.
      auto got = store_->Read(want, true);
      if (!got.ok()) failures++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*store_->List(), std::vector<std::string>{want});
  EXPECT_EQ(IngestCount(), 0);
}

TEST_F(ContentStoreTest, TwoProcessesShareTheRoot) {
  std::string data(256 << 10, 'p');
  std::string want = Sha256Digest(data);
  std::vector<pid_t> kids;
  for (int i = 0; i < 4; i++) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = OpenLocalContentStore(tmp_->path());
      if (!s.ok()) _exit(2);
      for (int round = 0; round < 20; round++) {
        auto d = (*s)->Put(data);
        if (!d.ok() || *d != want) _exit(3);
        auto r = (*s)->Read(want, true);
        if (!r.ok() && !r.status().IsNotFound()) _exit(4);
        if (i == 0) (void)(*s)->Delete(want);  // one process deletes while others write
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit " << WEXITSTATUS(status);
  }
  EXPECT_EQ(IngestCount(), 0);
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  for (auto& d : *list) EXPECT_TRUE(store_->Verify(d).ok());
}

// kill -9 in the middle of a write: nothing becomes visible; the ingest file is
// left for CleanIngest.
TEST_F(ContentStoreTest, KilledWriterLeavesNoBlob) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = OpenLocalContentStore(tmp_->path());
    auto w = (*s)->NewWriter();
    std::string chunk(1 << 16, 'k');
    for (int i = 0;; i++) {
      if (!(*w)->Write(chunk.data(), chunk.size()).ok()) _exit(3);
      if (i == 10 && write(ready[1], "x", 1) != 1) _exit(4);
    }
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_TRUE(store_->List()->empty());
  EXPECT_EQ(IngestCount(), 1);
  EXPECT_GT(*store_->CleanIngest(0), 0);
  EXPECT_EQ(IngestCount(), 0);
}

TEST_F(ContentStoreTest, CleanIngestRemovesStaleFiles) {
  ASSERT_TRUE(WriteFileAtomic(tmp_->path() + "/content/ingest/stale", "leftover").ok());
  auto freed = store_->CleanIngest(3600);  // too young
  ASSERT_TRUE(freed.ok());
  EXPECT_EQ(*freed, 0);
  freed = store_->CleanIngest(0);
  EXPECT_EQ(*freed, 8);
  EXPECT_EQ(IngestCount(), 0);
}

}  // namespace
}  // namespace kiln::cache
