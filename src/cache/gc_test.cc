#include "cache/gc.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/layer_export.h"
#include "cache/layer_test_util.h"
#include "cache/tree_merge.h"

namespace kiln::cache {
namespace {

// Trees sharing files through hard links (incremental COPY results) add up to
// the space really used, not one whole copy per tree.
TEST(TreeSizeTest, SharedFilesAreApportionedAcrossTrees) {
  auto tmp = TempDir::Create("kiln-treesize");
  ASSERT_TRUE(tmp.ok());
  std::string a = tmp->path() + "/a", b = tmp->path() + "/b";
  ASSERT_TRUE(MakeDirs(a + "/sub").ok());
  ASSERT_TRUE(MakeDirs(b).ok());
  ASSERT_TRUE(WriteFileAtomic(a + "/sub/shared", std::string(3000, 'x')).ok());
  ASSERT_TRUE(WriteFileAtomic(a + "/own", std::string(500, 'y')).ok());
  ASSERT_EQ(link((a + "/sub/shared").c_str(), (b + "/shared").c_str()), 0);
  ASSERT_EQ(link((a + "/sub/shared").c_str(), (a + "/again").c_str()), 0);  // a second name in the same tree
  auto sa = TreeSize(a), sb = TreeSize(b);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(*sa, 2000 + 500);  // two of the three links
  EXPECT_EQ(*sb, 1000);
  EXPECT_EQ(*sa + *sb, 3000 + 500);
}

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-gc");
    ASSERT_TRUE(tmp_);
    root_ = tmp_->path();
    cs_ = std::move(OpenLocalContentStore(root_)).value();
    md_ = std::move(MetadataStore::Open(root_)).value();
    auto sn = OpenSnapshotter(root_, {"copy", 3072});
    ASSERT_TRUE(sn.ok()) << sn.status().ToString();
    sn_ = std::move(*sn);
    gc_ = std::make_unique<GarbageCollector>(root_, *md_, *cs_, *sn_);
  }
  // A committed snapshot holding one file, with a layer blob recorded for it.
  LayerRecord Snap(const std::string& key, const std::string& parent, const std::string& content) {
    auto m = sn_->Prepare(key + "-a", parent);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_TRUE(WriteFileAtomic(m->dir + "/" + key, content).ok());
    EXPECT_TRUE(sn_->Commit(key, key + "-a").ok());
    LayerRecord l{*cs_->Put("layer of " + key), oci::kMediaTypeLayerGzip, 0, Sha256Digest(key)};
    l.size = *cs_->Size(l.digest);
    EXPECT_TRUE(md_->PutSnapshotLayer(key, l).ok());
    return l;
  }
  void Record(const std::string& key, const std::string& snap, std::vector<LayerRecord> layers, int64_t last_used = 0) {
    CacheRecord r;
    r.key = key;
    r.snapshot = snap;
    r.layers = std::move(layers);
    r.last_used = last_used;
    ASSERT_TRUE(md_->PutCacheRecord(r).ok());
  }
  // A named image whose manifest references `layer`.
  void Image(const std::string& name, const LayerRecord& layer) {
    auto put = testing::PutTestImage(*cs_, *md_, name, layer);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    image_blobs_ = {put->first, put->second, layer.digest};
  }
  std::unique_ptr<TempDir> tmp_;
  std::string root_;
  std::unique_ptr<ContentStore> cs_;
  std::unique_ptr<MetadataStore> md_;
  std::unique_ptr<Snapshotter> sn_;
  std::unique_ptr<GarbageCollector> gc_;
  std::vector<std::string> image_blobs_;
};

