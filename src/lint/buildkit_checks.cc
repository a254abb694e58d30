// BuildKit's build checks (frontend/dockerfile/linter), with BuildKit's rule
// names and message formats, over the same Model the hadolint rules use.

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "base/strings.h"
#include "base/pattern_matcher.h"
#include "lint/rules.h"

namespace kiln::lint {

namespace {

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
std::string Quote(const std::string& s) {  // Go's %q for plain strings
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct VarRef {
  std::string name;
  bool has_modifier = false;  // ${X:-y}, ${X+y}, ...
};

// Variable references in a Dockerfile word (no expansion; single quotes and
// the escape character protect '$').
std::vector<VarRef> VarRefs(const std::string& w, char escape) {
  std::vector<VarRef> out;
  bool single = false, dbl = false;
  for (size_t i = 0; i < w.size(); ++i) {
    char c = w[i];
    if (c == escape && !single) { ++i; continue; }
    if (c == '\'' && !dbl) { single = !single; continue; }
    if (c == '"' && !single) { dbl = !dbl; continue; }
    if (c != '$' || single || i + 1 >= w.size()) continue;
    VarRef r;
    if (w[i + 1] == '{') {
      size_t j = i + 2;
      while (j < w.size() && (std::isalnum(static_cast<unsigned char>(w[j])) || w[j] == '_')) ++j;
      r.name = w.substr(i + 2, j - i - 2);
      r.has_modifier = j < w.size() && w[j] != '}';
      size_t close = w.find('}', j);
      i = close == std::string::npos ? w.size() : close;
    } else {
      size_t j = i + 1;
      while (j < w.size() && (std::isalnum(static_cast<unsigned char>(w[j])) || w[j] == '_')) ++j;
      r.name = w.substr(i + 1, j - i - 1);
      i = j - 1;
    }
    if (!r.name.empty() && !std::isdigit(static_cast<unsigned char>(r.name[0]))) out.push_back(r);
  }
  return out;
}

size_t Levenshtein(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// BuildKit's "did you mean": the closest option within a third of the length.
std::string Suggest(const std::string& v, const std::set<std::string>& options) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& o : options) {
    size_t d = Levenshtein(Lower(v), Lower(o));
    if (d < best_d) { best_d = d; best = o; }
  }
  size_t limit = std::max<size_t>(1, v.size() / 3);
  return best_d <= limit ? best : "";
}

const std::set<std::string> kPlatformArgs = {"BUILDPLATFORM", "BUILDOS",  "BUILDARCH",  "BUILDVARIANT",
                                             "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"};
const std::set<std::string> kProxyArgs = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                          "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};

// Expands $X / ${X} / ${X:-d} with `vals` (undefined = empty); quotes removed.
std::string Expand(const std::string& w, const std::map<std::string, std::string>& vals) {
  std::string out;
  for (size_t i = 0; i < w.size(); ++i) {
    char c = w[i];
    if (c == '"' || c == '\'') continue;
    if (c != '$' || i + 1 >= w.size()) { out += c; continue; }
    std::string name, mod, word;
    if (w[i + 1] == '{') {
      size_t close = w.find('}', i);
      std::string inner = w.substr(i + 2, close == std::string::npos ? std::string::npos : close - i - 2);
      size_t j = 0;
      while (j < inner.size() && (std::isalnum(static_cast<unsigned char>(inner[j])) || inner[j] == '_')) ++j;
      name = inner.substr(0, j);
      std::string rest = inner.substr(j);
      if (StartsWith(rest, ":-") || StartsWith(rest, ":+")) { mod = rest.substr(0, 2); word = rest.substr(2); }
      else if (StartsWith(rest, "-") || StartsWith(rest, "+")) { mod = rest.substr(0, 1); word = rest.substr(1); }
      i = close == std::string::npos ? w.size() : close;
    } else {
      size_t j = i + 1;
      while (j < w.size() && (std::isalnum(static_cast<unsigned char>(w[j])) || w[j] == '_')) ++j;
      name = w.substr(i + 1, j - i - 1);
      i = j - 1;
    }
    auto it = vals.find(name);
    bool set = it != vals.end();
    std::string v = set ? it->second : "";
    if (mod == ":-") out += v.empty() ? word : v;
    else if (mod == "-") out += set ? v : word;
    else if (mod == ":+") out += v.empty() ? "" : word;
    else if (mod == "+") out += set ? word : "";
    else out += v;
  }
  return out;
}

bool ValidReference(const std::string& s) {
  if (s.size() > 512) return false;  // std::regex recurses per character
  static const std::regex re(
      R"(^(([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]+)?/)?)"
      R"([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*)"
      R"((:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$)");
  return std::regex_match(s, re);
}

bool IsSecretName(const std::string& name) {
  if (name.size() > 256) return false;  // std::regex recurses per character
  static const std::regex deny(
      R"((?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$))",
      std::regex::icase);
  static const std::regex allow(R"((?:_|^)public(?:_|$))", std::regex::icase);
  return std::regex_search(name, deny) && !std::regex_search(name, allow);
}

bool DockerignoreMatch(const std::vector<std::string>& patterns, std::string path) {
  while (StartsWith(path, "./")) path = path.substr(2);
  while (StartsWith(path, "/")) path = path.substr(1);
  if (path.empty() || path == ".") return false;
  std::vector<std::string> relative;  // patterns relative to the context root
  for (std::string p : patterns) {
    bool neg = StartsWith(p, "!");
    if (neg) p = p.substr(1);
    while (StartsWith(p, "/")) p = p.substr(1);
    while (StartsWith(p, "./")) p = p.substr(2);
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (p.empty()) continue;
    relative.push_back(neg ? "!" + p : p);
  }
  // BuildKit: ignoreMatcher.MatchesOrParentMatches(src). A malformed pattern
  // fails BuildKit's build before any check; here it just matches nothing.
  auto matcher = PatternMatcher::Create(relative);
  return matcher.ok() && matcher->Matches(path);
}

struct CheckConfig {
  std::set<std::string> skip;
  bool skip_all = false;
  bool error = false;
};

CheckConfig ParseCheckValue(const std::string& v, CheckConfig c) {
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t semi = v.find(';', pos);
    std::string part = v.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
    size_t eq = part.find('=');
    std::string key = Lower(part.substr(0, eq));
    key.erase(0, key.find_first_not_of(" \t"));
    std::string val = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (key == "skip") {
      size_t p2 = 0;
      while (p2 <= val.size()) {
        size_t comma = val.find(',', p2);
        std::string r = val.substr(p2, comma == std::string::npos ? std::string::npos : comma - p2);
        r.erase(0, r.find_first_not_of(" \t"));
        r.erase(r.find_last_not_of(" \t") + 1);
        if (Lower(r) == "all") c.skip_all = true;
        else if (!r.empty()) c.skip.insert(r);
        if (comma == std::string::npos) break;
        p2 = comma + 1;
      }
    } else if (key == "error") {
      c.error = Lower(val) == "true" || val == "1";
    }
    if (semi == std::string::npos) break;
    pos = semi + 1;
  }
  return c;
}

class Checker {
 public:
  explicit Checker(RuleContext& ctx) : ctx_(ctx), m_(ctx.m) {}

