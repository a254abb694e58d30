#include "build/dockerfile.h"

#include "base/fs.h"
#include "base/source_date_epoch.h"
#include "build/flags.h"
#include "frontend/dockerignore.h"
#include "frontend/parser.h"
#include "lint/catalogue.h"
#include "lint/lint.h"

namespace kiln::build {
namespace {

// Lowering options from the flags (no resolver, no .dockerignore yet).
Result<frontend::LowerOptions> LowerOptionsFromFlags(const DockerfileFlags& f) {
  frontend::LowerOptions o;
  o.target = f.target;
  ASSIGN_OR_RETURN(o.build_args, ParseBuildArgs(f.build_args));
  AddSourceDateEpochFromEnv(o.build_args);  // as buildx: the environment's, unless --build-arg sets it
  ASSIGN_OR_RETURN(o.build_contexts, ParseBuildContexts(f.build_contexts));
  ASSIGN_OR_RETURN(o.platform, ParsePlatformFlag(f.platform));
  o.labels = ParseLabels(f.labels);
  o.no_cache = f.no_cache;
  o.no_cache_filter = f.no_cache_filter;
  return o;
}

}  // namespace

Result<std::vector<std::string>> ContextDockerignore(const std::string& context, const std::string& dockerfile) {
  ASSIGN_OR_RETURN(auto ignore, frontend::ReadDockerignore(context, dockerfile));
  return ignore.patterns;
}

Result<LoadedDockerfile> LoadDockerfile(const DockerfileFlags& f, std::string* text_out) {
  LoadedDockerfile out;
  ASSIGN_OR_RETURN(out.lower, LowerOptionsFromFlags(f));
  std::string path = f.file.empty() ? f.context + "/Dockerfile" : f.file;
  auto in_context = path == "-" ? Result<std::string>(path) : ResolveContextFile(f.context, path);
  auto text = in_context.ok() ? ReadFileOrStdin(*in_context) : Result<std::string>(in_context.status());
  if (!text.ok()) return text.status().WithContext("read Dockerfile").WithHint("pass its path with -f");
  out.text = std::move(text).value();
  if (text_out) *text_out = out.text;
  out.path = f.file == "-" ? "" : path;
  out.display_name = f.file.empty() || f.file == "-" ? "Dockerfile" : f.file.substr(f.file.rfind('/') + 1);
  ASSIGN_OR_RETURN(out.ast, frontend::Parse(out.text, out.display_name));
  ASSIGN_OR_RETURN(out.lower.dockerignore, ContextDockerignore(f.context, out.path));
  return out;
}

std::vector<lint::Finding> BuildChecks(const LoadedDockerfile& l,
                                       const std::vector<llb::Definition::CheckWarning>& external) {
  lint::LintOptions opts;
  opts.shellcheck = false;
  opts.build_checks = true;
  opts.build_args = l.lower.build_args;
  opts.dockerignore = l.lower.dockerignore;
  for (const auto& w : external) opts.external_checks.push_back({w.rule, w.message, w.line});
  std::vector<lint::Finding> out;
  for (auto& x : lint::Lint(l.ast, opts)) {
    const lint::RuleInfo* r = lint::FindRule(x.code);
    if (r && r->kind == lint::RuleKind::kBuildCheck) out.push_back(std::move(x));
  }
  return out;
}

}  // namespace kiln::build
