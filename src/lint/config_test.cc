// hadolint's config: file keys, search order, environment, precedence.
#include "lint/config.h"

#include <gtest/gtest.h>

#include <map>

#include "base/fs.h"

namespace kiln::lint {
namespace {

GetEnv FakeEnv(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* n) -> const char* {
    auto it = shared->find(n);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(ConfigFile, AllKeys) {
  auto c = ParseConfigFile(R"(
failure-threshold: warning
format: json
ignored: [DL3000, SC1010]
label-schema:
  author: text
  version: semver
no-color: true
no-fail: true
override:
  error: [DL3001]
  warning: [DL3042]
  info: [DL3032]
  style: [DL3015]
strict-labels: true
disable-ignore-pragma: true
trustedRegistries: docker.io
)",
                           "cfg.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->failure_threshold, Severity::kWarning);
  EXPECT_EQ(c->formats, std::vector<std::string>{"json"});
  EXPECT_EQ(c->ignored, (std::vector<std::string>{"DL3000", "SC1010"}));
  EXPECT_EQ(c->label_schema.size(), 2u);
  EXPECT_TRUE(*c->no_color);
  EXPECT_TRUE(*c->no_fail);
  EXPECT_TRUE(*c->strict_labels);
  EXPECT_TRUE(*c->disable_ignore_pragma);
  EXPECT_EQ(c->trusted_registries, std::vector<std::string>{"docker.io"});
  Config m = Merge({*c});
  EXPECT_EQ(m.overrides.at("DL3001"), Severity::kError);
  EXPECT_EQ(m.overrides.at("DL3042"), Severity::kWarning);
  EXPECT_EQ(m.overrides.at("DL3032"), Severity::kInfo);
  EXPECT_EQ(m.overrides.at("DL3015"), Severity::kStyle);
}

TEST(ConfigFile, TrustedRegistriesList) {
  auto c = ParseConfigFile("trustedRegistries:\n  - docker.io\n  - \"*.gcr.io\"\n", "c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->trusted_registries, (std::vector<std::string>{"docker.io", "*.gcr.io"}));
}

TEST(ConfigFile, EmptyFileIsFine) { EXPECT_TRUE(ParseConfigFile("", "c").ok()); }

TEST(ConfigFile, ErrorsAreClear) {
  auto bad_yaml = ParseConfigFile("ignored: [DL3000\n", "x.yaml");
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_NE(bad_yaml.status().ToString().find("x.yaml"), std::string::npos);
  auto bad_key = ParseConfigFile("ignore: [DL3000]\n", "x.yaml");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("unknown key `ignore`"), std::string::npos);
  EXPECT_FALSE(ParseConfigFile("failure-threshold: loud\n", "x").ok());
  EXPECT_FALSE(ParseConfigFile("format: xml\n", "x").ok());
  EXPECT_FALSE(ParseConfigFile("label-schema:\n  a: weird\n", "x").ok());
  EXPECT_FALSE(ParseConfigFile("no-fail: maybe\n", "x").ok());
}

TEST(ConfigSearch, HadolintOrder) {
  auto dir = TempDir::Create("kiln-lint-cfg");
  ASSERT_TRUE(dir.ok());
  std::string d = dir->path();
  ASSERT_TRUE(MakeDirs(d + "/cwd").ok());
  ASSERT_TRUE(MakeDirs(d + "/home/.config").ok());
  ASSERT_TRUE(MakeDirs(d + "/xdg").ok());
  auto env = FakeEnv({{"HOME", d + "/home"}, {"XDG_CONFIG_HOME", d + "/xdg"}});
  EXPECT_EQ(FindConfigFile(d + "/cwd", env), "");
  ASSERT_TRUE(WriteFileAtomic(d + "/home/.hadolint.yaml", "").ok());
  EXPECT_EQ(FindConfigFile(d + "/cwd", env), d + "/home/.hadolint.yaml");
  ASSERT_TRUE(WriteFileAtomic(d + "/home/.config/hadolint.yml", "").ok());
  EXPECT_EQ(FindConfigFile(d + "/cwd", env), d + "/home/.config/hadolint.yml");
  ASSERT_TRUE(WriteFileAtomic(d + "/xdg/hadolint.yaml", "").ok());
  EXPECT_EQ(FindConfigFile(d + "/cwd", env), d + "/xdg/hadolint.yaml");
  ASSERT_TRUE(WriteFileAtomic(d + "/cwd/.hadolint.yaml", "").ok());
  EXPECT_EQ(FindConfigFile(d + "/cwd", env), d + "/cwd/.hadolint.yaml");
}

TEST(ConfigEnv, Variables) {
  auto c = ConfigFromEnv(FakeEnv({{"NO_COLOR", ""},
                                  {"HADOLINT_NOFAIL", "yes"},
                                  {"HADOLINT_FORMAT", "sarif"},
                                  {"HADOLINT_FAILURE_THRESHOLD", "error"},
                                  {"HADOLINT_OVERRIDE_ERROR", "DL3010,DL3020"},
                                  {"HADOLINT_OVERRIDE_STYLE", "DL3006"},
                                  {"HADOLINT_IGNORE", "DL3003, DL3004"},
                                  {"HADOLINT_STRICT_LABELS", "true"},
                                  {"HADOLINT_DISABLE_IGNORE_PRAGMA", "1"},
                                  {"HADOLINT_TRUSTED_REGISTRIES", "docker.io,quay.io"},
                                  {"HADOLINT_REQUIRE_LABELS", "maintainer:text,version:semver"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Config m = Merge({*c});
  EXPECT_TRUE(m.no_color);
  EXPECT_TRUE(m.no_fail);
  EXPECT_EQ(m.formats, std::vector<std::string>{"sarif"});
  EXPECT_EQ(m.failure_threshold, Severity::kError);
  EXPECT_EQ(m.overrides.at("DL3020"), Severity::kError);
  EXPECT_EQ(m.overrides.at("DL3006"), Severity::kStyle);
  EXPECT_EQ(m.ignored, (std::vector<std::string>{"DL3003", "DL3004"}));
  EXPECT_TRUE(m.strict_labels);
  EXPECT_TRUE(m.disable_ignore_pragma);
  EXPECT_EQ(m.trusted_registries.size(), 2u);
  EXPECT_EQ(m.label_schema.size(), 2u);
  EXPECT_FALSE(ConfigFromEnv(FakeEnv({{"HADOLINT_FORMAT", "xml"}})).ok());
  EXPECT_FALSE(ConfigFromEnv(FakeEnv({{"HADOLINT_REQUIRE_LABELS", "x"}})).ok());
  auto f = ConfigFromEnv(FakeEnv({{"HADOLINT_NOFAIL", "0"}}));
  EXPECT_FALSE(Merge({*f}).no_fail);
}

TEST(ConfigPrecedence, FlagsOverEnvOverFile) {
  PartialConfig file, env, flags;
  file.failure_threshold = Severity::kStyle;
  file.formats = {"json"};
  file.no_fail = true;
  file.ignored = {"DL3000"};
  file.overrides = {{"DL3006", Severity::kError}};
  env.failure_threshold = Severity::kWarning;
  env.overrides = {{"DL3006", Severity::kInfo}};
  env.ignored = {"DL3001"};
  flags.formats = {"gnu", "sarif"};
  flags.overrides = {{"DL3007", Severity::kStyle}};
  Config c = Merge({file, env, flags});
  EXPECT_EQ(c.failure_threshold, Severity::kWarning);  // env beats file
  EXPECT_EQ(c.formats, (std::vector<std::string>{"gnu", "sarif"}));  // flags beat file
  EXPECT_TRUE(c.no_fail);  // only the file says it
  EXPECT_EQ(c.overrides.at("DL3006"), Severity::kInfo);
  EXPECT_EQ(c.overrides.at("DL3007"), Severity::kStyle);
  EXPECT_EQ(c.ignored, (std::vector<std::string>{"DL3000", "DL3001"}));
  // Within one source, error beats warning beats info beats style.
  PartialConfig both;
  both.overrides = {{"DL3008", Severity::kError}, {"DL3008", Severity::kStyle}};
  EXPECT_EQ(Merge({both}).overrides.at("DL3008"), Severity::kError);
}

TEST(LabelSchemaItem, Parse) {
  auto ok = ParseLabelSchemaItem("maintainer:text");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "maintainer");
  EXPECT_FALSE(ParseLabelSchemaItem("maintainer").ok());
  EXPECT_FALSE(ParseLabelSchemaItem("a:b").ok());
}

}  // namespace
}  // namespace kiln::lint
