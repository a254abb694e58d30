// ImageSource without a network: the local-first source resolves from kiln's image
// store and content store, and goes to the registry (here an unreachable one) only
// when the image is missing or a pull is forced.
#include "registry/image_source.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/metadata.h"
#include "registry/client.h"

namespace kiln::registry {
namespace {

using nlohmann::json;

class ImageSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTestDir("kiln-imgsrc");
    ASSERT_TRUE(dir_);
    store_ = std::move(cache::OpenLocalContentStore(dir_->path()).value());
    md_ = std::move(cache::MetadataStore::Open(dir_->path()).value());
    RegistryOptions opts;
    opts.max_retries = 0;
    client_ = std::make_unique<RegistryClient>(opts);
  }

  std::string Put(const std::string& data) {
    auto w = store_->NewWriter();
    EXPECT_TRUE((*w)->Write(data.data(), data.size()).ok());
    return *(*w)->Commit();
  }

  // An image for `arch` with one layer; returns the manifest descriptor.
  oci::Descriptor MakeImage(const std::string& arch, bool with_layer = true) {
    std::string layer = "layer for " + arch;
    std::string ld = with_layer ? Put(layer) : Sha256Digest(layer);
    std::string config = json{{"architecture", arch}, {"os", "linux"}, {"config", {{"Env", {"A=" + arch}}}}}.dump();
    std::string cd = Put(config);
    json m{{"schemaVersion", 2},
           {"mediaType", oci::kMediaTypeManifest},
           {"config", {{"mediaType", oci::kMediaTypeConfig}, {"digest", cd}, {"size", config.size()}}},
           {"layers", {{{"mediaType", oci::kMediaTypeLayer}, {"digest", ld}, {"size", layer.size()}}}}};
    std::string mb = m.dump();
    return {oci::kMediaTypeManifest, Put(mb), static_cast<int64_t>(mb.size()), {}, oci::Platform{"linux", arch, ""}};
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<cache::ContentStore> store_;
  std::unique_ptr<cache::MetadataStore> md_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(ImageSourceTest, ResolvesANamedLocalImage) {
  oci::Descriptor m = MakeImage("amd64");
  Reference ref = *ParseReference("127.0.0.1:1/team/app:v1");
  ASSERT_TRUE(md_->PutImage({ref.String(), m, 0, 0}).ok());
  auto src = NewLocalFirstImageSource(client_.get(), store_.get(), md_.get(), false);
  auto img = src->Resolve(ref, {"linux", "amd64", ""});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_TRUE(img->from_local_store);
  EXPECT_EQ(img->manifest.digest, m.digest);
  EXPECT_EQ(img->Digest(), m.digest);
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_NE(img->config_json.find("A=amd64"), std::string::npos);
  EXPECT_TRUE(src->Fetch(*img).ok());
}

TEST_F(ImageSourceTest, SelectsThePlatformFromALocalIndexByDigest) {
  oci::Descriptor a = MakeImage("amd64"), b = MakeImage("arm64");
  json idx{{"schemaVersion", 2}, {"mediaType", oci::kMediaTypeIndex},
           {"manifests", {oci::DescriptorToJson(a), oci::DescriptorToJson(b)}}};
  std::string id = Put(idx.dump());
  Reference ref = *ParseReference("127.0.0.1:1/team/app@" + id);
  auto src = NewLocalFirstImageSource(client_.get(), store_.get(), nullptr, false);
  auto img = src->Resolve(ref, {"linux", "arm64", ""});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->index_digest, id);
  EXPECT_EQ(img->Digest(), id);
  EXPECT_EQ(img->manifest.digest, b.digest);
  EXPECT_EQ(img->platform.architecture, "arm64");
}

TEST_F(ImageSourceTest, GoesToTheRegistryWhenMissingOrForced) {
  oci::Descriptor m = MakeImage("amd64");
  Reference ref = *ParseReference("127.0.0.1:1/team/app:v1");
  ASSERT_TRUE(md_->PutImage({ref.String(), m, 0, 0}).ok());
  // Forced pull: the (unreachable) registry is asked, and says so.
  auto forced = NewLocalFirstImageSource(client_.get(), store_.get(), md_.get(), true)->Resolve(ref, {"linux", "amd64", ""});
  ASSERT_FALSE(forced.ok());
  EXPECT_EQ(forced.status().code(), Code::kUnavailable) << forced.status().ToString();
  EXPECT_NE(forced.status().message().find("127.0.0.1:1"), std::string::npos);
  // Another platform than the local image's: also the registry.
  auto other = NewLocalFirstImageSource(client_.get(), store_.get(), md_.get(), false)->Resolve(ref, {"linux", "s390x", ""});
  EXPECT_FALSE(other.ok());
  // A name not in the store: the registry.
  auto missing = NewLocalFirstImageSource(client_.get(), store_.get(), md_.get(), false)
                     ->Resolve(*ParseReference("127.0.0.1:1/team/other:v1"), {"linux", "amd64", ""});
  EXPECT_EQ(missing.status().code(), Code::kUnavailable);
}

TEST_F(ImageSourceTest, FetchAsksTheRegistryForMissingLayers) {
  oci::Descriptor m = MakeImage("amd64", /*with_layer=*/false);
  Reference ref = *ParseReference("127.0.0.1:1/team/app:v1");
  ASSERT_TRUE(md_->PutImage({ref.String(), m, 0, 0}).ok());
  auto src = NewLocalFirstImageSource(client_.get(), store_.get(), md_.get(), false);
  auto img = src->Resolve(ref, {"linux", "amd64", ""});
  ASSERT_TRUE(img.ok());
  Status st = src->Fetch(*img);
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.ToString();
}

}  // namespace
}  // namespace kiln::registry
