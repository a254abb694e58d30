// Pattern matching as BuildKit does it:
//  - GoMatch: Go's filepath.Match (COPY wildcards: *, ?, [a-z], [^x], \ escapes;
//    `*` never matches "/").
//  - ExcludeMatcher: moby/patternmatcher (COPY --exclude, .dockerignore):
//    "**" spans directories, "!" re-includes, a pattern matching a parent
//    directory matches everything below it.
//  - IncludeMatch: fsutil's include patterns, which also report whether a
//    directory could still contain matches ("partial").
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::fileop {

// filepath.Match; a malformed pattern gives InvalidArgument ("syntax error in pattern").
Result<bool> GoMatch(std::string_view pattern, std::string_view name);
// True if `s` holds an unescaped *, ? or [.
bool HasWildcards(std::string_view s);

class ExcludeMatcher {
 public:
  static Result<ExcludeMatcher> Create(const std::vector<std::string>& patterns);
  bool empty() const { return patterns_.empty(); }
  // `path` is relative, "/"-separated ("a/b.txt").
  bool Matches(const std::string& path) const;
  bool HasExclusions() const { return exclusions_; }
  // For a matched directory: whether a "!" pattern could re-include something below it.
  bool MayReinclude(const std::string& dir) const;

 private:
  struct Pattern {
    std::string cleaned;
    bool exclusion = false;
    size_t dirs = 0;
    std::regex re;
  };
  std::vector<Pattern> patterns_;
  bool exclusions_ = false;
};

struct IncludeResult {
  bool matched = false;  // the path matches a pattern or could lead to a match
  bool partial = false;  // only as a prefix: a directory that may contain matches
};
// Matches `path` (relative) against include patterns (gitignore-like with "**").
IncludeResult IncludeMatch(const std::vector<std::string>& patterns, const std::string& path, bool is_dir);

}  // namespace kiln::fileop
