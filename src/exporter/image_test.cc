#include "exporter/image.h"

#include <gtest/gtest.h>

#include "base/digest.h"

namespace kiln::exporter {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kB1 = "sha256:" + std::string(64, 'a');
const std::string kB2 = "sha256:" + std::string(64, 'b');

std::vector<Layer> TwoLayers() {
  Layer a{{oci::kMediaTypeLayerGzip, kB1, 100, {}, std::nullopt}, kD1, 1700000000LL * 1000000000, "base"};
  Layer b{{oci::kMediaTypeLayerGzip, kB2, 200, {}, std::nullopt}, kD2, 1700000100LL * 1000000000 + 5, "RUN x"};
  return {a, b};
}

nlohmann::json BaseConfig() {
  return nlohmann::json::parse(R"({
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["sh", "-c", "a && b"], "WorkingDir": "/app"},
    "history": [
      {"created": "2023-01-01T00:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in /"},
      {"created_by": "ENV PATH=/usr/bin", "comment": "buildkit.dockerfile.v0", "empty_layer": true},
      {"created_by": "RUN x", "comment": "buildkit.dockerfile.v0"},
      {"created_by": "CMD [\"sh\"]", "comment": "buildkit.dockerfile.v0", "empty_layer": true}
    ]})");
}

TEST(AssembleImage, ConfigMatchesBuildKit) {
  auto img = AssembleImage(BaseConfig(), TwoLayers(), {});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  std::string want =
      R"({"architecture":"amd64","config":{"Env":["PATH=/usr/bin"],"Cmd":["sh","-c","a \u0026\u0026 b"],"WorkingDir":"/app","OnBuild":null},)"
      R"("created":"2023-11-14T22:15:00.000000005Z","history":[)"
      R"({"created":"2023-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in /"},)"
      R"({"created":"2023-11-14T22:15:00.000000005Z","created_by":"ENV PATH=/usr/bin","comment":"buildkit.dockerfile.v0","empty_layer":true},)"
      R"({"created":"2023-11-14T22:15:00.000000005Z","created_by":"RUN x","comment":"buildkit.dockerfile.v0"},)"
      R"({"created":"2023-11-14T22:15:00.000000005Z","created_by":"CMD [\"sh\"]","comment":"buildkit.dockerfile.v0","empty_layer":true}],)"
      R"("os":"linux","rootfs":{"type":"layers","diff_ids":[")" + kD1 + R"(",")" + kD2 + R"("]}})";
  EXPECT_EQ(img->config, want);
  EXPECT_EQ(img->config_desc.digest, Sha256Digest(want));
  EXPECT_EQ(img->config_desc.media_type, oci::kMediaTypeConfig);
  EXPECT_EQ(img->config_desc.size, static_cast<int64_t>(want.size()));
}

TEST(AssembleImage, ConfigKeyOrderOfDockerd2010) {
  nlohmann::json cfg = {{"architecture", "amd64"},
                        {"os", "linux"},
                        {"config",
                         {{"Shell", {"/bin/sh"}},
                          {"OnBuild", {"RUN x"}},
                          {"ArgsEscaped", true},
                          {"Healthcheck", {{"Test", {"NONE"}}}},
                          {"StopSignal", "9"}}}};
  ImageOptions o;
  o.source_date_epoch = 0;
  auto img = AssembleImage(cfg, {}, o);
  ASSERT_TRUE(img.ok());
  EXPECT_NE(img->config.find(R"({"StopSignal":"9","Healthcheck":{"Test":["NONE"]},"ArgsEscaped":true,)"
                             R"("OnBuild":["RUN x"],"Shell":["/bin/sh"]})"),
            std::string::npos)
      << img->config;
}

TEST(AssembleImage, ManifestBytes) {
  auto img = AssembleImage(BaseConfig(), TwoLayers(), {});
  ASSERT_TRUE(img.ok());
  std::string want = "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
                     "  \"config\": {\n    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
                     "    \"digest\": \"" + img->config_desc.digest + "\",\n    \"size\": " +
                     std::to_string(img->config.size()) + "\n  },\n  \"layers\": [\n" +
                     "    {\n      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n      \"digest\": \"" +
                     kB1 + "\",\n      \"size\": 100\n    },\n" +
                     "    {\n      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n      \"digest\": \"" +
                     kB2 + "\",\n      \"size\": 200\n    }\n  ]\n}";
  EXPECT_EQ(img->manifest, want);
  EXPECT_EQ(img->manifest_desc.digest, Sha256Digest(want));
  EXPECT_EQ(img->manifest_desc.media_type, oci::kMediaTypeManifest);
}

TEST(AssembleImage, DockerMediaTypes) {
  ImageOptions o;
  o.oci_mediatypes = false;
  auto layers = TwoLayers();
  layers[1].blob.media_type = oci::kMediaTypeLayerZstd;
  auto img = AssembleImage(BaseConfig(), layers, o);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->config_desc.media_type, oci::kDockerConfig);
  EXPECT_EQ(img->manifest_desc.media_type, oci::kDockerManifest);
  EXPECT_EQ(img->layers[0].media_type, oci::kDockerLayerGzip);
  EXPECT_EQ(img->layers[1].media_type, oci::kMediaTypeLayerZstd);  // docker has no zstd type
  EXPECT_NE(img->manifest.find(oci::kDockerConfig), std::string::npos);
}