  void Run() {
    for (const auto& d : m_.ast->directives)
      if (Lower(d.name) == "check") cfg_ = ParseCheckValue(d.value, cfg_);
    auto it = ctx_.opts.build_args.find("BUILDKIT_DOCKERFILE_CHECK");
    if (it != ctx_.opts.build_args.end()) cfg_ = ParseCheckValue(it->second, CheckConfig());
    if (cfg_.skip_all) return;
    for (const auto& w : m_.ast->warnings)
      if (w.rule == "NoEmptyContinuation" || w.rule == "NoEmptyContinuations")
        Add("NoEmptyContinuation", w.range.start.line, "Empty continuation line", nullptr);
    Casing();
    Stages();
    Instructions();
    for (const auto& x : ctx_.opts.external_checks) {
      const Inst* at = nullptr;
      for (const auto& in : m_.insts)
        if (in.line == x.line && !in.onbuild) at = &in;
      Add(x.rule.c_str(), x.line, x.message, at);
    }
  }

 private:
  void Add(const char* rule, int line, const std::string& msg, const Inst* in) {
    if (cfg_.skip.count(rule)) return;
    if (in) {
      for (const auto& c : in->outer->comments) {
        std::string t = c;
        t.erase(0, t.find_first_not_of(" \t"));
        if (StartsWith(Lower(t), "check=") && !IsDirective(t)) {
          CheckConfig local = ParseCheckValue(t.substr(6), CheckConfig());
          if (local.skip_all || local.skip.count(rule)) return;
        }
      }
    }
    Finding f;
    f.code = rule;
    f.severity = cfg_.error ? Severity::kError : Severity::kWarning;
    f.message = msg;
    f.line = line;
    f.file = m_.ast->filename;
    ctx_.out.push_back(std::move(f));
  }

