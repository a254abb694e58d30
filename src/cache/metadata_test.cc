#include "cache/metadata.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_dir.h"

namespace kiln::cache {
namespace {

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-md");
    ASSERT_TRUE(tmp_);
    auto m = MetadataStore::Open(tmp_->path());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    md_ = std::move(*m);
  }
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<MetadataStore> md_;
};

TEST_F(MetadataTest, Images) {
  ImageRecord r;
  r.name = "docker.io/library/app:1";
  r.target = {oci::kMediaTypeManifest, "sha256:" + std::string(64, 'a'), 123, {{"org.opencontainers.image.ref.name", "1"}},
              oci::Platform{"linux", "arm64", "v8"}};
  ASSERT_TRUE(md_->PutImage(r).ok());
  auto got = md_->GetImage(r.name);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->target.digest, r.target.digest);
  EXPECT_EQ(got->target.size, 123);
  EXPECT_EQ(got->target.annotations.at("org.opencontainers.image.ref.name"), "1");
  ASSERT_TRUE(got->target.platform.has_value());
  EXPECT_EQ(got->target.platform->variant, "v8");
  EXPECT_GT(got->created, 0);
  r.target.digest = "sha256:" + std::string(64, 'b');
  ASSERT_TRUE(md_->PutImage(r).ok());
  EXPECT_EQ(md_->GetImage(r.name)->target.digest, r.target.digest);
  EXPECT_EQ(md_->ListImages()->size(), 1u);
  EXPECT_TRUE(md_->DeleteImage(r.name).ok());
  EXPECT_TRUE(md_->DeleteImage(r.name).IsNotFound());
  EXPECT_TRUE(md_->GetImage(r.name).status().IsNotFound());
}

