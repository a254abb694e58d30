// .dockerignore-style path patterns (moby/patternmatcher semantics): patterns
// are slash-separated and cleaned, "*" and "?" match within one path element,
// "[...]" is a character class, "**" matches any number of elements, "\\"
// escapes, and a leading "!" re-includes what earlier patterns excluded. The
// last pattern that matches a path, or one of its parent directories, decides.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::solver {

class PatternMatcher {
 public:
  PatternMatcher() = default;
  // Errors name the bad pattern (e.g. an unterminated "[").
  static Result<PatternMatcher> Compile(const std::vector<std::string>& patterns);

  bool empty() const { return patterns_.empty(); }
  // Whether `rel` (relative, '/'-separated, no leading "/") is matched (excluded, for
  // .dockerignore): the last pattern matching it or a parent decides.
  bool Matches(const std::string& rel) const;
  // True when some "!" pattern could re-include something below directory `rel`,
  // so a matched directory must still be walked.
  bool MayReinclude(const std::string& rel_dir) const;

 private:
  struct Pattern {
    std::string text;    // cleaned, without "!"
    bool negated = false;
    std::regex re;
  };
  std::vector<Pattern> patterns_;
  bool has_negations_ = false;
};

// filepath.Clean for '/'-separated relative paths: "" and "/" become ".";
// leading "/" removed; "a/./b/../c" -> "a/c".
std::string CleanRelPath(const std::string& path);

// Whether `s` holds glob metacharacters (* ? [ or a backslash).
bool HasWildcard(const std::string& s);

}  // namespace kiln::solver
