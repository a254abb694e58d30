#include "cache/cache_record_json.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace kiln::cache {
namespace {

TEST(CacheRecordJson, RoundTripsThroughTheDatabase) {
  auto t = TempDir::Create("kiln-crj");
  auto md = std::move(MetadataStore::Open(t->path())).value();
  CacheRecord r;
  r.key = "sha256:" + std::string(64, '1');
  r.description = "RUN make";
  r.metadata = R"({"exit":0})";
  r.created = 100;
  r.last_used = 200;
  r.layers = {{"sha256:" + std::string(64, 'a'), oci::kMediaTypeLayerZstd, 42, "sha256:" + std::string(64, 'b')}};
  ASSERT_TRUE(md->PutCacheRecord(r).ok());
  auto records = md->ListCacheRecords();
  ASSERT_TRUE(records.ok());
  nlohmann::json doc = CacheRecordsToJson(*records);
  EXPECT_EQ(doc["kiln.cache.v1"][0]["layers"][0]["diffID"], "sha256:" + std::string(64, 'b'));
  // Another machine imports it: same record, no snapshot.
  auto back = CacheRecordsFromJson(nlohmann::json::parse(doc.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 1u);
  const CacheRecord& b = (*back)[0];
  EXPECT_EQ(b.key, r.key);
  EXPECT_EQ(b.layers, r.layers);
  EXPECT_EQ(b.metadata, R"({"exit":0})");
  EXPECT_EQ(b.created, 100);
  EXPECT_EQ(b.last_used, 200);
  EXPECT_EQ(b.snapshot, "");
  auto t2 = TempDir::Create("kiln-crj2");
  auto md2 = std::move(MetadataStore::Open(t2->path())).value();
  ASSERT_TRUE(md2->PutCacheRecord(b).ok());
  EXPECT_EQ(md2->GetCacheRecord(r.key)->layers, r.layers);
}

TEST(CacheRecordJson, RejectsBadDocumentsNamingTheRecord) {
  EXPECT_TRUE(CacheRecordsFromJson(nlohmann::json::array()).status().IsInvalidArgument());
  auto bad = nlohmann::json::parse(R"({"kiln.cache.v1": [{"key": "k1", "layers": [{"digest": "sha256:xyz"}]}]})");
  auto r = CacheRecordsFromJson(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("k1"), std::string::npos);
  EXPECT_TRUE(CacheRecordsFromJson(nlohmann::json::parse(R"({"kiln.cache.v1": [{}]})")).status().IsInvalidArgument());
}

}  // namespace
}  // namespace kiln::cache
