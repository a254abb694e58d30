#include "build/dockerfile.h"

#include "base/fs.h"
#include "base/source_date_epoch.h"
#include "build/flags.h"
#include "frontend/dockerignore.h"
#include "frontend/parser.h"

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

}  // namespace kiln::build
