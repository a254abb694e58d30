// Shared pieces of the kiln command line. Each subcommand lives in its own
// cmd_*.cc file with a Register* function, called from main.cc.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"

namespace kiln::cli {

struct GlobalOptions {
  std::string root;               // --root / $KILN_ROOT; empty = default
  std::string log_level = "warn";
  // kiln's state directory: --root, $KILN_ROOT, /var/lib/kiln for root,
  // else $XDG_DATA_HOME/kiln (~/.local/share/kiln).
  std::string ResolvedRoot() const;
};

// Ends the running command with `code` (CLI11 turns it into the exit status).
[[noreturn]] void Exit(int code);
// Prints "error: ..." (with location and hint) to stderr and exits 1.
[[noreturn]] void Fail(const Status& st);

// Subcommands. A module's owner fills in its command; a command that does not
// work yet is hidden from --help (group "") and says so when run.
void RegisterBuild(CLI::App& app, GlobalOptions& g);
void RegisterLint(CLI::App& app, GlobalOptions& g);
void RegisterGraph(CLI::App& app, GlobalOptions& g);     // graph, outline
void RegisterDebug(CLI::App& app, GlobalOptions& g);     // debug ast, ...
void RegisterImages(CLI::App& app, GlobalOptions& g);    // images, rm, tag, inspect, save, prune, du
void RegisterRegistry(CLI::App& app, GlobalOptions& g);  // pull, push, login, logout
void RegisterCacheServer(CLI::App& app, GlobalOptions& g);

// Before parsing: the first word that is not a global option must name a
// subcommand. Otherwise (`kiln biuld`, `kiln compose build`) an error that says
// the command is unknown, lists the commands and suggests the nearest one.
// CLI11 alone would skip the word and parse the rest ("context is required").
Status CheckCommand(const CLI::App& app, int argc, const char* const* argv);

// A hidden placeholder subcommand for work in progress.
void AddPlaceholder(CLI::App& app, const std::string& name, const std::string& issue);

}  // namespace kiln::cli
