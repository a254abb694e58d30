#include "cacheserver/store.h"

#include <gtest/gtest.h>

#include "base/test_dir.h"

namespace kiln::cacheserver {
namespace {

struct Clock {
  int64_t t = 1'000'000;
};

std::unique_ptr<Store> OpenStore(const std::string& root, Clock* clock, int64_t max_size = 0) {
  StoreOptions o;
  o.root = root;
  o.max_size = max_size;
  o.unreferenced_grace = 1000;
  o.now = [clock] { return clock->t; };
  auto s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

std::string PutBlob(Store& s, const std::string& repo, const std::string& data) {
  auto up = s.StartUpload(repo);
  EXPECT_TRUE(up.ok());
  EXPECT_TRUE((*up)->Write(data.data(), data.size()).ok());
  std::string d = Sha256Digest(data);
  auto info = s.FinishUpload(*up, d);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return d;
}

std::string ManifestFor(const std::string& config, const std::string& layer) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":")" +
         config + R"(","size":1},"layers":[{"digest":")" + layer + R"(","size":1}]})";
}

TEST(Store, UploadsVerifyTheirDigestAndSurviveARestart) {
  auto dir = NewTestDir("cs-store");
  ASSERT_TRUE(dir);
  Clock c;
  std::string layer, config, mdigest;
  {
    auto s = OpenStore(dir->path(), &c);
    ASSERT_TRUE(s);
    auto up = s->StartUpload("team/app");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE((*up)->Write("abc", 3).ok());
    auto bad = s->FinishUpload(*up, Sha256Digest("abd"));
    EXPECT_EQ(bad.status().code(), Code::kCorruption);
    EXPECT_TRUE(s->StatBlob("team/app", Sha256Digest("abd")).status().IsNotFound());
    layer = PutBlob(*s, "team/app", "layer bytes");
    config = PutBlob(*s, "team/app", "{}");
    EXPECT_TRUE(s->StatBlob("other/repo", layer).status().IsNotFound()) << "blobs are per repository";
    auto d = s->PutManifest("team/app", "v1", "application/vnd.oci.image.manifest.v1+json", ManifestFor(config, layer));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    mdigest = *d;
    // A manifest naming a blob the repository lacks is refused.
    auto missing = s->PutManifest("team/app", "v2", "", ManifestFor(config, Sha256Digest("nope")));
    EXPECT_EQ(missing.status().code(), Code::kFailedPrecondition);
    // An upload in progress is discarded by a restart.
    auto pending = s->StartUpload("team/app");
    ASSERT_TRUE(pending.ok());
    ASSERT_TRUE((*pending)->Write("partial", 7).ok());
  }
  auto s = OpenStore(dir->path(), &c);
  ASSERT_TRUE(s);
  auto m = s->GetManifest("team/app", "v1");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->digest, mdigest);
  EXPECT_EQ(m->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_TRUE(s->GetManifest("team/app", mdigest).ok());
  auto b = s->StatBlob("team/app", layer);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size, 11);
  EXPECT_FALSE(b->verified) << "not hashed since the restart";
  EXPECT_EQ(s->uploads_in_flight(), 0);
  EXPECT_EQ(s->size_bytes(), 11 + 2 + static_cast<int64_t>(m->body.size()));
  auto tags = s->ListTags("team/app");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
}

TEST(Store, DamagedFilesAreNeverServed) {
  auto dir = NewTestDir("cs-store");
  ASSERT_TRUE(dir);
  Clock c;
  auto s = OpenStore(dir->path(), &c);
  ASSERT_TRUE(s);
  std::string d = PutBlob(*s, "r", "0123456789");
  auto b = s->StatBlob("r", d);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(WriteFileAtomic(b->path, "0123456780").ok());  // same size, other bytes
  EXPECT_EQ(s->VerifyBlob(*b).code(), Code::kCorruption);
  EXPECT_TRUE(s->StatBlob("r", d).status().IsNotFound());
  std::string t = PutBlob(*s, "r", "truncate me");
  auto tb = s->StatBlob("r", t);
  ASSERT_TRUE(tb.ok());
  ASSERT_TRUE(WriteFileAtomic(tb->path, "trunc").ok());
  EXPECT_TRUE(s->StatBlob("r", t).status().IsNotFound());
}

TEST(Store, LookupTagsReportsOnlyCompleteRecords) {
  auto dir = NewTestDir("cs-store");
  ASSERT_TRUE(dir);
  Clock c;
  auto s = OpenStore(dir->path(), &c);
  ASSERT_TRUE(s);
  std::string layer = PutBlob(*s, "r", "L"), config = PutBlob(*s, "r", "C");
  ASSERT_TRUE(s->PutManifest("r", "k1", "application/vnd.oci.image.manifest.v1+json", ManifestFor(config, layer)).ok());
  auto found = s->LookupTags("r", {"k1", "k2"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->at("k1").media_type, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(s->DeleteBlob("r", layer).ok());
  found = s->LookupTags("r", {"k1"});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty()) << "a record with a missing blob is a miss";
}

TEST(Store, EvictsLeastRecentlyUsedManifestsThenTheirBlobs) {
  auto dir = NewTestDir("cs-store");
  ASSERT_TRUE(dir);
  Clock c;
  auto s = OpenStore(dir->path(), &c, 4000);
  ASSERT_TRUE(s);
  auto push = [&](const std::string& tag) {
    c.t += 10;
    std::string layer = PutBlob(*s, "r", std::string(1000, tag[0]));
    c.t += 10;
    std::string config = PutBlob(*s, "r", "{\"" + tag + "\":1}");
    c.t += 10;
    auto d = s->PutManifest("r", tag, "application/vnd.oci.image.manifest.v1+json", ManifestFor(config, layer));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(s->EvictIfNeeded().ok());
    return layer;
  };
  std::string a = push("a");
  push("b");
  c.t += 10;
  ASSERT_TRUE(s->GetManifest("r", "a").ok());  // a is now used more recently than b
  push("c");
  push("d");
  EXPECT_TRUE(s->GetManifest("r", "a").ok());
  EXPECT_TRUE(s->GetManifest("r", "b").status().IsNotFound()) << "b was the least recently used";
  EXPECT_TRUE(s->GetManifest("r", "d").ok());
  EXPECT_TRUE(s->StatBlob("r", a).ok());
  EXPECT_LE(s->size_bytes(), 4000);
  EXPECT_GE(s->evictions(), 1);
  // A blob no manifest names yet (a push in progress) survives within the grace period.
  c.t += 10;
  std::string fresh = PutBlob(*s, "r", std::string(4000, 'z'));
  EXPECT_TRUE(s->StatBlob("r", fresh).ok());
}

}  // namespace
}  // namespace kiln::cacheserver
