// hadolint's instruction- and stage-level rules.
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "base/strings.h"
#include "lint/rules.h"

namespace kiln::lint {

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string FirstArg(const Inst& in) { return in.ast->args.empty() ? "" : in.ast->args[0]; }

void Dl3000(RuleContext& ctx, const Inst& in) {
  std::string loc = DropQuotes(FirstArg(in));
  if (StartsWith(loc, "$") || StartsWith(loc, "/")) return;
  if (loc.size() >= 2 && std::isalpha(static_cast<unsigned char>(loc[0])) && loc[1] == ':') return;
  ctx.Add("DL3000", in.line);
}

void Dl3011(RuleContext& ctx, const Inst& in) {
  for (const auto& w : in.words) {
    std::string p = w.substr(0, w.find('/'));
    size_t dash = p.find('-');
    std::vector<std::string> nums = {p.substr(0, dash)};
    if (dash != std::string::npos) nums.push_back(p.substr(dash + 1));
    for (const auto& n : nums) {
      if (!AllDigits(n)) continue;
      if (n.size() > 5 || std::stol(n) > 65535) {
        ctx.Add("DL3011", in.line);
        return;
      }
    }
  }
}

void Dl3020(RuleContext& ctx, const Inst& in) {
  for (const auto& s : in.copy.sources) {
    std::string src = DropQuotes(s);
    if (IsArchivePath(src) || StartsWith(src, "https://") || StartsWith(src, "http://")) continue;
    ctx.Add("DL3020", in.line);
    return;
  }
}

void Dl3021(RuleContext& ctx, const Inst& in) {
  if (in.copy.sources.size() <= 1) return;
  std::string d = DropQuotes(in.copy.dest);
  if (d.empty() || d.back() != '/') ctx.Add("DL3021", in.line);
}

bool LabelKeyInvalid(const std::string& l) {
  if (l.empty() || !(l[0] >= 'a' && l[0] <= 'z')) return true;
  char e = l.back();
  if (!((e >= 'a' && e <= 'z') || (e >= '0' && e <= '9'))) return true;
  for (char c : l)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return true;
  if (StartsWith(l, "com.docker.") || StartsWith(l, "io.docker.") || StartsWith(l, "org.dockerproject.")) return true;
  return Contains(l, "..") || Contains(l, "--");
}

// --- label schema validators (DL3051-DL3058) ---
bool ValidUrl(const std::string& v) {
  if (v.size() > 1024) return false;  // std::regex recurses per character
  static const std::regex re(R"(^[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*$)");
  return std::regex_match(v, re);
}
bool ValidRfc3339(const std::string& v) {
  if (v.size() > 1024) return false;  // std::regex recurses per character
  static const std::regex re(
      R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
  return std::regex_match(v, re);
}
bool ValidSemver(const std::string& v) {
  if (v.size() > 1024) return false;  // std::regex recurses per character
  static const std::regex re(
      R"(^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)");
  return std::regex_match(v, re);
}
bool ValidHash(const std::string& v) {
  if (v.size() > 1024) return false;  // std::regex recurses per character
  static const std::regex re(R"(^[0-9a-fA-F]{7}$|^[0-9a-fA-F]{40}$)");
  return std::regex_match(v, re);
}
bool ValidEmail(const std::string& v) {
  if (v.size() > 1024) return false;  // std::regex recurses per character
  static const std::regex re(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  return std::regex_match(v, re);
}
bool ValidSpdx(const std::string& v) {
  static const std::set<std::string, std::less<>> ids = {
      "0BSD", "AFL-3.0", "AGPL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0",
      "APSL-2.0", "Artistic-2.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause", "BSL-1.0",
      "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1", "CPL-1.0", "ECL-2.0", "EPL-1.0",
      "EPL-2.0", "EUPL-1.1", "EUPL-1.2", "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0",
      "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.0", "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1",
      "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT", "MIT-0",
      "MPL-1.1", "MPL-2.0", "MS-PL", "MS-RL", "NCSA", "OFL-1.1", "OpenSSL", "PHP-3.01", "PostgreSQL",
      "Python-2.0", "Ruby", "Unlicense", "UPL-1.0", "Vim", "W3C", "WTFPL", "X11", "Zlib", "ZPL-2.1"};
  return ids.count(v) > 0;
}

void LabelSchemaRules(RuleContext& ctx, const Inst& in) {
  for (const auto& [k, v] : in.pairs) {
    for (const auto& [name, type] : ctx.opts.label_schema) {
      if (name != k) continue;
      std::string msg_label = "`" + k + "`";
      auto add = [&](const char* code, const char* tail) { ctx.Add(code, in.line, "Label " + msg_label + tail); };
      if (v.empty()) {
        add("DL3051", " is empty.");
        continue;
      }
      if (type == "url" && !ValidUrl(v)) add("DL3052", " is not a valid URL.");
      if (type == "rfc3339" && !ValidRfc3339(v)) add("DL3053", " is not a valid time format - must conform to RFC3339.");
      if (type == "spdx" && !ValidSpdx(v)) add("DL3054", " is not a valid SPDX license identifier.");
      if (type == "hash" && !ValidHash(v)) add("DL3055", " is not a valid git hash.");
      if (type == "semver" && !ValidSemver(v)) add("DL3056", " does not conform to semantic versioning.");
      if (type == "email" && !ValidEmail(v)) add("DL3058", " is not a valid email format - must conform to RFC5322.");
    }
    if (ctx.opts.strict_labels) {
      bool known = false;
      for (const auto& s : ctx.opts.label_schema) known = known || s.first == k;
      if (!known) {
        ctx.Add("DL3050", in.line);
        break;
      }
    }
  }
}

void Dl3049And3057(RuleContext& ctx) {
  const Model& m = ctx.m;
  int n = static_cast<int>(m.stages.size());
  // DL3057: stages without HEALTHCHECK (inheriting from a stage by its name).
  std::vector<bool> hc(n, false);
  for (const auto& in : m.insts)
    if (!in.onbuild && in.kw == "healthcheck" && in.stage >= 0) hc[in.stage] = true;
  for (int s = 0; s < n; ++s) {
    bool good = hc[s];
    const auto& img = m.stages[s].from.image.name;
    for (int p = 0; p < s && !good; ++p)
      if (hc[p] && m.stages[p].Name() == img) good = true;
    if (good) hc[s] = true;
    else ctx.Add("DL3057", m.stages[s].line);
  }
  // DL3049: required labels per stage; stages used by COPY --from are silent.
  std::set<std::string> copied_from;
  for (const auto& in : m.insts)
    if (in.kw == "copy" && in.copy.has_from) copied_from.insert(in.copy.from);
  for (const auto& [label, type] : ctx.opts.label_schema) {
    std::vector<bool> good(n, false);
    for (const auto& in : m.insts)
      if (!in.onbuild && in.kw == "label" && in.stage >= 0)
        for (const auto& kv : in.pairs)
          if (kv.first == label) good[in.stage] = true;
    for (int s = 0; s < n; ++s) {
      const auto& img = m.stages[s].from.image.name;
      for (int p = 0; p < s && !good[s]; ++p)
        if (good[p] && !m.stages[p].from.alias.empty() && m.stages[p].from.alias == img) good[s] = true;
      if (good[s]) continue;
      if (!m.stages[s].from.alias.empty() && copied_from.count(m.stages[s].from.alias)) continue;
      ctx.Add("DL3049", m.stages[s].line, "Label `" + label + "` is missing.");
    }
  }
}

bool RegistryAllowed(const std::vector<std::string>& allowed, const ImageRef& img) {
  if (img.registry.empty()) {
    if (img.name == "scratch") return true;
    for (const auto& a : allowed)
      if (a == "docker.io" || a == "hub.docker.com" || fnmatch(a.c_str(), "docker.io", 0) == 0) return true;
    return false;
  }
  for (const auto& a : allowed)
    if (a == img.registry || fnmatch(a.c_str(), img.registry.c_str(), 0) == 0) return true;
  return false;
}

bool IsSensitiveName(const std::string& name) {
  static const std::set<std::string, std::less<>> known = {
      "ACCESS_TOKEN", "APPLICATION_KEY", "APP_SECRET", "AUTH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
      "BITTREX_API_KEY", "BITTREX_API_SECRET", "CF_PASSWORD", "CF_USERNAME", "CIRCLE_TOKEN", "CI_DEPLOY_PASSWORD",
      "CI_DEPLOY_USER", "DOCKERHUB_PASSWORD", "DOCKER_EMAIL", "DOCKER_PASSWORD", "DOCKER_USERNAME",
      "FACEBOOK_ACCESS_TOKEN", "FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET", "FIREBASE_API_TOKEN", "FIREBASE_TOKEN",
      "FOSSA_API_KEY", "GH_ENTERPRISE_TOKEN", "GH_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_TOKEN",
      "HEROKU_API_KEY", "HEROKU_API_USER", "NPM_AUTH_TOKEN", "NPM_TOKEN", "OKTA_AUTHN_GROUPID",
      "OKTA_CLIENT_ORGURL", "OKTA_CLIENT_TOKEN", "OKTA_OAUTH2_CLIENTID", "OKTA_OAUTH2_CLIENTSECRET",
      "OPENAI_API_KEY", "OS_PASSWORD", "OS_USERNAME", "POSTGRES_PASSWORD", "SLACK_TOKEN", "STRIPE_API_KEY",
      "STRIPE_DEVICE_NAME", "TRAVIS_OS_NAME", "TRAVIS_SECURE_ENV_VARS", "TRAVIS_SUDO", "VAULT_CLIENT_KEY",
      "VAULT_TOKEN"};
  std::string up = name;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (known.count(up)) return true;
  std::string low = Lower(name);
  for (auto s : {"api_key", "client_key", "password", "private", "secret", "token", "username"})
    if (Contains(low, s)) return true;
  return false;
}

// DL3044: an ENV value refers to a variable defined by another pair of the same ENV.
bool RefersTo(const std::string& var, const std::string& text) {
  if (Contains(text, "${" + var + "}")) return true;
  std::string needle = "$" + var;
  size_t p = text.find(needle);
  while (p != std::string::npos) {
    size_t after = p + needle.size();
    if (after >= text.size() || !(std::isalnum(static_cast<unsigned char>(text[after])) || text[after] == '_'))
      return true;
    p = text.find(needle, p + 1);
  }
  return false;
}

}  // namespace

namespace {

// What the instruction rules remember while walking the Dockerfile.
struct InstrState {
  std::set<std::string> aliases;        // DL3006, DL3022, DL3024
  std::set<std::string> defined_vars;   // DL3044
  std::map<int, int> root_user;         // DL3002: stage -> line
  bool seen_from = false;               // DL3061
  int stage = -1;
  bool healthcheck = false, cmd = false, entrypoint = false;  // DL3012, DL4003, DL4004
  std::map<std::string, bool> workdir_set;  // DL3045: stage name -> set
  std::string cur_stage_name;
  std::set<std::string> registry_aliases;  // DL3026
};

// ONBUILD triggers: DL3043 and DL3064 only.
void OnbuildRules(RuleContext& ctx, const Inst& in) {
  const std::string& k = in.kw;
  if (k == "onbuild" || k == "from" || k == "maintainer") ctx.Add("DL3043", in.line);
  if (k == "arg" || k == "env") {
    for (const auto& p : (k == "env" ? in.pairs : std::vector<std::pair<std::string, std::string>>{{in.arg_name, ""}}))
      if (IsSensitiveName(p.first)) { ctx.Add("DL3064", in.line); break; }
  }
}

void FromRules(RuleContext& ctx, InstrState& st, const Inst& in) {
  st.seen_from = true;
  ++st.stage;
  st.healthcheck = st.cmd = st.entrypoint = false;
  const FromInfo& f = in.from;
  // DL3006 / DL3007
  // hadolint 2.12 also reports `FROM ${IMAGE}` (hadolint issue #979; later
  // releases skip variables).
  if (f.image.name != "scratch" && f.image.digest.empty() && f.image.tag.empty() && !st.aliases.count(f.image.name))
    ctx.Add("DL3006", in.line);
  if (f.image.tag == "latest") ctx.Add("DL3007", in.line);
  // DL3024
  if (!f.alias.empty() && st.aliases.count(f.alias)) ctx.Add("DL3024", in.line);
  // DL3026
  if (!ctx.opts.trusted_registries.empty() && !st.registry_aliases.count(f.image.name) &&
      !RegistryAllowed(ctx.opts.trusted_registries, f.image))
    ctx.Add("DL3026", in.line);
  st.registry_aliases.insert(f.alias);
  // DL3029 / DL3065
  // 2.12 (hadolint PR #867) accepts $BUILDPLATFORM / $TARGETPLATFORM in any spelling.
  if (f.has_platform && !f.platform.empty() && !Contains(f.platform, "BUILDPLATFORM") &&
      !Contains(f.platform, "TARGETPLATFORM"))
    ctx.Add("DL3029", in.line);
  if (f.has_platform && (f.platform == "$TARGETPLATFORM" || f.platform == "${TARGETPLATFORM}"))
    ctx.Add("DL3065", in.line);
  // DL3063
  if (!f.alias.empty() && (Lower(f.alias) == "scratch" || Lower(f.alias) == "context")) ctx.Add("DL3063", in.line);
  if (!f.alias.empty()) st.aliases.insert(f.alias);
  // DL3045: inherit WORKDIR state from the stage named by the image
  std::string name = f.alias.empty() ? f.image.name : f.alias;
  bool parent = st.workdir_set.count(f.image.name) ? st.workdir_set[f.image.name] : false;
  st.workdir_set[name] = parent;
  st.cur_stage_name = name;
}

void UserRules(RuleContext& ctx, InstrState& st, const Inst& in) {
  std::string u = FirstArg(in);
  bool root = StartsWith(u, "root:") || StartsWith(u, "0:") || u == "root" || u == "0";
  if (st.stage >= 0) {
    if (root) st.root_user[st.stage] = in.line;
    else st.root_user.erase(st.stage);
  }
  std::string uid = u.substr(0, u.find(':'));
  if (!uid.empty() && !AllDigits(uid)) ctx.Add("DL3066", in.line);
}

void CopyRules(RuleContext& ctx, InstrState& st, const Inst& in) {
  Dl3021(ctx, in);
  if (in.copy.has_from) {
    const std::string& s = in.copy.from;
    bool index = AllDigits(s) && s.size() < 9 && std::stoi(s) < st.stage + 1;
    if (!st.aliases.count(s) && !index && !Contains(s, ":")) ctx.Add("DL3022", in.line);
    if (st.stage >= 0 && !ctx.m.stages[st.stage].from.alias.empty() && ctx.m.stages[st.stage].from.alias == s)
      ctx.Add("DL3023", in.line);
    bool root_src = false;
    for (const auto& src : in.copy.sources) root_src = root_src || DropQuotes(src) == "/";
    if (root_src && DropQuotes(in.copy.dest) == "/") ctx.Add("DL3067", in.line);
  }
  // DL3045
  if (!st.workdir_set[st.cur_stage_name]) {
    std::string d = DropQuotes(in.copy.dest);
    bool abs = StartsWith(d, "/") || StartsWith(d, "$") ||
               (d.size() > 1 && (d.compare(1, 2, ":\\") == 0 || d.compare(1, 2, ":/") == 0));
    if (!abs) ctx.Add("DL3045", in.line);
  }
}

void EnvRules(RuleContext& ctx, InstrState& st, const Inst& in) {
  bool fail = false;
  for (size_t a = 0; a < in.pairs.size() && !fail; ++a) {
    const std::string& var = in.pairs[a].first;
    if (st.defined_vars.count(var)) continue;
    for (size_t b = 0; b < in.pairs.size(); ++b)
      if (b != a && RefersTo(var, in.pairs[b].second)) fail = true;
  }
  for (const auto& kv : in.pairs) st.defined_vars.insert(kv.first);
  if (fail) ctx.Add("DL3044", in.line);
  for (const auto& kv : in.pairs)
    if (IsSensitiveName(kv.first)) { ctx.Add("DL3064", in.line); break; }
}

// One instruction (not FROM, not an ONBUILD trigger).
void OtherInstructionRules(RuleContext& ctx, InstrState& st, const Inst& in) {
  const std::string& k = in.kw;
  if (k == "workdir") {
    Dl3000(ctx, in);
    st.workdir_set[st.cur_stage_name] = true;
  } else if (k == "user") {
    UserRules(ctx, st, in);
  } else if (k == "expose") {
    Dl3011(ctx, in);
  } else if (k == "healthcheck") {
    if (st.healthcheck) ctx.Add("DL3012", in.line);
    st.healthcheck = true;
  } else if (k == "add") {
    Dl3020(ctx, in);
  } else if (k == "copy") {
    CopyRules(ctx, st, in);
  } else if (k == "cmd" || k == "entrypoint") {
    if (!in.ast->json) ctx.Add("DL3025", in.line);
    bool& seen = k == "cmd" ? st.cmd : st.entrypoint;
    if (seen) ctx.Add(k == "cmd" ? "DL4003" : "DL4004", in.line);
    seen = true;
  } else if (k == "maintainer") {
    ctx.Add("DL4000", in.line);
  } else if (k == "label") {
    for (const auto& kv : in.pairs)
      if (LabelKeyInvalid(kv.first)) { ctx.Add("DL3048", in.line); break; }
    LabelSchemaRules(ctx, in);
  } else if (k == "env") {
    EnvRules(ctx, st, in);
  } else if (k == "arg") {
    for (const auto& a : in.args_decl) st.defined_vars.insert(a.first);
    for (const auto& a : in.args_decl)
      if (IsSensitiveName(a.first)) { ctx.Add("DL3064", in.line); break; }
  }
}

}  // namespace

void RunInstructionRules(RuleContext& ctx) {
  for (const auto& c : ctx.m.comments)
    if (ParsePragma(c.text).kind == Pragma::kIgnore) ctx.Add("DL1001", c.line);
  InstrState st;
  for (const Inst& in : ctx.m.insts) {
    if (in.onbuild) {
      OnbuildRules(ctx, in);
      continue;
    }
    if (!st.seen_from && in.kw != "from" && in.kw != "arg") ctx.Add("DL3061", in.line);
    if (in.kw == "from") FromRules(ctx, st, in);
    else OtherInstructionRules(ctx, st, in);
  }
  for (const auto& [s, line] : st.root_user) ctx.Add("DL3002", line);
  Dl3049And3057(ctx);
}

}  // namespace kiln::lint
