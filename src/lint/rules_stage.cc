// hadolint's command-aware rules that carry state across instructions: the
// stage a RUN is in (DL3009, DL3060), archives COPYed earlier (DL3010),
// PIP_NO_CACHE_DIR set by ENV (DL3042), the RUN before (DL3059), what the stage
// already ran (DL4001) and the SHELL in force (DL4006).
#include <map>
#include <set>

#include "base/strings.h"
#include "lint/rules.h"

namespace kiln::lint {

namespace {

using Cmd = ShellCommand;


const std::set<std::string, std::less<>> kTruthy = {"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"};

std::string Basename(const std::string& p) {
  std::string s = DropQuotes(p);
  size_t k = s.find_last_of("/\\");
  return k == std::string::npos ? s : s.substr(k + 1);
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
    if (AnyCommand(*in.shell, PipInstallKeepsCache)) ctx.Add("DL3042", in.line);
  }
}

void Dl3042(RuleContext& ctx) {
  Dl3042Pass(ctx, false);
  Dl3042Pass(ctx, true);
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

// DL3059: consecutive RUNs with the same flags, each with a single command.
void RunConsecutiveRunRule(RuleContext& ctx) {
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

void RunStageCommandRules(RuleContext& ctx) {
  Dl3009(ctx);
  Dl3060(ctx);
  Dl3010(ctx);
  Dl3042(ctx);
  Dl4001(ctx);
  Dl4006(ctx);
}

}  // namespace kiln::lint
