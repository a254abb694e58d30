// fsutil's include patterns for COPY (--parents / include filters), which also
// report whether a directory could still contain matches ("partial"). The
// globs (GoMatch) and the .dockerignore-style exclude matcher
// (PatternMatcher) live in base/go_match.h and base/pattern_matcher.h.
#pragma once

#include <string>
#include <vector>

namespace kiln::fileop {

struct IncludeResult {
  bool matched = false;  // the path matches a pattern or could lead to a match
  bool partial = false;  // only as a prefix: a directory that may contain matches
};
// Matches `path` (relative) against include patterns (gitignore-like with "**").
IncludeResult IncludeMatch(const std::vector<std::string>& patterns, const std::string& path, bool is_dir);

}  // namespace kiln::fileop