TEST_F(MetadataTest, SnapshotLifecycle) {
  SnapshotRecord base{"build-1", "id1", "", SnapshotKind::kActive, 1};
  ASSERT_TRUE(md_->InsertSnapshot(base).ok());
  EXPECT_EQ(md_->InsertSnapshot(base).code(), Code::kAlreadyExists);
  ASSERT_TRUE(md_->CommitSnapshot("build-1", "layer-1", 42).ok());
  EXPECT_EQ(md_->CommitSnapshot("layer-1", "x", 1).code(), Code::kFailedPrecondition);
  auto s = md_->GetSnapshot("layer-1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(s->id, "id1");
  EXPECT_EQ(s->size, 42);
  EXPECT_TRUE(md_->GetSnapshot("build-1").status().IsNotFound());
  ASSERT_TRUE(md_->InsertSnapshot({"build-2", "id2", "layer-1", SnapshotKind::kActive, 2}).ok());
  EXPECT_EQ(md_->DeleteSnapshot("layer-1").code(), Code::kFailedPrecondition);
  EXPECT_EQ(*md_->SnapshotChildren("layer-1"), std::vector<std::string>{"build-2"});
  ASSERT_TRUE(md_->PutSnapshotLayer("layer-1", {"sha256:" + std::string(64, 'c'), oci::kMediaTypeLayerZstd, 9,
                                                "sha256:" + std::string(64, 'd')}).ok());
  EXPECT_EQ(md_->SnapshotLayers("layer-1")->size(), 1u);
  EXPECT_TRUE(md_->SnapshotOrigin("build-2").status().IsNotFound());
  ASSERT_TRUE(md_->PutSnapshotOrigin("build-2", "layer-0").ok());
  EXPECT_EQ(*md_->SnapshotOrigin("build-2"), "layer-0");
  ASSERT_TRUE(md_->DeleteSnapshot("build-2").ok());
  EXPECT_TRUE(md_->SnapshotOrigin("build-2").status().IsNotFound());
  ASSERT_TRUE(md_->DeleteSnapshot("layer-1").ok());
  EXPECT_TRUE(md_->SnapshotLayers("layer-1")->empty());
}

TEST_F(MetadataTest, CacheRecords) {
  ASSERT_TRUE(md_->InsertSnapshot({"s", "ids", "", SnapshotKind::kCommitted, 1}).ok());
  CacheRecord r;
  r.key = "sha256:" + std::string(64, 'e');
  r.snapshot = "s";
  r.layers = {{"sha256:" + std::string(64, '1'), oci::kMediaTypeLayerGzip, 10, "sha256:" + std::string(64, '2')},
              {"sha256:" + std::string(64, '3'), oci::kMediaTypeLayerGzip, 20, "sha256:" + std::string(64, '4')}};
  r.description = "RUN make";
  ASSERT_TRUE(md_->PutCacheRecord(r).ok());
  auto got = md_->GetCacheRecord(r.key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->snapshot, "s");
  EXPECT_EQ(got->layers, r.layers);
  EXPECT_EQ(got->description, "RUN make");
  EXPECT_EQ(got->metadata, "{}");
  r.layers.pop_back();
  ASSERT_TRUE(md_->PutCacheRecord(r).ok());
  EXPECT_EQ(md_->GetCacheRecord(r.key)->layers.size(), 1u);
  // Unknown snapshot: rejected with context.
  CacheRecord bad = r;
  bad.key = "k2";
  bad.snapshot = "nope";
  Status st = md_->PutCacheRecord(bad);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nope"), std::string::npos);
  EXPECT_TRUE(md_->GetCacheRecord("k2").status().IsNotFound());
  // Deleting the snapshot keeps the record (its layers may still be used).
  ASSERT_TRUE(md_->DeleteSnapshot("s").ok());
  EXPECT_EQ(md_->GetCacheRecord(r.key)->snapshot, "");
  ASSERT_TRUE(md_->DeleteCacheRecord(r.key).ok());
  EXPECT_TRUE(md_->ListCacheRecords()->empty());
}

TEST_F(MetadataTest, Leases) {
  auto l = md_->CreateLease(3600);
  ASSERT_TRUE(l.ok());
  ASSERT_TRUE(md_->AddLeaseResource(l->id, "content", "sha256:" + std::string(64, 'f')).ok());
  EXPECT_TRUE(md_->AddLeaseResource(l->id, "bogus", "x").IsInvalidArgument());
  EXPECT_TRUE(md_->AddLeaseResource("no-such-lease", "content", "x").IsNotFound());
  EXPECT_EQ(md_->LeasedResources()->size(), 1u);
  auto expired = md_->CreateLease(-1);
  ASSERT_TRUE(md_->AddLeaseResource(expired->id, "snapshot", "s").ok());
  EXPECT_EQ(md_->ActiveLeases()->size(), 1u);
  EXPECT_EQ(md_->LeasedResources()->size(), 1u);
  ASSERT_TRUE(md_->ExpireLeases().ok());
  ASSERT_TRUE(md_->DeleteLease(l->id).ok());
  EXPECT_TRUE(md_->LeasedResources()->empty());
}

// Committed data survives the writer being killed with SIGKILL mid-stream.
TEST_F(MetadataTest, SurvivesKill9) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto m = MetadataStore::Open(tmp_->path());
    if (!m.ok()) _exit(2);
    for (int i = 0;; i++) {
      ImageRecord r;
      r.name = "img" + std::to_string(i);
      r.target = {oci::kMediaTypeManifest, "sha256:" + std::string(64, 'a'), i};
      if (!(*m)->PutImage(r).ok()) _exit(3);
      if (i == 20 && !WriteFileAtomic(tmp_->path() + "/ready", "1").ok()) _exit(4);
    }
  }
  while (!PathExists(tmp_->path() + "/ready")) usleep(1000);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  auto m = MetadataStore::Open(tmp_->path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto imgs = (*m)->ListImages();
  ASSERT_TRUE(imgs.ok()) << imgs.status().ToString();
  EXPECT_GE(imgs->size(), 21u);
  EXPECT_TRUE((*m)->GetImage("img20").ok());
}

}  // namespace
}  // namespace kiln::cache