TEST(AssembleImage, SourceDateEpochClampsEveryTime) {
  ImageOptions o;
  o.source_date_epoch = 1600000000;
  auto img = AssembleImage(BaseConfig(), TwoLayers(), o);
  ASSERT_TRUE(img.ok());
  auto cfg = nlohmann::json::parse(img->config);
  EXPECT_EQ(cfg["created"], "2020-09-13T12:26:40Z");
  EXPECT_EQ(cfg["history"][0]["created"], "2020-09-13T12:26:40Z");
  for (const auto& h : cfg["history"]) EXPECT_EQ(h["created"], "2020-09-13T12:26:40Z");
  // Reproducible: the same input gives the same bytes whenever it runs.
  auto again = AssembleImage(BaseConfig(), TwoLayers(), o);
  EXPECT_EQ(again->manifest_desc.digest, img->manifest_desc.digest);
  // An earlier base time stays.
  o.source_date_epoch = 1800000000;
  img = AssembleImage(BaseConfig(), TwoLayers(), o);
  cfg = nlohmann::json::parse(img->config);
  EXPECT_EQ(cfg["history"][0]["created"], "2023-01-01T00:00:00Z");
}

TEST(AssembleImage, HistoryRepairedToMatchLayers) {
  nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"config", nlohmann::json::object()}};
  auto img = AssembleImage(cfg, TwoLayers(), {});
  ASSERT_TRUE(img.ok());
  auto out = nlohmann::json::parse(img->config);
  ASSERT_EQ(out["history"].size(), 2u);
  EXPECT_EQ(out["history"][1]["created_by"], "RUN x");
  EXPECT_EQ(out["history"][1]["comment"], "buildkit.exporter.image.v0");
  // More history layers than layers: the extra ones become empty.
  cfg = BaseConfig();
  img = AssembleImage(cfg, {TwoLayers()[0]}, {});
  ASSERT_TRUE(img.ok());
  out = nlohmann::json::parse(img->config);
  EXPECT_TRUE(out["history"][2]["empty_layer"].get<bool>());
  EXPECT_EQ(out["rootfs"]["diff_ids"].size(), 1u);
}

TEST(AssembleImage, ScratchWithoutLayers) {
  nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"config", {{"Cmd", {"x"}}}},
                        {"history", {{{"created_by", "CMD [\"x\"]"}, {"empty_layer", true}}}}};
  ImageOptions o;
  o.source_date_epoch = 0;
  auto img = AssembleImage(cfg, {}, o);
  ASSERT_TRUE(img.ok());
  EXPECT_NE(img->config.find(R"("rootfs":{"type":"layers","diff_ids":[]})"), std::string::npos) << img->config;
  EXPECT_NE(img->config.find(R"("created":"1970-01-01T00:00:00Z")"), std::string::npos) << img->config;
  EXPECT_NE(img->manifest.find("\"layers\": []"), std::string::npos);
}

TEST(AssembleImage, GoOmitEmpty) {
  nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"variant", ""},
                        {"config", {{"Cmd", nullptr}, {"Entrypoint", nlohmann::json::array()}, {"User", ""}, {"Env", {"A=1"}}}},
                        {"history", {{{"created_by", "ENV A=1"}, {"comment", ""}, {"empty_layer", true}},
                                     {{"created_by", "RUN x"}, {"empty_layer", false}}}}};
  ImageOptions o;
  o.source_date_epoch = 0;
  auto img = AssembleImage(cfg, {TwoLayers()[1]}, o);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->config,
            R"({"architecture":"amd64","config":{"Env":["A=1"],"OnBuild":null},"created":"1970-01-01T00:00:00Z","history":[)"
            R"({"created":"1970-01-01T00:00:00Z","created_by":"ENV A=1","empty_layer":true},)"
            R"({"created":"1970-01-01T00:00:00Z","created_by":"RUN x"}],"os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                kD2 + R"("]}})");
}

TEST(AssembleImage, BadInput) {
  EXPECT_FALSE(AssembleImage(nlohmann::json::array(), {}, {}).ok());
  auto layers = TwoLayers();
  layers[0].diff_id = "nope";
  EXPECT_FALSE(AssembleImage(BaseConfig(), layers, {}).ok());
  auto cfg = BaseConfig();
  cfg["history"][0]["created"] = "yesterday";
  EXPECT_FALSE(AssembleImage(cfg, TwoLayers(), {}).ok());
}

TEST(Time, FormatAndParse) {
  EXPECT_EQ(FormatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(1500000000LL * 1000000000 + 120000000), "2017-07-14T02:40:00.12Z");
  EXPECT_EQ(*ParseTime("2017-07-14T02:40:00.12Z"), 1500000000LL * 1000000000 + 120000000);
  EXPECT_EQ(*ParseTime("2017-07-14T04:40:00+02:00"), 1500000000LL * 1000000000);
  EXPECT_FALSE(ParseTime("2017-07-14").has_value());
}

TEST(IndexJson, Indented) {
  oci::Descriptor d{oci::kMediaTypeManifest, kB1, 10, {}, oci::Platform{"linux", "amd64", ""}};
  EXPECT_EQ(IndexJson({d}, true),
            "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
            "  \"manifests\": [\n    {\n      \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
            "      \"digest\": \"" + kB1 + "\",\n      \"size\": 10,\n      \"platform\": {\n"
            "        \"architecture\": \"amd64\",\n        \"os\": \"linux\"\n      }\n    }\n  ]\n}");
}

}  // namespace
}  // namespace kiln::exporter
