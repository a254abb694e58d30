#include "lint/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "base/fs.h"
#include "lint/model.h"

namespace kiln::lint {

const char* const kFormats[] = {"tty", "json", "checkstyle", "codeclimate", "gitlab_codeclimate",
                                "gnu", "codacy", "sarif", "sonarqube", "junit", nullptr};

bool IsKnownFormat(const std::string& f) {
  for (int i = 0; kFormats[i]; ++i)
    if (f == kFormats[i]) return true;
  return false;
}

LintOptions Config::ToLintOptions() const {
  LintOptions o;
  o.trusted_registries = trusted_registries;
  o.label_schema = label_schema;
  o.strict_labels = strict_labels;
  o.disable_ignore_pragma = disable_ignore_pragma;
  o.overrides = overrides;
  o.ignored.insert(ignored.begin(), ignored.end());
  return o;
}

namespace {

const char* const kLabelTypes[] = {"text", "url", "semver", "hash", "rfc3339", "spdx", "email", nullptr};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(',', pos);
    std::string item = s.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

bool Truthy(const std::string& v) {
  std::string l = Lower(v);
  return l == "1" || l == "true" || l == "yes" || l == "on" || l == "y";
}

Status ConfigError(const std::string& path, const std::string& msg) {
  return Status::InvalidArgument("config file " + path + ": " + msg)
      .WithHint("see README.md (kiln lint, Config) for the keys hadolint's config accepts");
}

Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& key, const std::string& path) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
  } else if (n.IsSequence()) {
    for (const auto& x : n) {
      if (!x.IsScalar()) return ConfigError(path, "`" + key + "` must be a list of strings");
      out.push_back(x.as<std::string>());
    }
  } else if (!n.IsNull()) {
    return ConfigError(path, "`" + key + "` must be a string or a list of strings");
  }
  return out;
}

Result<bool> Bool(const YAML::Node& n, const std::string& key, const std::string& path) {
  if (!n.IsScalar()) return ConfigError(path, "`" + key + "` must be true or false");
  std::string v = Lower(n.as<std::string>());
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return ConfigError(path, "`" + key + "` must be true or false, not `" + n.as<std::string>() + "`");
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseLabelSchemaItem(const std::string& item) {
  size_t colon = item.find(':');
  if (colon == std::string::npos || colon == 0)
    return Status::InvalidArgument("label schema `" + item + "` is not LABEL:TYPE")
        .WithHint("e.g. --require-label maintainer:text (types: text url semver hash rfc3339 spdx email)");
  std::string type = item.substr(colon + 1);
  bool known = false;
  for (int i = 0; kLabelTypes[i]; ++i) known = known || type == kLabelTypes[i];
  if (!known)
    return Status::InvalidArgument("label schema `" + item + "`: unknown type `" + type + "`")
        .WithHint("types: text url semver hash rfc3339 spdx email");
  return std::make_pair(item.substr(0, colon), type);
}

Result<PartialConfig> ParseConfigFile(const std::string& text, const std::string& path) {
  PartialConfig c;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("config file " + path + ": invalid YAML: " + e.what())
        .WithLocation({path, e.mark.line + 1, e.mark.column + 1});
  }
  if (root.IsNull()) return c;
  if (!root.IsMap()) return ConfigError(path, "the top level must be a mapping of keys");
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "no-fail") { ASSIGN_OR_RETURN(bool b, Bool(v, key, path)); c.no_fail = b; }
      else if (key == "no-color") { ASSIGN_OR_RETURN(bool b, Bool(v, key, path)); c.no_color = b; }
      else if (key == "strict-labels") { ASSIGN_OR_RETURN(bool b, Bool(v, key, path)); c.strict_labels = b; }
      else if (key == "disable-ignore-pragma") { ASSIGN_OR_RETURN(bool b, Bool(v, key, path)); c.disable_ignore_pragma = b; }
      else if (key == "verbose") { ASSIGN_OR_RETURN(bool b, Bool(v, key, path)); c.verbose = b; }
      else if (key == "format") {
        std::string f = v.as<std::string>();
        if (!IsKnownFormat(f)) return ConfigError(path, "unknown format `" + f + "`");
        c.formats.push_back(f);
      } else if (key == "failure-threshold") {
        auto s = ParseSeverity(v.as<std::string>());
        if (!s) return ConfigError(path, "failure-threshold must be error|warning|info|style|ignore|none");
        c.failure_threshold = *s;
      } else if (key == "ignored") {
        ASSIGN_OR_RETURN(auto l, StringList(v, key, path));
        c.ignored.insert(c.ignored.end(), l.begin(), l.end());
      } else if (key == "trustedRegistries") {
        ASSIGN_OR_RETURN(auto l, StringList(v, key, path));
        c.trusted_registries.insert(c.trusted_registries.end(), l.begin(), l.end());
      } else if (key == "override") {
        if (!v.IsMap()) return ConfigError(path, "`override` must map error/warning/info/style to lists of rules");
        for (const char* level : {"error", "warning", "info", "style"}) {
          if (!v[level]) continue;
          ASSIGN_OR_RETURN(auto l, StringList(v[level], std::string("override.") + level, path));
          for (const auto& code : l) c.overrides.emplace_back(code, *ParseSeverity(level));
        }
        for (const auto& o : v) {
          std::string lk = o.first.as<std::string>();
          if (lk != "error" && lk != "warning" && lk != "info" && lk != "style")
            return ConfigError(path, "unknown override level `" + lk + "`");
        }
      } else if (key == "label-schema") {
        if (!v.IsMap()) return ConfigError(path, "`label-schema` must map label names to types");
        for (const auto& l : v) {
          ASSIGN_OR_RETURN(auto item, ParseLabelSchemaItem(l.first.as<std::string>() + ":" + l.second.as<std::string>()));
          c.label_schema.push_back(item);
        }
      } else {
        return ConfigError(path, "unknown key `" + key + "`");
      }
    }
  } catch (const YAML::Exception& e) {
    return ConfigError(path, e.what());
  }
  return c;
}

