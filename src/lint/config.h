// hadolint's configuration: config files (searched in hadolint's order), the
// HADOLINT_* environment variables and NO_COLOR, and command-line flags,
// merged with hadolint's precedence: flags > environment > config file >
// defaults. Lists (ignored rules, trusted registries, label schema) are
// concatenated across sources; per-rule severity overrides from a later
// source replace earlier ones.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "lint/catalogue.h"
#include "lint/lint.h"

namespace kiln::lint {

// One source's settings; unset fields leave lower-precedence values alone.
struct PartialConfig {
  std::optional<bool> no_fail, no_color, strict_labels, disable_ignore_pragma, verbose;
  std::vector<std::string> formats;
  std::optional<Severity> failure_threshold;
  std::vector<std::string> ignored;
  std::vector<std::pair<std::string, Severity>> overrides;  // in order: error, warning, info, style
  std::vector<std::string> trusted_registries;
  std::vector<std::pair<std::string, std::string>> label_schema;
};

struct Config {
  bool no_fail = false, no_color = false, strict_labels = false, disable_ignore_pragma = false, verbose = false;
  std::vector<std::string> formats;        // empty = tty
  Severity failure_threshold = Severity::kInfo;
  std::vector<std::string> ignored;
  std::map<std::string, Severity> overrides;
  std::vector<std::string> trusted_registries;
  std::vector<std::pair<std::string, std::string>> label_schema;

  // The options the rules need.
  LintOptions ToLintOptions() const;
};

// A hadolint YAML config file.
Result<PartialConfig> ParseConfigFile(const std::string& yaml_text, const std::string& path);
Result<PartialConfig> LoadConfigFile(const std::string& path);

// The first existing config file in hadolint's search order, or "":
// $PWD/.hadolint.yaml, $XDG_CONFIG_HOME/hadolint.yaml, $HOME/.config/hadolint.yaml,
// $HOME/.hadolint/hadolint.yaml, $HOME/hadolint/config.yaml, $HOME/.hadolint.yaml
// (each also as .yml).
using GetEnv = std::function<const char*(const char*)>;
std::string FindConfigFile(const std::string& cwd, const GetEnv& getenv);

// HADOLINT_* and NO_COLOR.
Result<PartialConfig> ConfigFromEnv(const GetEnv& getenv);

// Lowest precedence first.
Config Merge(const std::vector<PartialConfig>& sources);

// "label:type" (as --require-label and HADOLINT_REQUIRE_LABELS take it).
Result<std::pair<std::string, std::string>> ParseLabelSchemaItem(const std::string& item);

extern const char* const kFormats[];  // tty json checkstyle codeclimate gitlab_codeclimate gnu codacy sarif sonarqube junit
bool IsKnownFormat(const std::string& f);

}  // namespace kiln::lint