TEST_F(GcTest, CollectRemovesOnlyUnreferenced) {
  LayerRecord la = Snap("a", "", "A");
  LayerRecord lb = Snap("b", "a", "B");
  Snap("orphan", "", "O");
  std::string junk = *cs_->Put("unreferenced");
  Record("key-b", "b", {la, lb});
  Image("img:1", la);
  auto r = gc_->Collect();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->snapshots, 1);
  EXPECT_EQ(r->blobs, 2);  // junk and orphan's layer
  EXPECT_EQ(r->cache_records, 0);
  EXPECT_FALSE(cs_->Has(junk));
  EXPECT_TRUE(sn_->Stat("orphan").status().IsNotFound());
  EXPECT_TRUE(sn_->Stat("a").ok());  // parent of a recorded snapshot
  EXPECT_TRUE(sn_->Stat("b").ok());
  for (auto& d : image_blobs_) EXPECT_TRUE(cs_->Has(d)) << d;
  EXPECT_TRUE(cs_->Has(lb.digest));
}

TEST_F(GcTest, PruneRespectsKeepDurationImagesAndAll) {
  LayerRecord la = Snap("a", "", "A");
  LayerRecord lb = Snap("b", "", "B");
  LayerRecord lc = Snap("c", "", "C");
  int64_t old = MetadataStore::Now() - 7200;
  Record("key-a", "a", {la}, old);  // old, part of an image
  Record("key-b", "b", {lb}, old);  // old
  Record("key-c", "c", {lc});       // recent
  Image("img:1", la);
  auto r = gc_->Prune({false, 0, 3600});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cache_records, 1);
  EXPECT_TRUE(md_->GetCacheRecord("key-b").status().IsNotFound());
  EXPECT_TRUE(md_->GetCacheRecord("key-a").ok());
  EXPECT_TRUE(md_->GetCacheRecord("key-c").ok());
  EXPECT_TRUE(sn_->Stat("b").status().IsNotFound());
  EXPECT_FALSE(cs_->Has(lb.digest));
  EXPECT_GT(r->reclaimed, 0);
  r = gc_->Prune({true, 0, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cache_records, 2);
  EXPECT_TRUE(md_->ListCacheRecords()->empty());
  EXPECT_TRUE(sn_->List()->empty());
  auto blobs = *cs_->List();
  std::sort(blobs.begin(), blobs.end());
  std::sort(image_blobs_.begin(), image_blobs_.end());
  EXPECT_EQ(blobs, image_blobs_);  // only what the image needs survives
}

