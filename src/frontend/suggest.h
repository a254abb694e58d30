// "Did you mean ...?" for unknown Dockerfile instructions.
#pragma once

#include <string>
#include <string_view>

namespace kiln::frontend {

struct Suggestion {
  std::string text;  // e.g. "FROM" or "RUN mkdir"; empty when nothing is close
  std::string hint;  // how to fix it
};

// For an unknown instruction keyword: the closest instruction (edit distance),
// or `RUN <word>` when the word looks like a shell command.
Suggestion SuggestInstruction(std::string_view keyword);

// Levenshtein distance, case-sensitive, over bytes.
int EditDistance(std::string_view a, std::string_view b);

}  // namespace kiln::frontend
