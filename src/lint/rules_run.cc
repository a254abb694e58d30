// hadolint's command-aware rules: each looks at the commands of a RUN through
// its shell-word parse (shell.h), as hadolint does through ShellCheck's parser.
#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"
#include "lint/rules.h"

namespace kiln::lint {

namespace {

using Cmd = ShellCommand;


std::vector<std::string> StripInstallPrefix(const std::vector<std::string>& args) {
  auto it = std::find(args.begin(), args.end(), "install");
  while (it != args.end() && *it == "install") ++it;
  return {it, args.end()};
}

bool ArgsContainSeq(const Cmd& c, std::initializer_list<std::string_view> seq) {
  auto args = c.Args();
  std::vector<std::string> s(seq.begin(), seq.end());
  return std::search(args.begin(), args.end(), s.begin(), s.end()) != args.end();
}

bool IsPipInstall(const Cmd& c) {
  if (StartsWith(c.name, "pip") && c.HasArg("install")) return true;
  return StartsWith(c.name, "python") && ArgsContainSeq(c, {"-m", "pip", "install"});
}

// --- per-command predicates -------------------------------------------------

std::vector<std::string> AptGetPackages(const Cmd& c) {
  std::vector<std::string> out;
  if (!c.HasArgs("apt-get", {"install"})) return out;
  for (auto& a : c.DropFlagArg({"t", "target-release"}).ArgsNoFlags())
    if (a != "install") out.push_back(a);
  return out;
}

bool Dl3008(const Cmd& c) {
  for (const auto& p : AptGetPackages(c))
    if (!(Contains(p, "=") || Contains(p, "/") || EndsWith(p, ".deb"))) return true;
  return false;
}

const std::vector<std::string_view> kPipFlagsWithArg = {
    "abi", "b", "build", "e", "editable", "extra-index-url", "f", "find-links", "i", "index-url",
    "implementation", "no-binary", "only-binary", "platform", "prefix", "progress-bar", "proxy",
    "python-version", "root", "src", "t", "target", "trusted-host", "upgrade-strategy"};

bool Dl3013(const Cmd& c) {
  if (!IsPipInstall(c)) return false;
  if (c.HasFlag("constraint") || c.HasFlag("c")) return false;
  if (c.HasArg("--requirement") || c.HasArg("-r") || c.HasArg(".")) return false;
  // dropFlagArg over the pip flag list
  std::set<int> drop;
  for (const auto& f : c.flags) {
    if (std::find(kPipFlagsWithArg.begin(), kPipFlagsWithArg.end(), f.text) == kPipFlagsWithArg.end()) continue;
    int next = -1;
    for (const auto& a : c.args)
      if (a.id > f.id && (next < 0 || a.id < next)) next = a.id;
    if (next >= 0) drop.insert(next);
  }
  std::set<int> flag_ids;
  for (const auto& f : c.flags) flag_ids.insert(f.id);
  std::vector<std::string> rest;
  for (const auto& a : c.args)
    if (!drop.count(a.id) && !flag_ids.count(a.id)) rest.push_back(a.text);
  static const std::vector<std::string_view> kVcs = {
      "git+file", "git+https", "git+ssh", "git+http", "git+git", "git", "hg+file", "hg+http", "hg+https",
      "hg+ssh", "hg+static-http", "svn", "svn+svn", "svn+http", "svn+https", "svn+ssh", "bzr+http",
      "bzr+https", "bzr+ssh", "bzr+sftp", "bzr+ftp", "bzr+lp"};
  auto is_vcs = [&](const std::string& p) {
    for (auto v : kVcs)
      if (StartsWith(p, v)) return true;
    return false;
  };
  for (const auto& p : StripInstallPrefix(rest)) {
    bool fixed = false;
    for (auto s : {"==", ">=", "<=", ">", "<", "!=", "~=", "==="}) fixed = fixed || Contains(p, s);
    fixed = fixed || (is_vcs(p) && Contains(p, "@"));
    fixed = fixed || EndsWith(p, ".whl") || EndsWith(p, ".tar.gz");
    fixed = fixed || (!is_vcs(p) && Contains(p, "/"));
    if (!fixed) return true;
  }
  return false;
}

bool Dl3014(const Cmd& c) {
  return c.HasArgs("apt-get", {"install"}) && !c.HasAnyFlag({"y", "yes", "q", "assume-yes"});
}

bool Dl3015(const Cmd& c) {
  return c.HasArgs("apt-get", {"install"}) &&
         !(c.HasFlag("no-install-recommends") || c.HasArg("APT::Install-Recommends=false"));
}

bool Dl3016(const Cmd& c) {
  if (!c.HasArgs("npm", {"install"})) return false;
  auto nf = c.DropFlagArg({"loglevel"}).ArgsNoFlags();
  if (nf.empty() || nf[0] != "install") return false;
  for (const auto& p : StripInstallPrefix(nf)) {
    bool fixed;
    if (StartsWith(p, "git://") || StartsWith(p, "git+ssh://") || StartsWith(p, "git+http://") ||
        StartsWith(p, "git+https://")) {
      fixed = Contains(p, "#");
    } else if (EndsWith(p, ".tar") || EndsWith(p, ".tar.gz") || EndsWith(p, ".tgz")) {
      fixed = true;
    } else if (StartsWith(p, "/") || StartsWith(p, "./") || StartsWith(p, "../") || StartsWith(p, "~/")) {
      fixed = true;
    } else {
      std::string q = p;
      if (StartsWith(q, "@")) {
        size_t slash = q.find('/');
        q = slash == std::string::npos ? "" : q.substr(slash);
      }
      fixed = Contains(q, "@");
    }
    if (!fixed) return true;
  }
  return false;
}

bool Dl3018(const Cmd& c) {
  if (!c.HasArgs("apk", {"add"})) return false;
  for (auto& p : c.DropFlagArg({"t", "virtual", "repository", "X"}).ArgsNoFlags()) {
    if (p == "add") continue;
    // 2.12: `=` (incl. `=~`) or an .apk file; a bare `~` pin came with 2.14.
    if (!(Contains(p, "=") || EndsWith(p, ".apk"))) return true;
  }
  return false;
}

bool Dl3019(const Cmd& c) { return c.HasArgs("apk", {"add"}) && !c.HasFlag("no-cache"); }

bool Dl3028(const Cmd& c) {
  if (!c.HasArgs("gem", {"install", "i"})) return false;
  if (c.HasArg("-v") || c.HasArg("--version") || c.HasPrefixArg("gem", "--version=")) return false;
  for (const auto& a : c.ArgsNoFlags()) {
    if (a == "install" || a == "i" || a == "--") continue;
    if (!Contains(a, ":")) return true;
  }
  return false;
}

bool Dl3030(const Cmd& c) {
  return c.HasArgs("yum", {"install", "groupinstall", "localinstall"}) && !c.HasAnyFlag({"y", "assumeyes"});
}

bool Dl3033(const Cmd& c) {
  if (!c.HasArgs("yum", {"install"})) return false;
  bool module = c.HasArgs("yum", {"module"});
  for (const auto& a : c.ArgsNoFlags()) {
    if (a == "install" || a == "module") continue;
    bool fixed = module ? Contains(a, ":") : (Contains(a, "-") || EndsWith(a, ".rpm"));
    if (!fixed) return true;
  }
  return false;
}

bool Dl3034(const Cmd& c) {
  return c.HasArgs("zypper", {"install", "in", "remove", "rm", "source-install", "si", "patch"}) &&
         !c.HasAnyFlag({"no-confirm", "y", "n", "non-interactive"});
}

bool Dl3035(const Cmd& c) { return c.HasArgs("zypper", {"dist-upgrade", "dup"}); }

bool Dl3037(const Cmd& c) {
  if (!c.HasArgs("zypper", {"install", "in"})) return false;
  for (const auto& a : c.ArgsNoFlags()) {
    if (a == "install" || a == "in") continue;
    if (!(Contains(a, "=") || Contains(a, ">") || Contains(a, "<") || EndsWith(a, ".rpm"))) return true;
  }
  return false;
}

bool IsDnf(const Cmd& c) { return c.name == "dnf" || c.name == "microdnf"; }
bool DnfHas(const Cmd& c, std::initializer_list<std::string_view> a) {
  return IsDnf(c) && c.HasArgs(c.name, a);
}

bool Dl3038(const Cmd& c) {
  return DnfHas(c, {"install", "groupinstall", "localinstall"}) && !c.HasAnyFlag({"y", "assumeyes"});
}

// hadolint 2.12: a dash (name-version) or an .rpm file counts as pinned. (The
// stricter version-part check came with 2.13.)
bool DnfVersionLike(const std::string& p) { return Contains(p, "-") || EndsWith(p, ".rpm"); }

bool Dl3041(const Cmd& c) {
  if (!DnfHas(c, {"install"})) return false;
  bool module = DnfHas(c, {"module"});
  bool group = DnfHas(c, {"module", "group"});
  for (const auto& a : c.ArgsNoFlags()) {
    if (a == "install" || a == "module") continue;
    if (module) {
      if (!Contains(a, ":")) return true;
    } else if (!group && !DnfVersionLike(a)) {
      return true;
    }
  }
  return false;
}

bool Dl3046(const Cmd& c) {
  if (c.name != "useradd") return false;
  if (c.HasAnyFlag({"l", "no-log-init"}) || !c.HasAnyFlag({"u", "uid"})) return false;
  for (const auto& v : c.FlagArg("u"))
    if (v.size() > 5) return true;
  return false;
}

bool Dl3047(const Cmd& c) {
  if (c.name != "wget") return false;
  if (c.HasFlag("progress")) return false;
  if (c.HasAnyFlag({"q", "quiet", "o", "output-file", "a", "append-output", "no-verbose"})) return false;
  return !c.HasArg("-nv");
}

bool Dl3062(const Cmd& c) {
  if (c.name != "go" || !c.HasArg("install")) return false;
  auto nf = c.ArgsNoFlags();
  auto it = std::find(nf.begin(), nf.end(), "install");
  if (it == nf.end()) return false;
  for (++it; it != nf.end(); ++it) {
    if (StartsWith(*it, ".") || StartsWith(*it, "/")) continue;
    if (!Contains(*it, "@")) return true;
  }
  return false;
}

bool Dl4005(const Cmd& c) { return c.HasArgs("ln", {"/bin/sh"}); }

bool Dl3042Forgot(const Cmd& c) {
  if (!IsPipInstall(c) || c.HasArg("--no-cache-dir")) return false;
  for (auto w : {"pipx", "pipenv"})
    if (Contains(c.name, w) || (StartsWith(c.name, "python") && ArgsContainSeq(c, {"-m", w}))) return false;
  return true;
}

bool AnyOf(const ParsedShell& s, bool (*p)(const Cmd&)) {
  for (const auto& c : s.commands)
    if (p(c)) return true;
  return false;
}

const std::set<std::string, std::less<>> kTruthy = {"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"};

// --mount=type=cache,target=DIR targets of a RUN.
std::vector<std::string> CacheMountTargets(const Inst& in) {
  std::vector<std::string> out;
  for (const auto& f : in.ast->flags) {
    if (!StartsWith(f, "--mount=")) continue;
    std::string spec = f.substr(8), type = "bind", target;
    size_t pos = 0;
    while (pos <= spec.size()) {
      size_t comma = spec.find(',', pos);
      std::string kv = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      size_t eq = kv.find('=');
      std::string k = Lower(kv.substr(0, eq)), v = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (k == "type") type = v;
      if (k == "target" || k == "dst" || k == "destination") target = DropQuotes(v);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (type == "cache") out.push_back(target);
  }
  return out;
}

bool HasCacheDir(const Inst& in, std::string_view dir) {
  for (const auto& t : CacheMountTargets(in))
    if (StartsWith(t, dir)) return true;
  return false;
}

const std::vector<std::string_view> kArchiveExts = {".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2",
                                                    ".tbz", ".tbz2", ".tgz", ".tlz", ".tpz", ".txz", ".xz"};
}  // namespace

bool IsArchivePath(const std::string& p) {
  std::string s = DropQuotes(p);
  for (auto e : kArchiveExts)
    if (EndsWith(s, e)) return true;
  return false;
}

namespace {

std::string Basename(const std::string& p) {
  std::string s = DropQuotes(p);
  size_t k = s.find_last_of("/\\");
  return k == std::string::npos ? s : s.substr(k + 1);
}

// --- stateless per-RUN rules --------------------------------------------------

struct SimpleRule {
  const char* code;
  bool (*fails)(const ParsedShell&);
};

const SimpleRule kSimple[] = {
    {"DL3001",
     [](const ParsedShell& s) {
       static const std::set<std::string, std::less<>> k = {"free", "kill", "mount", "ps", "service",
                                                           "shutdown", "ssh", "top", "vim"};
       for (const auto& c : s.commands)
         if (k.count(c.name)) return true;
       return false;
     }},
    {"DL3003", [](const ParsedShell& s) { return s.Uses("cd"); }},
    {"DL3004", [](const ParsedShell& s) { return s.Uses("sudo"); }},
    {"DL3008", [](const ParsedShell& s) { return AnyOf(s, Dl3008); }},
    {"DL3013", [](const ParsedShell& s) { return AnyOf(s, Dl3013); }},
    {"DL3014", [](const ParsedShell& s) { return AnyOf(s, Dl3014); }},
    {"DL3015", [](const ParsedShell& s) { return AnyOf(s, Dl3015); }},
    {"DL3016", [](const ParsedShell& s) { return AnyOf(s, Dl3016); }},
    {"DL3018", [](const ParsedShell& s) { return AnyOf(s, Dl3018); }},
    {"DL3027", [](const ParsedShell& s) { return s.Uses("apt"); }},
    {"DL3028", [](const ParsedShell& s) { return AnyOf(s, Dl3028); }},
    {"DL3030", [](const ParsedShell& s) { return AnyOf(s, Dl3030); }},
    {"DL3032",
     [](const ParsedShell& s) {
       auto inst = [](const Cmd& c) { return c.HasArgs("yum", {"install"}); };
       auto clean = [](const Cmd& c) { return c.HasArgs("yum", {"clean", "all"}); };
       return s.FindIndex(inst) >= 0 && s.FindIndex(clean) < 0;
     }},
    {"DL3033", [](const ParsedShell& s) { return AnyOf(s, Dl3033); }},
    {"DL3034", [](const ParsedShell& s) { return AnyOf(s, Dl3034); }},
    {"DL3035", [](const ParsedShell& s) { return AnyOf(s, Dl3035); }},
    {"DL3036",
     [](const ParsedShell& s) {
       int i = s.FindIndex([](const Cmd& c) { return c.HasArgs("zypper", {"install", "in"}); });
       int k = s.FindIndex([](const Cmd& c) { return c.HasArgs("zypper", {"clean", "cc"}); });
       return i >= 0 && !(k >= 0 && i < k);
     }},
    {"DL3037", [](const ParsedShell& s) { return AnyOf(s, Dl3037); }},
    {"DL3038", [](const ParsedShell& s) { return AnyOf(s, Dl3038); }},
    {"DL3040",
     [](const ParsedShell& s) {
       for (const char* name : {"dnf", "microdnf"}) {
         std::string n = name;
         int i = s.FindIndex([&](const Cmd& c) { return c.HasArgs(n, {"install"}); });
         int k = s.FindIndex([&](const Cmd& c) {
           return c.HasArgs(n, {"clean", "all"}) || c.HasArgs("rm", {"-rf", "/var/cache/yum/*"});
         });
         if (i >= 0 && !(k >= 0 && i < k)) return true;
       }
       return false;
     }},
    {"DL3041", [](const ParsedShell& s) { return AnyOf(s, Dl3041); }},
    {"DL3046", [](const ParsedShell& s) { return AnyOf(s, Dl3046); }},
    {"DL3047", [](const ParsedShell& s) { return AnyOf(s, Dl3047); }},
    {"DL3062", [](const ParsedShell& s) { return AnyOf(s, Dl3062); }},
    {"DL4005", [](const ParsedShell& s) { return AnyOf(s, Dl4005); }},
};

void RunSimple(RuleContext& ctx) {
  for (const auto& in : ctx.m.insts) {
    if (in.kw != "run" || !in.shell) continue;
    for (const auto& r : kSimple) {
      // hadolint 2.12 applies these to ONBUILD triggers too, except DL3003,
      // DL3046 and DL3047 (no `onbuild` pass for them).
      if (in.onbuild && (std::string_view(r.code) == "DL3003" || std::string_view(r.code) == "DL3046" ||
                         std::string_view(r.code) == "DL3047"))
        continue;
      if (r.fails(*in.shell)) ctx.Add(r.code, in.line);
    }
    // DL3019: a cache mount on /var/cache/apk keeps the cache out of the image.
    if (AnyOf(*in.shell, Dl3019) && !HasCacheDir(in, "/var/cache/apk")) ctx.Add("DL3019", in.line);
  }
}

// DL3009: apt-get update without removing /var/lib/apt/lists, in a stage
// whose FROM equals the last FROM, or one used as a base by another stage.
// ONBUILD triggers are checked on their own (hadolint's `onbuild` pass sees no
// FROM, so every forgetting trigger is reported).
bool SameFrom(const FromInfo& a, const FromInfo& b) {
  return a.image.raw == b.image.raw && a.alias == b.alias && a.platform == b.platform &&
         a.has_platform == b.has_platform;
}

// Reports the (line, stage) pairs of a DL3009-style rule: a stage whose FROM
// equals the last FROM, or whose alias another FROM names.
void ReportStageForgets(RuleContext& ctx, const char* code, const std::vector<std::pair<int, int>>& forgets) {
  std::set<std::string> from_images;
  for (const auto& st : ctx.m.stages) from_images.insert(st.from.image.name);
  FromInfo scratch;  // hadolint's stand-in base before any FROM
  scratch.image = ParseImageRef("scratch");
  auto from_of = [&](int stage) -> const FromInfo& { return stage < 0 ? scratch : ctx.m.stages[stage].from; };
  int last = static_cast<int>(ctx.m.stages.size()) - 1;
  for (auto [line, stage] : forgets) {
    bool report = SameFrom(from_of(stage), from_of(last));
    if (!report && stage >= 0) {
      const auto& alias = ctx.m.stages[stage].from.alias;
      report = !alias.empty() && from_images.count(alias);
    }
    if (report) ctx.Add(code, line);
  }
}

// RUNs doing `does` without `cleans` in the same RUN (and without a cache mount
// that makes it moot, `cached`), reported as DL3009 reports them: ONBUILD
// triggers always, the others by stage (ReportStageForgets).
void ReportForgottenCleanups(RuleContext& ctx, const char* code, bool (*does)(const ParsedShell&),
                             bool (*cleans)(const ParsedShell&), bool (*cached)(const Inst&)) {
  std::vector<std::pair<int, int>> forgets;  // line, stage
  for (const auto& in : ctx.m.insts) {
    if (in.kw != "run" || !in.shell) continue;
    if (!does(*in.shell) || cleans(*in.shell) || cached(in)) continue;
    if (in.onbuild) {
      ctx.Add(code, in.line);
      continue;
    }
    forgets.emplace_back(in.line, in.stage);
  }
  ReportStageForgets(ctx, code, forgets);
}

void Dl3009(RuleContext& ctx) {
  ReportForgottenCleanups(
      ctx, "DL3009",
      [](const ParsedShell& s) { return s.FindIndex([](const Cmd& c) { return c.HasArgs("apt-get", {"update"}); }) >= 0; },
      [](const ParsedShell& s) {
        return s.FindIndex([](const Cmd& c) { return c.HasArgs("rm", {"-rf", "/var/lib/apt/lists/*"}); }) >= 0;
      },
      [](const Inst& in) {
        return HasCacheDir(in, "/var/lib/apt/lists") ||
               (HasCacheDir(in, "/var/lib/apt") && HasCacheDir(in, "/var/cache/apt"));
      });
}

// DL3060: yarn install without yarn cache clean in the same RUN; stages as DL3009.
void Dl3060(RuleContext& ctx) {
  ReportForgottenCleanups(
      ctx, "DL3060",
      [](const ParsedShell& s) { return s.FindIndex([](const Cmd& c) { return c.HasArgs("yarn", {"install"}); }) >= 0; },
      [](const ParsedShell& s) { return s.FindIndex([](const Cmd& c) { return c.HasArgs("yarn", {"cache", "clean"}); }) >= 0; },
      [](const Inst&) { return false; });
}

// DL3010: a local archive COPYed and then extracted by a RUN of the same stage
// (the last stage only, as hadolint 2.12 reports it).
void Dl3010(RuleContext& ctx) {
  std::set<std::pair<int, std::string>> archives, extracted;
  for (const auto& in : ctx.m.insts) {
    if (in.onbuild) continue;
    if (in.kw == "from") {
      // hadolint 2.12 starts over at each FROM, dropping what it had found:
      // only the last stage's extracted archives are reported.
      archives.clear();
      extracted.clear();
      continue;
    }
    if (in.kw == "copy" && !in.copy.has_from) {
      if (IsArchivePath(in.copy.dest)) {
        archives.insert({in.line, Basename(in.copy.dest)});
      } else {
        for (const auto& s : in.copy.sources)
          if (IsArchivePath(s)) archives.insert({in.line, Basename(s)});
      }
      continue;
    }
    if (in.kw != "run" || !in.shell) continue;
    for (const auto& c : in.shell->commands) {
      bool tar_x = false;
      if (c.name == "tar")
        for (const auto& a : c.Args())
          tar_x = tar_x || a == "--extract" || a == "--get" || (StartsWith(a, "-") && Contains(a, "x"));
      static const std::set<std::string, std::less<>> kUnzip = {"unzip", "gunzip", "bunzip2", "unlzma", "unxz",
                                                               "zgz", "uncompress", "zcat", "gzcat"};
      if (!tar_x && !kUnzip.count(c.name)) continue;
      std::set<std::string> names;
      for (const auto& a : c.ArgsNoFlags()) names.insert(Basename(a));
      for (const auto& ar : archives)
        if (names.count(ar.second)) extracted.insert(ar);
    }
  }
  for (const auto& e : extracted) ctx.Add("DL3010", e.first);
}

// DL3042: pip install without --no-cache-dir unless PIP_NO_CACHE_DIR is set
// (by ENV in this stage or the stage it is based on, or inline).
// ONBUILD triggers form their own pass (hadolint's `onbuild` rule), with its
// own state.
void Dl3042Pass(RuleContext& ctx, bool onbuild) {
  std::map<std::string, bool> no_cache;  // stage name -> set
  std::string current;
  bool have_stage = false;
  for (const auto& in : ctx.m.insts) {
    if (in.onbuild != onbuild) continue;
    if (in.kw == "from") {
      std::string name = in.from.alias.empty() ? in.from.image.name : in.from.alias;
      bool parent = no_cache.count(in.from.image.name) ? no_cache[in.from.image.name] : false;
      no_cache[name] = parent;
      current = name;
      have_stage = true;
      continue;
    }
    if (in.kw == "env") {
      for (const auto& [k, v] : in.pairs)
        if (k == "PIP_NO_CACHE_DIR" && kTruthy.count(v)) no_cache[have_stage ? current : ""] = true;
      continue;
    }
    if (in.kw != "run" || !in.shell) continue;
    if (no_cache[have_stage ? current : ""]) continue;
    size_t p = in.shell->original.find("PIP_NO_CACHE_DIR=");
    if (p != std::string::npos) {
      std::string rest = in.shell->original.substr(p + 17);
      bool set = false;
      for (const auto& t : kTruthy) set = set || StartsWith(rest, t);
      if (set) continue;
    }
    if (AnyOf(*in.shell, Dl3042Forgot)) ctx.Add("DL3042", in.line);
  }
}

void Dl3042(RuleContext& ctx) {
  Dl3042Pass(ctx, false);
  Dl3042Pass(ctx, true);
}

// DL3059: consecutive RUNs with the same flags, each with a single command.
void Dl3059(RuleContext& ctx) {
  bool have = false;
  std::vector<std::string> flags;
  size_t count = 0;
  for (const auto& in : ctx.m.insts) {
    if (in.onbuild) continue;  // the ONBUILD itself (kw "onbuild") resets below
    if (in.kw != "run") {
      have = false;
      continue;
    }
    size_t n = in.shell ? in.shell->commands.size() : 0;
    // hadolint counts every command twice (ShellCheck's T_Redirecting and the
    // T_SimpleCommand inside it both name it), so its "> 2" means "> 1" here.
    if (!have || flags != in.ast->flags || n > 1 || count > 1) {
      have = true;
      flags = in.ast->flags;
      count = n;
      continue;
    }
    ctx.Add("DL3059", in.line);
  }
}

// DL4001: both wget and curl used within a stage.
void Dl4001Pass(RuleContext& ctx, bool onbuild) {
  std::set<int> seen;
  for (const auto& in : ctx.m.insts) {
    if (in.onbuild != onbuild) continue;
    if (in.kw == "from") {
      seen.clear();
      continue;
    }
    if (in.kw != "run" || !in.shell) continue;
    std::set<int> now;
    for (const auto& c : in.shell->commands) {
      if (c.name == "curl") now.insert(0);
      if (c.name == "wget") now.insert(1);
    }
    seen.insert(now.begin(), now.end());
    if (!now.empty() && seen.size() >= 2) ctx.Add("DL4001", in.line);
  }
}

void Dl4001(RuleContext& ctx) {
  Dl4001Pass(ctx, false);
  Dl4001Pass(ctx, true);
}

// DL4006: a RUN with a pipe while the SHELL has no `-o pipefail`.
void Dl4006(RuleContext& ctx) {
  bool ok = false;
  for (const auto& in : ctx.m.insts) {
    if (in.onbuild) continue;
    if (in.kw == "from") {
      ok = false;
      continue;
    }
    if (in.kw == "shell") {
      std::string joined;
      for (const auto& w : in.ast->args) joined += (joined.empty() ? "" : " ") + w;
      if (IsNonPosixShell(joined)) {
        ok = true;
        continue;
      }
      ParsedShell s = ParseShell(joined);
      ok = false;
      for (const auto& c : s.commands) {
        std::string base = ShellBasename(c.name);
        if ((base == "bash" || base == "zsh" || base == "ash") && c.HasFlag("o") && c.HasArg("pipefail")) ok = true;
      }
      continue;
    }
    if (in.kw == "run" && !ok && in.shell && in.shell->has_pipes) ctx.Add("DL4006", in.line);
  }
}

}  // namespace

bool IsNonPosixShell(const std::string& shell) {
  for (auto p : {"pwsh", "powershell", "cmd"})
    if (StartsWith(shell, p)) return true;
  std::string l = Lower(shell);
  return Contains(l, "powershell") || Contains(l, "pwsh") || Contains(l, "cmd.exe");
}

void RunCommandRules(RuleContext& ctx) {
  Dl3059(ctx);
  RunSimple(ctx);
  Dl3009(ctx);
  Dl3060(ctx);
  Dl3010(ctx);
  Dl3042(ctx);
  Dl4001(ctx);
  Dl4006(ctx);
}

}  // namespace kiln::lint
