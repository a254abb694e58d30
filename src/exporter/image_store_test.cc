#include "exporter/image_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "exporter/image.h"

namespace kiln::exporter {
namespace {

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create("kiln-imgstore-test");
    ASSERT_TRUE(t.ok());
    tmp_.emplace(std::move(*t));
    cs_ = std::move(cache::OpenLocalContentStore(tmp_->path()).value());
    md_ = std::move(cache::MetadataStore::Open(tmp_->path()).value());
    store_.emplace(*cs_, *md_);
  }

  // Stores an image with one fake layer and names it.
  AssembledImage Make(const std::string& layer_bytes, const std::vector<std::string>& names, int64_t created_s) {
    std::string digest = *cs_->Put(layer_bytes);
    Layer l{{oci::kMediaTypeLayer, digest, static_cast<int64_t>(layer_bytes.size()), {}, std::nullopt}, digest,
            created_s * 1000000000, "RUN x"};
    nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"},
                          {"config", {{"Env", {"A=1"}}, {"Labels", {{"k", "v"}}}}}};
    auto img = AssembleImage(cfg, {l}, {});
    EXPECT_TRUE(img.ok());
    EXPECT_TRUE(cs_->Put(img->config).ok());
    EXPECT_TRUE(cs_->Put(img->manifest).ok());
    for (const auto& n : names) {
      cache::ImageRecord rec;
      rec.name = n;
      rec.target = img->manifest_desc;
      EXPECT_TRUE(md_->PutImage(rec).ok());
    }
    return *img;
  }

  std::optional<TempDir> tmp_;
  std::unique_ptr<cache::ContentStore> cs_;
  std::unique_ptr<cache::MetadataStore> md_;
  std::optional<ImageStore> store_;
};

TEST_F(ImageStoreTest, ListGroupsNamesNewestFirst) {
  auto a = Make("layer a", {"docker.io/library/a:1", "docker.io/library/a:latest"}, 1000);
  auto b = Make("layer b", {"docker.io/library/b:1"}, 2000);
  auto list = store_->List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].names, std::vector<std::string>{"docker.io/library/b:1"});
  EXPECT_EQ((*list)[1].names.size(), 2u);
  EXPECT_EQ((*list)[1].id, a.config_desc.digest);
  EXPECT_EQ((*list)[1].size, a.config_desc.size + 7);
}

TEST_F(ImageStoreTest, ResolveByNameIdAndDigest) {
  auto a = Make("layer a", {"docker.io/library/a:1"}, 1000);
  EXPECT_EQ(store_->Resolve("a:1")->id, a.config_desc.digest);
  EXPECT_EQ(store_->Resolve("docker.io/library/a:1")->id, a.config_desc.digest);
  EXPECT_EQ(store_->Resolve(std::string(DigestHex(a.config_desc.digest)).substr(0, 12))->id, a.config_desc.digest);
  EXPECT_EQ(store_->Resolve(a.manifest_desc.digest)->id, a.config_desc.digest);
  auto missing = store_->Resolve("nope:1");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().message(), "no such image: nope:1");
}

TEST_F(ImageStoreTest, TagAndRemove) {
  auto a = Make("layer a", {"docker.io/library/a:1"}, 1000);
  ASSERT_TRUE(store_->Tag("a:1", "registry.local:5000/team/a:v2").ok());
  EXPECT_EQ(store_->Resolve("registry.local:5000/team/a:v2")->id, a.config_desc.digest);
  EXPECT_FALSE(store_->Tag("missing", "x:y").ok());
  std::string id = std::string(DigestHex(a.config_desc.digest)).substr(0, 12);
  auto r = store_->Remove(id, false);
  ASSERT_FALSE(r.ok());  // two names: needs force
  r = store_->Remove("a:1", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, std::vector<std::string>{"docker.io/library/a:1"});
  r = store_->Remove(id, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(store_->List()->empty());
  EXPECT_FALSE(store_->Remove("a:1", false).ok());
}

TEST_F(ImageStoreTest, SaveDockerAndOci) {
  Make("layer a", {"docker.io/library/a:1"}, 1000);
  Make("layer b", {"docker.io/library/b:1"}, 2000);
  std::string out = tmp_->path() + "/save.tar";
  ASSERT_TRUE(store_->Save({"a:1", "b:1"}, true, out).ok());
  struct archive* ar = archive_read_new();
  archive_read_support_format_tar(ar);
  ASSERT_EQ(archive_read_open_filename(ar, out.c_str(), 1 << 16), ARCHIVE_OK);
  struct archive_entry* e;
  std::string manifest;
  while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
    if (std::string(archive_entry_pathname(e)) == "manifest.json") {
      manifest.resize(archive_entry_size(e));
      archive_read_data(ar, manifest.data(), manifest.size());
    }
  }
  archive_read_free(ar);
  auto mj = nlohmann::json::parse(manifest);
  ASSERT_EQ(mj.size(), 2u);
  EXPECT_EQ(mj[0]["RepoTags"][0], "a:1");
  EXPECT_EQ(mj[1]["RepoTags"][0], "b:1");
  ASSERT_TRUE(store_->Save({"a:1"}, false, tmp_->path() + "/oci.tar").ok());
  if (system("command -v skopeo >/dev/null 2>&1") == 0) {
    std::string cmd = "skopeo inspect --raw oci-archive:" + tmp_->path() + "/oci.tar >/dev/null";
    EXPECT_EQ(system(cmd.c_str()), 0);
  }
  EXPECT_FALSE(store_->Save({"missing:1"}, true, tmp_->path() + "/x.tar").ok());
  EXPECT_FALSE(PathExists(tmp_->path() + "/x.tar"));
}

TEST_F(ImageStoreTest, InspectFields) {
  auto a = Make("layer a", {"docker.io/library/a:1"}, 1000);
  auto j = store_->Inspect(*store_->Resolve("a:1"));
  EXPECT_EQ(j["Name"], "docker.io/library/a");
  EXPECT_EQ(j["Digest"], a.manifest_desc.digest);
  EXPECT_EQ(j["Id"], a.config_desc.digest);
  EXPECT_EQ(j["RepoTags"], nlohmann::json({"1"}));
  EXPECT_EQ(j["Labels"]["k"], "v");
  EXPECT_EQ(j["Layers"].size(), 1u);
  EXPECT_EQ(j["Architecture"], "amd64");
}

}  // namespace
}  // namespace kiln::exporter
