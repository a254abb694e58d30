// Loading a Dockerfile the one way kiln build, graph, outline and lint share:
// the file (and its .dockerignore) looked up inside the context, parsed, and the
// lowering options made from the docker build flags (build/flags.h).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "frontend/ast.h"
#include "frontend/lower.h"
#include "lint/lint.h"

namespace kiln::build {

// The docker build flags that change what the frontend sees.
struct DockerfileFlags {
  std::string context = ".";  // a local directory
  std::string file;           // "" = CONTEXT/Dockerfile; "-" = standard input
  std::string target;         // "" = the last stage
  std::string platform;       // "" = the build platform
  std::vector<std::string> build_args, build_contexts, labels, no_cache_filter;
  bool no_cache = false;
};

struct LoadedDockerfile {
  std::string path;          // the file read ("" = standard input)
  std::string display_name;  // "Dockerfile", or the -f file's base name (as docker names it)
  std::string text;
  frontend::Ast ast;
  frontend::LowerOptions lower;  // every option but the resolver
};

// The .dockerignore patterns BuildKit uses for `dockerfile` (a path or "" for
// stdin) in `context`: "<Dockerfile>.dockerignore" first, then CONTEXT/.dockerignore,
// both resolved inside the context (a symlink never leads out of it).
Result<std::vector<std::string>> ContextDockerignore(const std::string& context, const std::string& dockerfile);

// Reads, parses and makes the lowering options. A Dockerfile inside the context is
// resolved inside it (a symlink to a host file is "not found", as docker says).
// Errors: bad flags (naming the flag), an unreadable file (hint: -f), a parse
// error (file:line:col; `text_out`, when given, receives the text so callers can
// print the source line).
Result<LoadedDockerfile> LoadDockerfile(const DockerfileFlags& flags, std::string* text_out = nullptr);

// BuildKit's build checks of a loaded Dockerfile (lint's kBuildCheck rules only),
// with those only lowering could tell (`external`) added; `# check=` directives
// applied. kiln build reports them, `kiln build --check` prints them.
std::vector<lint::Finding> BuildChecks(const LoadedDockerfile& l,
                                       const std::vector<llb::Definition::CheckWarning>& external = {});

}  // namespace kiln::build
