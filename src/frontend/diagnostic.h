// Errors that point into a Dockerfile: file:line:column, the offending line
// with a caret under the column, and a hint saying how to fix it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "frontend/ast.h"

namespace kiln::frontend {

// The source line `line` (1-based) of `source` and a caret under `column`:
//     3 | MKDIR /app
//       | ^
// Empty when the line does not exist.
std::string SourceSnippet(std::string_view source, int line, int column);

// An InvalidArgument error: message + "\n" + snippet, with location and hint.
Status SourceError(const std::string& filename, std::string_view source, Position at,
                   const std::string& message, const std::string& hint);
inline Status SourceError(const Ast& ast, Position at, const std::string& message,
                          const std::string& hint) {
  return SourceError(ast.filename, ast.source, at, message, hint);
}

// The whole error for people: "file:line:col: message", the source line with a
// caret (unless the message already carries it, as SourceError's do), then
// "  hint: ...". Shared by the parser, the lowering and the CLI.
//   Dockerfile:7:1: COPY --from names an unknown stage "buidl"
//     7 | COPY --from=buidl /out /usr/bin/
//       | ^
//     hint: did you mean "build"?
std::string FormatDiagnostic(const Status& st, std::string_view source);

// The closest of `options` to `word` (edit distance, case-insensitive), or ""
// when nothing is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& options);

}  // namespace kiln::frontend
