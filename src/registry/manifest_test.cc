#include "registry/manifest.h"

#include <gtest/gtest.h>

namespace kiln::registry {
namespace {

oci::Descriptor Entry(const std::string& digest_char, const std::string& os, const std::string& arch,
                      const std::string& variant = "") {
  oci::Descriptor d;
  d.media_type = oci::kMediaTypeManifest;
  d.digest = "sha256:" + std::string(64, digest_char[0]);
  d.platform = oci::Platform{os, arch, variant};
  return d;
}

TEST(Manifest, DetectsTypes) {
  EXPECT_EQ(*DetectManifestType(oci::kDockerManifest, "{}", "m"), oci::kDockerManifest);
  EXPECT_EQ(*DetectManifestType("application/vnd.oci.image.index.v1+json; charset=utf-8", "{}", "m"), oci::kMediaTypeIndex);
  EXPECT_EQ(*DetectManifestType("application/json", R"({"schemaVersion":2,"manifests":[]})", "m"), oci::kMediaTypeIndex);
  EXPECT_EQ(*DetectManifestType("", R"({"schemaVersion":2,"config":{},"layers":[]})", "m"), oci::kMediaTypeManifest);
  EXPECT_EQ(*DetectManifestType("", R"({"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json"})", "m"),
            oci::kDockerManifestList);
}

TEST(Manifest, RefusesSchema1WithAnExplanation) {
  auto a = DetectManifestType(oci::kDockerManifestV1Signed, "{}", "manifest x:1");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("schema 1"), std::string::npos);
  EXPECT_NE(a.status().message().find("manifest x:1"), std::string::npos);
  EXPECT_FALSE(a.status().hint().empty());
  auto b = DetectManifestType("application/json", R"({"schemaVersion":1,"fsLayers":[]})", "m");
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(DetectManifestType("text/html", "<html>", "m").ok());
}

TEST(Manifest, ParsesImageManifest) {
  std::string d = "sha256:" + std::string(64, 'c');
  auto m = ParseImageManifest(R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + d + R"(","size":5},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + d + R"(","size":7}]})", "m");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->config.size, 5);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 7);
  EXPECT_FALSE(ParseImageManifest(R"({"schemaVersion":2})", "m").ok());
}

TEST(Platform, SelectsExactAndNormalisedVariants) {
  std::vector<oci::Descriptor> idx{Entry("a", "linux", "amd64"), Entry("b", "linux", "arm64", "v8"),
                                   Entry("c", "linux", "arm", "v6"), Entry("d", "linux", "arm", "v7"),
                                   Entry("e", "unknown", "unknown"), Entry("f", "windows", "amd64")};
  EXPECT_EQ(SelectPlatform(idx, {"linux", "amd64", ""}, "i")->digest[7], 'a');
  EXPECT_EQ(SelectPlatform(idx, {"linux", "arm64", ""}, "i")->digest[7], 'b');
  EXPECT_EQ(SelectPlatform(idx, {"linux", "arm64", "v8"}, "i")->digest[7], 'b');
  EXPECT_EQ(SelectPlatform(idx, {"linux", "arm", "v6"}, "i")->digest[7], 'c');
  EXPECT_EQ(SelectPlatform(idx, {"linux", "arm", "v7"}, "i")->digest[7], 'd');
  EXPECT_EQ(SelectPlatform(idx, {"linux", "arm", ""}, "i")->digest[7], 'd');  // best variant
  EXPECT_EQ(SelectPlatform(idx, {"windows", "amd64", ""}, "i")->digest[7], 'f');
  auto miss = SelectPlatform(idx, {"linux", "s390x", ""}, "index x");
  ASSERT_FALSE(miss.ok());
  EXPECT_TRUE(miss.status().IsNotFound());
  EXPECT_NE(miss.status().message().find("linux/amd64"), std::string::npos) << miss.status().message();
  EXPECT_EQ(miss.status().message().find("unknown"), std::string::npos) << miss.status().message();
}

TEST(Platform, Arm64WithoutVariantMatchesV8) {
  std::vector<oci::Descriptor> idx{Entry("a", "linux", "arm64")};
  EXPECT_TRUE(SelectPlatform(idx, {"linux", "arm64", "v8"}, "i").ok());
  EXPECT_FALSE(SelectPlatform(idx, {"linux", "arm64", "v9"}, "i").ok());
}

TEST(Platform, FromConfig) {
  auto p = ConfigPlatform(R"({"os":"linux","architecture":"arm","variant":"v7"})");
  EXPECT_EQ(p.ToString(), "linux/arm/v7");
}

}  // namespace
}  // namespace kiln::registry
