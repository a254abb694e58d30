#include "exporter/gojson.h"

#include <gtest/gtest.h>

namespace kiln::exporter {
namespace {

TEST(GoJson, HtmlSafeEscapes) {
  EXPECT_EQ(GoJsonQuote("a && b <c> \"q\" \\ \n\t\x01"), "\"a \\u0026\\u0026 b \\u003cc\\u003e \\\"q\\\" \\\\ \\n\\t\\u0001\"");
  EXPECT_EQ(GoJsonQuote("caf\xc3\xa9 \xe2\x80\xa8"), "\"caf\xc3\xa9 \\u2028\"");
}

TEST(GoJson, StructOrderThenSortedKeys) {
  nlohmann::json cfg = {{"os", "linux"},
                        {"architecture", "amd64"},
                        {"config", {{"Cmd", {"sh"}}, {"Env", {"A=1"}}, {"User", "app"}, {"Zzz", 1}, {"Labels", {{"b", "2"}, {"a", "1"}}}}},
                        {"rootfs", {{"diff_ids", nlohmann::json::array()}, {"type", "layers"}}}};
  EXPECT_EQ(GoMarshal(cfg, &ImageConfigOrder()),
            R"({"architecture":"amd64","config":{"User":"app","Env":["A=1"],"Cmd":["sh"],"Labels":{"a":"1","b":"2"},"Zzz":1},)"
            R"("os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
}

TEST(GoJson, MarshalIndent) {
  nlohmann::json m = {{"schemaVersion", 2}, {"layers", nlohmann::json::array()},
                      {"config", {{"size", 3}, {"mediaType", "x"}, {"digest", "sha256:a"}}}};
  EXPECT_EQ(GoMarshalIndent(m, &ManifestOrder()),
            "{\n  \"schemaVersion\": 2,\n  \"config\": {\n    \"mediaType\": \"x\",\n    \"digest\": \"sha256:a\",\n"
            "    \"size\": 3\n  },\n  \"layers\": []\n}");
}

}  // namespace
}  // namespace kiln::exporter
