// The physical lines of a Dockerfile, as the ANTLR grammar (grammar/Dockerfile.g4)
// classifies them. Produced by the one adapter that touches ANTLR
// (parse_tree_adapter.cc); consumed by parser.cc.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::frontend::internal {

struct SourceLine {
  enum class Kind { kBlank, kComment, kText };
  Kind kind = Kind::kBlank;
  std::string_view text;  // the line without its '\n' (a '\r' before it stays)
  bool newline = false;   // the line ended with '\n'
  size_t offset = 0;      // byte offset of the line in the source
};

// Splits `source` (BOM already removed) into lines with the ANTLR parser.
// Line i (0-based) is source line i+1. Views point into `source`.
Result<std::vector<SourceLine>> ParseSourceLines(std::string_view source);

}  // namespace kiln::frontend::internal