  // The file's `# check=` directive also shows up as a comment above the
  // first instruction; it is not a per-instruction skip.
  bool IsDirective(const std::string& comment) const {
    for (const auto& d : m_.ast->directives) {
      std::string t = comment.substr(comment.find('=') + 1);
      t.erase(0, t.find_first_not_of(" \t"));
      if (Lower(d.name) == "check" && t == d.value) return true;
    }
    return false;
  }

  void Casing() {
    int lower = 0, upper = 0;
    for (const auto& in : m_.insts) {
      if (in.onbuild) continue;
      const std::string& k = in.ast->keyword_as_written;
      if (k == Lower(k)) ++lower;
      else if (k == Upper(k)) ++upper;
    }
    bool majority_lower = lower > upper;
    for (const auto& in : m_.insts) {
      if (in.onbuild) continue;
      const std::string& k = in.ast->keyword_as_written;
      if (majority_lower ? k != Lower(k) : k != Upper(k))
        Add("ConsistentInstructionCasing", in.line,
            "Command '" + k + "' should match the case of the command majority (" +
                (majority_lower ? "lowercase" : "uppercase") + ")",
            &in);
    }
  }

  void Stages() {
    std::set<std::string> names;
    std::map<std::string, std::string> global;  // ARGs before the first FROM -> default
    std::set<std::string> declared;
    for (const auto& in : m_.insts) {
      if (in.onbuild) continue;
      if (in.kw == "arg" && in.stage < 0) {
        for (const auto& [n, d] : in.args_decl) {
          declared.insert(n);
          global[n] = d.value_or("");
        }
        continue;
      }
      if (in.kw != "from") continue;
      const FromInfo& f = in.from;
      if (!f.alias.empty()) {
        if (f.alias != Lower(f.alias)) Add("StageNameCasing", in.line, "Stage name '" + f.alias + "' should be lowercase", &in);
        const std::string& kw = in.ast->keyword_as_written;
        bool up = kw == Upper(kw);
        if (kw == Upper(kw) || kw == Lower(kw)) {
          if (up ? f.as_word != Upper(f.as_word) : f.as_word != Lower(f.as_word))
            Add("FromAsCasing", in.line, "'" + f.as_word + "' and '" + kw + "' keywords' casing do not match", &in);
        }
        std::string l = Lower(f.alias);
        if (names.count(l))
          Add("DuplicateStageName", in.line, "Duplicate stage name " + Quote(l) + ", stage names should be unique", &in);
        names.insert(l);
        if (l == "context" || l == "scratch")
          Add("ReservedStageName", in.line, "Stage name should not use the same name as reserved stage " + Quote(l), &in);
      }
      // Arguments of FROM must be declared globally.
      std::set<std::string> known = declared;
      known.insert(kPlatformArgs.begin(), kPlatformArgs.end());
      std::vector<std::string> words = {f.image.raw};
      if (f.has_platform) words.push_back(f.platform);
      for (const auto& w : words)
        for (const auto& r : VarRefs(w, m_.ast->escape)) {
          if (known.count(r.name) || r.has_modifier) continue;
          std::string s = Suggest(r.name, known);
          Add("UndefinedArgInFrom", in.line,
              "FROM argument '" + r.name + "' is not declared" + (s.empty() ? "" : " (did you mean " + s + "?)"), &in);
        }
      if (!VarRefs(f.image.raw, m_.ast->escape).empty()) {
        std::string expanded = Expand(f.image.raw, global);
        if (expanded.empty() || !ValidReference(expanded))
          Add("InvalidDefaultArgInFrom", in.line,
              "Default value for ARG " + f.image.raw + " results in empty or invalid base image name", &in);
      }
      if (f.has_platform) {
        if (f.platform.find('$') == std::string::npos) {
          std::string os = f.platform.substr(0, f.platform.find('/'));
          std::string arch = f.platform.find('/') == std::string::npos ? "" : f.platform.substr(f.platform.find('/') + 1);
          arch = arch.substr(0, arch.find('/'));
          std::string l = Lower(f.alias);
          bool named = !l.empty() && ((!os.empty() && l.find(os) != std::string::npos) ||
                                      (!arch.empty() && l.find(arch) != std::string::npos));
          if (!named)
            Add("FromPlatformFlagConstDisallowed", in.line,
                "FROM --platform flag should not use constant value " + Quote(f.platform), &in);
        } else if (f.platform == "$TARGETPLATFORM" || f.platform == "${TARGETPLATFORM}") {
          Add("RedundantTargetPlatform", in.line,
              "Setting platform to predefined " + f.platform + " in FROM is redundant as this is the default behavior", &in);
        }
      }
    }
  }

