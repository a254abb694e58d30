// What the lint rules see of a Dockerfile: the frontend's Ast, flattened into
// instructions (ONBUILD triggers included, marked), each with the facts rules
// ask about (image reference, key/value pairs, COPY sources, the shell parse
// of RUN), and the stages. Built once per file from the Ast; no re-parsing of
// Dockerfile syntax happens here, only interpretation of the Ast's words.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "frontend/ast.h"
#include "lint/shell.h"

namespace kiln::lint {

// An image reference as hadolint splits it.
struct ImageRef {
  std::string raw;       // as written: "docker.io/library/debian:12@sha256:..."
  std::string registry;  // "docker.io" or "" when none is named
  std::string name;      // without registry, tag, digest
  std::string tag;       // "" when absent
  std::string digest;    // "" when absent
};
ImageRef ParseImageRef(const std::string& raw);

struct FromInfo {
  ImageRef image;
  std::string alias;     // "" when no AS
  std::string as_word;   // "AS" as written ("" when none)
  std::string platform;  // --platform value, "" when absent
  bool has_platform = false;
};

struct CopyInfo {
  std::vector<std::string> sources;  // quotes removed
  std::string dest;                  // as written (quotes kept for rules that strip)
  std::string from;                  // --from value, "" when absent
  bool has_from = false;
};

struct Inst {
  const frontend::Instruction* ast = nullptr;  // for ONBUILD: the trigger
  const frontend::Instruction* outer = nullptr;  // the ONBUILD itself, or == ast
  std::string kw;        // lower-case keyword of `ast`
  int line = 0;          // first line of the (outer) instruction
  bool onbuild = false;  // a trigger inside ONBUILD
  int stage = -1;        // index into Model::stages (-1 before the first FROM)

  // Filled by kind:
  FromInfo from;                                      // from
  CopyInfo copy;                                      // copy, add
  std::vector<std::pair<std::string, std::string>> pairs;  // env, label (quotes removed)
  bool legacy_kv = false;                             // env, label: `ENV k v` form
  std::string arg_name, arg_default;                  // arg (first name)
  bool arg_has_default = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> args_decl;  // arg: all names
  std::optional<ParsedShell> shell;                   // run (both forms; heredocs included)
  std::string script;                                 // run: the script text
  std::vector<std::string> words;                     // args with quotes removed
};

struct Stage {
  int index = 0;
  int line = 0;
  int inst = 0;  // index of its FROM in Model::insts
  FromInfo from;
  std::string Name() const { return from.alias.empty() ? from.image.name : from.alias; }
};

struct CommentLine {
  int line = 0;
  std::string text;  // after '#', trimmed
};

struct Model {
  const frontend::Ast* ast = nullptr;
  std::vector<Inst> insts;
  std::vector<Stage> stages;
  std::vector<CommentLine> comments;  // comment lines outside instructions
};

Model BuildModel(const frontend::Ast& ast);

// Removes one pair of surrounding quotes ("x" or 'x').
std::string DropQuotes(const std::string& s);
// Value of flag `name` ("--from=x" -> "x"); nullopt when absent.
std::optional<std::string> FlagValue(const std::vector<std::string>& flags, const std::string& name);

}  // namespace kiln::lint
