// BuildKit's per-instruction argument parsing (its line_parsers.go and
// split_command.go): one logical line (continuations joined, comments removed)
// in, keyword + flags + argument list out. Internal to the parser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::frontend::internal {

// A string from the line and the offset in the line where it starts.
struct Word {
  std::string text;
  size_t offset = 0;
};

// One instruction as BuildKit's Node: Value, Flags, the Next chain, and for
// ONBUILD the nested instruction.
struct RawNode {
  std::string keyword;  // as written
  size_t keyword_offset = 0;
  std::vector<Word> flags;
  std::vector<Word> args;
  bool json = false;
  std::vector<RawNode> child;  // ONBUILD's instruction (0 or 1 elements)
};

struct LineError {
  std::string message;
  std::string hint;
  size_t offset = 0;  // offset in the line the error points at
};

// Known instruction keywords, lower-case.
bool IsKnownInstruction(std::string_view lower_keyword);
const std::vector<std::string>& KnownInstructions();

// BuildKit's newNodeFromLine. `line` is the whole logical line; `escape` is
// the escape token. Unknown instructions are an error here (BuildKit reports
// them one layer up; kiln reports them at parse time, with a suggestion).
bool ParseInstructionLine(std::string_view line, char escape, RawNode* out, LineError* err);

// BuildKit's parseWords: whitespace-separated words, quotes kept, escapes
// kept; offsets are relative to `rest` plus `base`.
std::vector<Word> ParseWords(std::string_view rest, size_t base, char escape);

// BuildKit's extractBuilderFlags: leading --flags of `line`. Returns the rest
// of the line (a view into `line`) and appends the flags with their offsets.
std::string_view ExtractFlags(std::string_view line, size_t base, std::vector<Word>* flags);

}  // namespace kiln::frontend::internal
