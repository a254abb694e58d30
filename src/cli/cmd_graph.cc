// kiln graph / kiln outline: the frontend's view of a Dockerfile, without building.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "base/fs.h"
#include "build/dockerfile.h"
#include "cli/app.h"
#include "frontend/diagnostic.h"
#include "frontend/dockerignore.h"
#include "frontend/lower.h"
#include "frontend/parser.h"

namespace kiln::cli {
namespace {

// Flags shared by graph and outline (the docker build flags that change the graph).
struct FrontendFlags {
  build::DockerfileFlags df;  // loaded as kiln build loads it (build/dockerfile.h)
  std::string format;

  void Add(CLI::App* cmd) {
    cmd->add_option("-f,--file", df.file, "the Dockerfile (default: CONTEXT/Dockerfile; - for stdin)");
    cmd->add_option("--target", df.target, "the stage to build (default: the last one)");
    cmd->add_option("--build-arg", df.build_args, "a build argument K=V (K alone takes $K from the environment)")
        ->allow_extra_args(false);
    cmd->add_option("--build-context", df.build_contexts, "a named context NAME=DIR or NAME=docker-image://REF")
        ->allow_extra_args(false);
    cmd->add_option("--platform", df.platform, "the target platform, e.g. linux/arm64 (default: this machine's)");
    cmd->add_flag("--no-cache", df.no_cache, "mark every step to run without the cache");
    cmd->add_option("--no-cache-filter", df.no_cache_filter, "stages whose steps run without the cache")
        ->allow_extra_args(false);
    cmd->add_option("CONTEXT", df.context, "the build context directory (default: .)");
  }
};

[[noreturn]] void FailWithSource(const Status& st, const std::string& source) {
  fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(st, source).c_str());
  Exit(1);
}

struct Loaded {
  frontend::Ast ast;
  frontend::LowerOptions opts;
  std::unique_ptr<frontend::NullImageMetaResolver> resolver;
};

// The Dockerfile as kiln build loads it: the same flags, the same lookup inside
// the context, the same errors.
Loaded Load(const FrontendFlags& f) {
  std::string text;
  auto l = build::LoadDockerfile(f.df, &text);
  if (!l.ok()) FailWithSource(l.status(), text);
  Loaded out;
  out.ast = std::move(l->ast);
  out.opts = std::move(l->lower);
  out.resolver = std::make_unique<frontend::NullImageMetaResolver>();
  out.opts.resolver = out.resolver.get();
  return out;
}

void RunGraph(const FrontendFlags& f) {
  Loaded l = Load(f);
  auto def = frontend::Lower(l.ast, l.opts);
  if (!def.ok()) FailWithSource(def.status(), l.ast.source);
  std::string out;
  if (f.format == "dot") out = llb::DefinitionToDot(*def);
  else out = llb::DefinitionToJson(*def).dump(2) + "\n";
  fwrite(out.data(), 1, out.size(), stdout);
}

std::string Pad(const std::string& s, size_t w) { return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' '); }

void RunOutline(const FrontendFlags& f) {
  Loaded l = Load(f);
  auto o = frontend::BuildOutline(l.ast, l.opts);
  if (!o.ok()) FailWithSource(o.status(), l.ast.source);
  if (f.format == "json") {
    nlohmann::json j;
    j["target"] = o->target;
    j["description"] = o->description;
    j["args"] = nlohmann::json::array();
    for (const auto& a : o->args) {
      nlohmann::json x{{"name", a.name}, {"description", a.description}, {"line", a.line}};
      if (a.has_value) x["value"] = a.value;
      j["args"].push_back(x);
    }
    j["secrets"] = nlohmann::json::array();
    for (const auto& s : o->secrets) j["secrets"].push_back({{"id", s.id}, {"required", s.required}});
    j["ssh"] = nlohmann::json::array();
    for (const auto& s : o->ssh) j["ssh"].push_back({{"id", s.id}, {"required", s.required}});
    j["stages"] = nlohmann::json::array();
    for (const auto& s : o->stages)
      j["stages"].push_back({{"name", s.name}, {"base", s.base}, {"platform", s.platform},
                             {"description", s.description}, {"line", s.line}, {"target", s.is_target}});
    printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::string out;
  if (!o->target.empty()) out += "TARGET:      " + o->target + "\n";
  if (!o->description.empty()) out += "DESCRIPTION: " + o->description + "\n";
  if (!out.empty()) out += "\n";
  if (!o->args.empty()) {
    size_t w1 = 10, w2 = 6;
    for (const auto& a : o->args) {
      w1 = std::max(w1, a.name.size() + 1);
      w2 = std::max(w2, (a.has_value ? a.value.size() : 9) + 1);
    }
    out += Pad("BUILD ARG", w1) + Pad("VALUE", w2) + "DESCRIPTION\n";
    for (const auto& a : o->args)
      out += Pad(a.name, w1) + Pad(a.has_value ? a.value : "<not set>", w2) + a.description + "\n";
    out += "\n";
  }
  for (auto [title, list] : {std::pair{"SECRET", &o->secrets}, std::pair{"SSH", &o->ssh}}) {
    if (list->empty()) continue;
    size_t w = 10;
    for (const auto& s : *list) w = std::max(w, s.id.size() + 1);
    out += Pad(title, w) + "REQUIRED\n";
    for (const auto& s : *list) out += Pad(s.id, w) + (s.required ? "true" : "false") + "\n";
    out += "\n";
  }
  size_t w = 10;
  for (const auto& s : o->stages) w = std::max(w, (s.name.empty() ? std::string("(unnamed)") : s.name).size() + 1);
  out += Pad("STAGE", w) + "FROM\n";
  for (const auto& s : o->stages) {
    std::string name = s.name.empty() ? "(unnamed)" : s.name;
    out += Pad(name, w) + s.base + (s.platform.empty() ? "" : " (--platform=" + s.platform + ")") +
           (s.is_target ? "  <- target" : "") + (s.description.empty() ? "" : "  # " + s.description) + "\n";
  }
  fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void RegisterGraph(CLI::App& app, GlobalOptions& g) {
  static FrontendFlags graph_flags, outline_flags;
  auto* graph = app.add_subcommand(
      "graph",
      "Lower a Dockerfile to kiln's build graph and print it, without building.\n"
      "Only stages reachable from the target appear. Each op carries its digest (the\n"
      "cache key base), its Dockerfile lines and BuildKit's progress name; the target's\n"
      "image config and history are included (format: docs/dag-format.md). Base images\n"
      "are not resolved (no digests are pinned).");
  graph_flags.Add(graph);
  graph->add_option("--format", graph_flags.format, "json (default) or dot (Graphviz)")
      ->check(CLI::IsMember({"json", "dot"}));
  graph->callback([] { RunGraph(graph_flags); });

  auto* outline = app.add_subcommand(
      "outline",
      "Show what a build of the target takes, like `docker build --call=outline`: the\n"
      "target stage, its build arguments with defaults and descriptions (from `# NAME\n"
      "description` comments above ARG), the secrets and SSH agents it mounts, and the\n"
      "stages of the file.");
  outline_flags.Add(outline);
  outline->add_option("--format", outline_flags.format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  outline->callback([] { RunOutline(outline_flags); });
}

}  // namespace kiln::cli
