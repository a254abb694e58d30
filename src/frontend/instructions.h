// Typed Dockerfile instructions and stages, as BuildKit's `instructions`
// package builds them from the syntax tree: per-instruction flag parsing,
// argument checks and stage splitting. No variable is expanded here (the
// lowering expands with the environment in scope). Shared by the lowering,
// `kiln outline` and the linter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "frontend/ast.h"

namespace kiln::frontend {

enum class CommandKind {
  kEnv, kMaintainer, kLabel, kAdd, kCopy, kOnbuild, kWorkdir, kRun, kCmd, kHealthcheck,
  kEntrypoint, kExpose, kUser, kVolume, kStopSignal, kArg, kShell,
};

struct KeyValue {
  std::string key, value;
  bool no_delim = false;  // legacy `ENV KEY value` form (lint: LegacyKeyValueFormat)
};

struct ArgDef {
  std::string key;
  std::optional<std::string> value;  // the default as written (unexpanded)
  std::string comment;               // "# KEY description" line above the ARG
};

struct SourceContent {  // a heredoc used as a COPY/ADD source
  std::string path;     // the heredoc name
  std::string data;
  bool expand = true;
};

struct HealthConfig {
  std::vector<std::string> test;  // {"NONE"} | {"CMD", ...} | {"CMD-SHELL", cmd}
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

// One instruction after flag parsing. Fields are filled per kind.
struct Command {
  CommandKind kind = CommandKind::kRun;
  std::string name;      // upper case: "RUN"
  std::string code;      // the instruction as written, trimmed (BuildKit's String())
  Range range;
  std::vector<std::string> comments;
  bool onbuild = false;  // came from an ONBUILD trigger

  std::vector<KeyValue> kvs;        // ENV, LABEL
  std::vector<ArgDef> args;         // ARG
  std::string value;                // WORKDIR path, USER, STOPSIGNAL, MAINTAINER, ONBUILD expression
  std::vector<std::string> list;    // EXPOSE ports, VOLUME paths, SHELL argv
  // RUN, CMD, ENTRYPOINT
  std::vector<std::string> cmd_line;
  bool prepend_shell = false;       // shell form
  std::vector<Heredoc> files;       // RUN heredocs
  std::vector<std::string> mounts;  // RUN --mount values (raw)
  std::string network, security;    // RUN --network / --security (raw, "" = unset)
  // COPY, ADD
  std::vector<std::string> src_paths;
  std::vector<SourceContent> src_contents;
  std::string dest, from, chown, chmod, checksum;
  bool link = false, parents = false, keep_git_dir = false;
  std::optional<bool> unpack;
  std::vector<std::string> excludes;
  // HEALTHCHECK
  HealthConfig health;
  // ONBUILD: the trigger instruction, when the Ast carried it.
  std::vector<Instruction> trigger;
};

struct Stage {
  std::string name;       // lower-cased "AS" name; "" when none
  std::string base_name;  // FROM argument, unexpanded
  std::string platform;   // --platform value, unexpanded
  std::string code;       // the FROM line as written
  std::string comment;    // doc comment: a comment line above FROM starting with the name
  Range range;
  std::vector<Command> commands;
};

// The whole Dockerfile: ARGs before the first FROM, then the stages.
struct Stages {
  std::string filename;
  std::vector<Command> meta_args;
  std::vector<Stage> stages;
  // Index of the stage named `name` (case-insensitive), or -1.
  int Find(const std::string& name) const;
  std::vector<std::string> Names() const;
};

// Stage names BuildKit accepts: ^[a-z][a-z0-9-_.]*$ (after lower-casing).
bool IsValidStageName(const std::string& lower_name);

// Splits the Ast into stages and parses every instruction. Errors carry
// file:line:column and a hint (unknown flags list the valid ones).
Result<Stages> ParseStages(const Ast& ast);
// One instruction (also used for ONBUILD triggers).
Result<Command> ParseCommand(const Instruction& ins, const std::string& filename, const std::string& source);

// Go time.Duration formatting ("1m30s", "500ms", "0s").
std::string FormatGoDuration(int64_t ns);

}  // namespace kiln::frontend
