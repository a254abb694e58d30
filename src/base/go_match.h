// Go's filepath.Match on Unix: the glob BuildKit applies to COPY/ADD source
// wildcards and to single path elements. `*` matches any run of non-"/"
// characters, `?` one non-"/" character (a UTF-8 code point), `[a-z]` / `[^x]`
// character classes, and `\` escapes the next character.
#pragma once

#include <string_view>

#include "base/status.h"

namespace kiln {

// Whether `name` matches `pattern` as a whole. A malformed pattern (unclosed
// or empty class, bad range, trailing `\`) gives InvalidArgument
// `syntax error in pattern "<pattern>"`, even where the name already mismatches.
Result<bool> GoMatch(std::string_view pattern, std::string_view name);
// True if `s` holds an unescaped *, ? or [.
bool HasWildcards(std::string_view s);

}  // namespace kiln
