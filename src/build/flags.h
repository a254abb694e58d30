// The docker build flags every command reads the same way (kiln build, graph,
// outline, lint; later compose and bake): build arguments, labels, named
// contexts, --platform, --secret and --ssh. Each returns a clear error naming the
// flag for bad input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/oci.h"
#include "base/status.h"
#include "solver/ops.h"

namespace kiln::build {

// --build-arg K=V, or K alone (taken from the environment; skipped when unset, as
// docker does). An empty name is an error.
Result<std::map<std::string, std::string>> ParseBuildArgs(const std::vector<std::string>& args);
// --label K=V (K alone: an empty value).
std::map<std::string, std::string> ParseLabels(const std::vector<std::string>& labels);
// --build-context NAME=DIR or NAME=docker-image://REF.
Result<std::map<std::string, std::string>> ParseBuildContexts(const std::vector<std::string>& contexts);
// --platform os/arch[/variant]; "" = nullopt (the build platform).
Result<std::optional<oci::Platform>> ParsePlatformFlag(const std::string& platform);
// --secret id=ID,src=PATH | id=ID,env=VAR | id=ID (env var ID if set, else file ID).
Result<std::pair<std::string, solver::SecretSource>> ParseSecret(const std::string& s);
// --ssh default | ID=SOCKET (no socket: $SSH_AUTH_SOCK).
Result<std::pair<std::string, std::string>> ParseSsh(const std::string& s);

}  // namespace kiln::build