Result<PartialConfig> LoadConfigFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseConfigFile(text, path);
}

std::string FindConfigFile(const std::string& cwd, const GetEnv& getenv) {
  std::vector<std::string> bases;
  bases.push_back(cwd + "/.hadolint");
  if (const char* x = getenv("XDG_CONFIG_HOME"); x && *x) bases.push_back(std::string(x) + "/hadolint");
  if (const char* h = getenv("HOME"); h && *h) {
    std::string home = h;
    bases.push_back(home + "/.config/hadolint");
    bases.push_back(home + "/.hadolint/hadolint");
    bases.push_back(home + "/hadolint/config");
    bases.push_back(home + "/.hadolint");
  }
  for (const auto& b : bases)
    for (const char* ext : {".yaml", ".yml"})
      if (PathExists(b + ext)) return b + ext;
  return "";
}

Result<PartialConfig> ConfigFromEnv(const GetEnv& getenv) {
  PartialConfig c;
  auto get = [&](const char* n) -> std::optional<std::string> {
    const char* v = getenv(n);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  if (get("NO_COLOR")) c.no_color = true;
  if (auto v = get("HADOLINT_NOFAIL")) c.no_fail = Truthy(*v);
  if (auto v = get("HADOLINT_VERBOSE")) c.verbose = Truthy(*v);
  if (auto v = get("HADOLINT_STRICT_LABELS")) c.strict_labels = Truthy(*v);
  if (auto v = get("HADOLINT_DISABLE_IGNORE_PRAGMA")) c.disable_ignore_pragma = Truthy(*v);
  if (auto v = get("HADOLINT_FORMAT")) {
    if (!IsKnownFormat(*v)) return Status::InvalidArgument("HADOLINT_FORMAT: unknown format `" + *v + "`");
    c.formats.push_back(*v);
  }
  if (auto v = get("HADOLINT_FAILURE_THRESHOLD")) {
    auto s = ParseSeverity(*v);
    if (!s) return Status::InvalidArgument("HADOLINT_FAILURE_THRESHOLD: `" + *v + "` is not error|warning|info|style|ignore|none");
    c.failure_threshold = *s;
  }
  const std::pair<const char*, Severity> levels[] = {{"HADOLINT_OVERRIDE_ERROR", Severity::kError},
                                                     {"HADOLINT_OVERRIDE_WARNING", Severity::kWarning},
                                                     {"HADOLINT_OVERRIDE_INFO", Severity::kInfo},
                                                     {"HADOLINT_OVERRIDE_STYLE", Severity::kStyle}};
  for (const auto& [name, sev] : levels)
    if (auto v = get(name))
      for (const auto& code : SplitComma(*v)) c.overrides.emplace_back(code, sev);
  if (auto v = get("HADOLINT_IGNORE")) c.ignored = SplitComma(*v);
  if (auto v = get("HADOLINT_TRUSTED_REGISTRIES")) c.trusted_registries = SplitComma(*v);
  if (auto v = get("HADOLINT_REQUIRE_LABELS"))
    for (const auto& item : SplitComma(*v)) {
      ASSIGN_OR_RETURN(auto l, ParseLabelSchemaItem(item));
      c.label_schema.push_back(l);
    }
  return c;
}

Config Merge(const std::vector<PartialConfig>& sources) {
  Config c;
  for (const auto& s : sources) {
    if (s.no_fail) c.no_fail = *s.no_fail;
    if (s.no_color) c.no_color = *s.no_color;
    if (s.strict_labels) c.strict_labels = *s.strict_labels;
    if (s.disable_ignore_pragma) c.disable_ignore_pragma = *s.disable_ignore_pragma;
    if (s.verbose) c.verbose = *s.verbose;
    if (!s.formats.empty()) c.formats = s.formats;
    if (s.failure_threshold) c.failure_threshold = *s.failure_threshold;
    c.ignored.insert(c.ignored.end(), s.ignored.begin(), s.ignored.end());
    c.trusted_registries.insert(c.trusted_registries.end(), s.trusted_registries.begin(), s.trusted_registries.end());
    for (const auto& l : s.label_schema) {
      auto it = std::find_if(c.label_schema.begin(), c.label_schema.end(), [&](auto& x) { return x.first == l.first; });
      if (it != c.label_schema.end()) it->second = l.second;
      else c.label_schema.push_back(l);
    }
    // Within one source hadolint checks error first, then warning, info, style:
    // the first listing wins, so apply in reverse.
    std::map<std::string, Severity> mine;
    for (auto it = s.overrides.rbegin(); it != s.overrides.rend(); ++it) mine[it->first] = it->second;
    for (const auto& [code, sev] : mine) c.overrides[code] = sev;
  }
  return c;
}

}  // namespace kiln::lint
