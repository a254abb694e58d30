// Rendering of Dockerfile errors for people: shared by the parser and the
// lowering so every error looks the same.
//
//   Dockerfile:7:13: COPY --from names an unknown stage "buidl"
//      7 | COPY --from=buidl /out /usr/bin/
//        |             ^
//     hint: did you mean "build"? Stages: base, build
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::frontend {

// "file:line:col: message", the source line with a caret under the column
// (when the location is known and the line exists in `source`), then the hint.
std::string FormatDiagnostic(const Status& st, std::string_view source);

// The closest of `options` to `word` (Levenshtein, case-insensitive), or "" when
// nothing is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& options);

}  // namespace kiln::frontend
