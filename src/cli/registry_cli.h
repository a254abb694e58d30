// Registry pieces of the command line shared with other commands (owned by the
// registry module): flags that configure registry access, and remote inspect, which
// `kiln inspect` calls for a reference that is not in the local image store.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "registry/session.h"

namespace kiln::cli {

struct RegistryFlags {
  std::vector<std::string> insecure;  // --insecure-registry HOST (repeatable)
  int parallel = 4;
  // Registry options from the flags and $KILN_INSECURE_REGISTRIES (comma-separated).
  registry::RegistryOptions Options() const;
};

// Adds --insecure-registry and --max-concurrent to `cmd`.
void AddRegistryFlags(CLI::App* cmd, RegistryFlags& f);

// Prints the remote image's JSON (see registry/inspect.h) to stdout; `platform` "" = host.
Status InspectRemoteImage(GlobalOptions& g, const RegistryFlags& f, const std::string& ref, const std::string& platform);

}  // namespace kiln::cli
