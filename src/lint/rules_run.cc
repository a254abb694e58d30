// hadolint's command-aware rules that judge each RUN on its own: each looks at
// the commands of a RUN through its shell-word parse (shell.h), as hadolint
// does through ShellCheck's parser. The rules that carry state across
// instructions (stages, SHELL, earlier COPYs) are in rules_stage.cc.
#include <algorithm>
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

}  // namespace

bool PipInstallKeepsCache(const ShellCommand& c) {
  if (!IsPipInstall(c) || c.HasArg("--no-cache-dir")) return false;
  for (auto w : {"pipx", "pipenv"})
    if (Contains(c.name, w) || (StartsWith(c.name, "python") && ArgsContainSeq(c, {"-m", w}))) return false;
  return true;
}

bool AnyCommand(const ParsedShell& s, bool (*p)(const ShellCommand&)) {
  for (const auto& c : s.commands)
    if (p(c)) return true;
  return false;
}

namespace {

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

}  // namespace

bool HasCacheDir(const Inst& in, std::string_view dir) {
  for (const auto& t : CacheMountTargets(in))
    if (StartsWith(t, dir)) return true;
  return false;
}

namespace {

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
    {"DL3008", [](const ParsedShell& s) { return AnyCommand(s, Dl3008); }},
    {"DL3013", [](const ParsedShell& s) { return AnyCommand(s, Dl3013); }},
    {"DL3014", [](const ParsedShell& s) { return AnyCommand(s, Dl3014); }},
    {"DL3015", [](const ParsedShell& s) { return AnyCommand(s, Dl3015); }},
    {"DL3016", [](const ParsedShell& s) { return AnyCommand(s, Dl3016); }},
    {"DL3018", [](const ParsedShell& s) { return AnyCommand(s, Dl3018); }},
    {"DL3027", [](const ParsedShell& s) { return s.Uses("apt"); }},
    {"DL3028", [](const ParsedShell& s) { return AnyCommand(s, Dl3028); }},
    {"DL3030", [](const ParsedShell& s) { return AnyCommand(s, Dl3030); }},
    {"DL3032",
     [](const ParsedShell& s) {
       auto inst = [](const Cmd& c) { return c.HasArgs("yum", {"install"}); };
       auto clean = [](const Cmd& c) { return c.HasArgs("yum", {"clean", "all"}); };
       return s.FindIndex(inst) >= 0 && s.FindIndex(clean) < 0;
     }},
    {"DL3033", [](const ParsedShell& s) { return AnyCommand(s, Dl3033); }},
    {"DL3034", [](const ParsedShell& s) { return AnyCommand(s, Dl3034); }},
    {"DL3035", [](const ParsedShell& s) { return AnyCommand(s, Dl3035); }},
    {"DL3036",
     [](const ParsedShell& s) {
       int i = s.FindIndex([](const Cmd& c) { return c.HasArgs("zypper", {"install", "in"}); });
       int k = s.FindIndex([](const Cmd& c) { return c.HasArgs("zypper", {"clean", "cc"}); });
       return i >= 0 && !(k >= 0 && i < k);
     }},
    {"DL3037", [](const ParsedShell& s) { return AnyCommand(s, Dl3037); }},
    {"DL3038", [](const ParsedShell& s) { return AnyCommand(s, Dl3038); }},
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
    {"DL3041", [](const ParsedShell& s) { return AnyCommand(s, Dl3041); }},
    {"DL3046", [](const ParsedShell& s) { return AnyCommand(s, Dl3046); }},
    {"DL3047", [](const ParsedShell& s) { return AnyCommand(s, Dl3047); }},
    {"DL3062", [](const ParsedShell& s) { return AnyCommand(s, Dl3062); }},
    {"DL4005", [](const ParsedShell& s) { return AnyCommand(s, Dl4005); }},
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
    if (AnyCommand(*in.shell, Dl3019) && !HasCacheDir(in, "/var/cache/apk")) ctx.Add("DL3019", in.line);
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
  RunConsecutiveRunRule(ctx);
  RunSimple(ctx);
  RunStageCommandRules(ctx);
}

}  // namespace kiln::lint