TEST_F(GcTest, KeepStorageStopsEarly) {
  std::string big(100000, 'x');
  for (int i = 0; i < 4; i++) {
    std::string k = "s" + std::to_string(i);
    auto m = sn_->Prepare(k + "-a", "");
    ASSERT_TRUE(WriteFileAtomic(m->dir + "/f", big).ok());
    ASSERT_TRUE(sn_->Commit(k, k + "-a").ok());
    Record("key" + std::to_string(i), k, {}, MetadataStore::Now() - 1000 + i);
  }
  auto du = gc_->Du();
  ASSERT_TRUE(du.ok());
  EXPECT_GE(du->snapshot_bytes, 400000);
  ASSERT_EQ(du->records.size(), 4u);
  EXPECT_EQ(du->records[0].key, "key0");
  EXPECT_EQ(du->records[0].size, 100000);
  auto r = gc_->Prune({true, 250000, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cache_records, 2);  // the two least recently used
  EXPECT_TRUE(md_->GetCacheRecord("key0").status().IsNotFound());
  EXPECT_TRUE(md_->GetCacheRecord("key1").status().IsNotFound());
  EXPECT_TRUE(md_->GetCacheRecord("key2").ok());
  EXPECT_LE(gc_->Du()->total(), 250000);
}

TEST_F(GcTest, LeasesProtectWorkInProgress) {
  auto lease = md_->CreateLease(3600);
  ASSERT_TRUE(lease.ok());
  sleep(1);  // blobs written now are newer than the lease
  std::string fresh = *cs_->Put("written during a build");
  LayerRecord l = Snap("leased", "", "L");
  ASSERT_TRUE(md_->AddLeaseResource(lease->id, "snapshot", "leased").ok());
  auto r = gc_->Prune({true, 0, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(cs_->Has(fresh));
  EXPECT_TRUE(cs_->Has(l.digest));
  EXPECT_TRUE(sn_->Stat("leased").ok());
  ASSERT_TRUE(md_->DeleteLease(lease->id).ok());
  r = gc_->Prune({true, 0, 0});
  EXPECT_FALSE(cs_->Has(fresh));
  EXPECT_TRUE(sn_->Stat("leased").status().IsNotFound());
}

TEST_F(GcTest, DuCountsContentAndImages) {
  LayerRecord la = Snap("a", "", "A");
  Record("key-a", "a", {la});
  Image("img:1", la);
  std::string junk = *cs_->Put("junk-bytes");
  auto du = gc_->Du();
  ASSERT_TRUE(du.ok());
  int64_t total = 0;
  auto blobs = cs_->List();
  for (auto& b : *blobs) total += *cs_->Size(b);
  EXPECT_EQ(du->content_bytes, total);
  EXPECT_EQ(du->reclaimable(), du->total() - du->image_bytes);
  EXPECT_TRUE(du->records[0].in_image);
  EXPECT_GT(du->image_bytes, 0);
  EXPECT_LT(du->image_bytes, total);
}

TEST_F(GcTest, SnapshotLayerIsReusedAndCollectedWithItsSnapshot) {
  Snap("a", "", "A");
  LayerOptions o;
  o.compression = Compression::kZstd;
  auto l1 = SnapshotLayer(*sn_, *md_, *cs_, "a", o);
  ASSERT_TRUE(l1.ok()) << l1.status().ToString();
  auto l2 = SnapshotLayer(*sn_, *md_, *cs_, "a", o);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l1->digest, l2->digest);
  EXPECT_EQ(md_->SnapshotLayers("a")->size(), 2u);  // the fake gzip one from Snap, and zstd
  o.source_date_epoch = 1;
  auto l3 = SnapshotLayer(*sn_, *md_, *cs_, "a", o);
  ASSERT_TRUE(l3.ok());
  EXPECT_NE(l3->diff_id, l1->diff_id);  // mtimes clamped to 1: a different tar, not recorded
  EXPECT_EQ(md_->SnapshotLayers("a")->size(), 2u);
  ASSERT_TRUE(sn_->Prepare("act", "").ok());
  EXPECT_EQ(SnapshotLayer(*sn_, *md_, *cs_, "act", o).status().code(), Code::kFailedPrecondition);
  Record("key", "a", {});
  ASSERT_TRUE(gc_->Collect().ok());
  EXPECT_TRUE(cs_->Has(l1->digest));  // layer of a live snapshot
  ASSERT_TRUE(md_->DeleteCacheRecord("key").ok());
  ASSERT_TRUE(sn_->Remove("act").ok());
  ASSERT_TRUE(gc_->Collect().ok());
  EXPECT_FALSE(cs_->Has(l1->digest));
}

TEST(GcParse, SizesAndDurations) {
  EXPECT_EQ(*ParseSize("100"), 100);
  EXPECT_EQ(*ParseSize("10GB"), 10000000000);
  EXPECT_EQ(*ParseSize("1.5mb"), 1500000);
  EXPECT_EQ(*ParseSize("2MiB"), 2097152);
  EXPECT_TRUE(ParseSize("ten").status().IsInvalidArgument());
  EXPECT_TRUE(ParseSize("5XB").status().IsInvalidArgument());
  EXPECT_EQ(*ParseDuration("90s"), 90);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400);
  EXPECT_EQ(*ParseDuration("7d"), 604800);
  EXPECT_TRUE(ParseDuration("10").status().IsInvalidArgument());
  EXPECT_TRUE(ParseDuration("5y").status().IsInvalidArgument());
  EXPECT_EQ(FormatSize(999), "999B");
  EXPECT_EQ(FormatSize(1500000), "1.5MB");
}

}  // namespace
}  // namespace kiln::cache