  void CheckVars(const Inst& in, const std::vector<std::string>& words, const std::set<std::string>& defined) {
    std::set<std::string> reported;
    for (const auto& w : words)
      for (const auto& r : VarRefs(w, m_.ast->escape)) {
        if (defined.count(r.name) || r.has_modifier || reported.count(r.name)) continue;
        reported.insert(r.name);
        std::string s = Suggest(r.name, defined);
        Add("UndefinedVar", in.line,
            "Usage of undefined variable '$" + r.name + "'" + (s.empty() ? "" : " (did you mean $" + s + "?)"), &in);
      }
  }

  void Instructions() {
    struct StageState {
      std::set<std::string> env, args;
      bool abs_workdir = false;
      bool shell = false;
    };
    std::vector<StageState> states;
    std::set<std::string> global_args;
    StageState* cur = nullptr;
    std::map<std::string, std::vector<const Inst*>> per_stage_multi;
    auto flush_multi = [&]() {
      for (auto& [kw, list] : per_stage_multi)
        for (size_t i = 0; i + 1 < list.size(); ++i)
          Add("MultipleInstructionsDisallowed", list[i]->line,
              "Multiple " + Upper(kw) + " instructions should not be used in the same stage because only the last one will be used",
              list[i]);
      per_stage_multi.clear();
    };
    for (const auto& in : m_.insts) {
      if (in.onbuild) continue;
      const std::string& k = in.kw;
      if (k == "from") {
        flush_multi();
        StageState st;
        // inherit from a previous stage used as the base
        for (size_t s = 0; s < m_.stages.size() && static_cast<int>(s) < in.stage; ++s)
          if (!m_.stages[s].from.alias.empty() && m_.stages[s].from.alias == in.from.image.name) {
            st.env = states[s].env;
            st.abs_workdir = states[s].abs_workdir;
          }
        st.env.insert("PATH");  // every base image config sets PATH
        states.push_back(st);
        cur = &states.back();
        continue;
      }
      if (k == "arg" && !cur) {
        for (const auto& a : in.args_decl) global_args.insert(a.first);
        continue;
      }
      if (!cur) continue;
      std::set<std::string> defined = cur->env;
      defined.insert(cur->args.begin(), cur->args.end());
      defined.insert(kProxyArgs.begin(), kProxyArgs.end());
      static const std::set<std::string> kExpanding = {"add", "copy", "env", "expose", "label", "stopsignal",
                                                       "user", "volume", "workdir", "arg"};
      if (kExpanding.count(k)) {
        std::vector<std::string> words;
        if (k == "env" || k == "label") {
          for (size_t i = 1; i < in.ast->args.size(); i += 3) words.push_back(in.ast->args[i]);
        } else if (k == "arg") {
          for (const auto& a : in.ast->args)
            if (a.find('=') != std::string::npos) words.push_back(a.substr(a.find('=') + 1));
        } else {
          words = in.ast->args;
          for (const auto& f : in.ast->flags)
            if (StartsWith(f, "--chown=") || StartsWith(f, "--chmod=")) words.push_back(f);
        }
        CheckVars(in, words, defined);
      }
      if (k == "arg") {
        for (const auto& a : in.args_decl) {
          cur->args.insert(a.first);
          if (IsSecretName(a.first))
            Add("SecretsUsedInArgOrEnv", in.line,
                "Do not use ARG or ENV instructions for sensitive data (ARG " + Quote(a.first) + ")", &in);
        }
      } else if (k == "env" || k == "label") {
        if (in.legacy_kv) {
          std::string kw = Upper(k);
          Add("LegacyKeyValueFormat", in.line,
              "\"" + kw + " key=value\" should be used instead of legacy \"" + kw + " key value\" format", &in);
        }
        if (k == "env")
          for (const auto& kv : in.pairs) {
            cur->env.insert(kv.first);
            if (IsSecretName(kv.first))
              Add("SecretsUsedInArgOrEnv", in.line,
                  "Do not use ARG or ENV instructions for sensitive data (ENV " + Quote(kv.first) + ")", &in);
          }
      } else if (k == "maintainer") {
        Add("MaintainerDeprecated", in.line, "Maintainer instruction is deprecated in favor of using label", &in);
      } else if (k == "workdir") {
        std::string p = in.words.empty() ? "" : in.words[0];
        if (StartsWith(p, "/") || StartsWith(p, "$")) cur->abs_workdir = true;
        else if (!cur->abs_workdir)
          Add("WorkdirRelativePath", in.line,
              "Relative workdir " + Quote(p) + " can have unexpected results if the base image changes", &in);
      } else if (k == "shell") {
        cur->shell = true;
      } else if (k == "cmd" || k == "entrypoint" || k == "healthcheck") {
        per_stage_multi[k].push_back(&in);
        if (k != "healthcheck" && !in.ast->json && !cur->shell)
          Add("JSONArgsRecommended", in.line,
              "JSON arguments recommended for " + Upper(k) + " to prevent unintended behavior related to OS signals", &in);
      } else if (k == "expose") {
        for (const auto& w : in.words) {
          if (w.find(':') != std::string::npos)
            Add("ExposeInvalidFormat", in.line,
                "EXPOSE instruction should not define an IP address or host-port mapping, found '" + w + "'", &in);
          size_t slash = w.find('/');
          if (slash != std::string::npos) {
            std::string proto = w.substr(slash + 1);
            if (proto != Lower(proto))
              Add("ExposeProtoCasing", in.line, "Defined protocol '" + w + "' in EXPOSE instruction should be lowercase", &in);
          }
        }
      } else if ((k == "copy" || k == "add") && !in.copy.has_from && !ctx_.opts.dockerignore.empty()) {
        for (const auto& src : in.copy.sources) {
          if (StartsWith(src, "http://") || StartsWith(src, "https://") || StartsWith(src, "git@")) continue;
          if (DockerignoreMatch(ctx_.opts.dockerignore, src))
            Add("CopyIgnoredFile", in.line,
                std::string("Attempting to ") + (k == "copy" ? "Copy" : "Add") + " file " + Quote(src) +
                    " that is excluded by .dockerignore",
                &in);
        }
      }
    }
    flush_multi();
  }

  RuleContext& ctx_;
  const Model& m_;
  CheckConfig cfg_;
};

}  // namespace

void RunBuildChecks(RuleContext& ctx) { Checker(ctx).Run(); }

}  // namespace kiln::lint
