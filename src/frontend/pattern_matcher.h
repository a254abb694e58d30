// .dockerignore-style path patterns with moby/patternmatcher semantics:
// `*` and `?` never cross "/", `**` spans directories, `!` re-includes, the last
// matching pattern wins, and a pattern matching a parent directory matches
// everything below it. Used by the frontend (COPY --exclude, .dockerignore) and
// by the build-context transfer.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::frontend {

class PatternMatcher {
 public:
  // Patterns as in a .dockerignore (already cleaned by ReadDockerignore or not):
  // each is trimmed and cleaned; "" is skipped; "!" alone is an error, as is a
  // malformed character class.
  static Result<PatternMatcher> Create(const std::vector<std::string>& patterns);

  // True when `path` (relative to the context root, "/"-separated) is excluded:
  // the last pattern that matches the path or one of its parent directories decides.
  bool MatchesOrParentMatches(const std::string& path) const;
  // True when some exclusion ("!") pattern exists: a walker must then descend
  // into an excluded directory, since a child may be re-included.
  bool HasExclusions() const { return exclusions_; }
  bool empty() const { return patterns_.empty(); }
  const std::vector<std::string>& patterns() const { return raw_; }

 private:
  struct Pattern {
    std::string cleaned;
    bool exclusion = false;
    enum Type { kExact, kPrefix, kSuffix, kRegexp } type = kExact;
    std::shared_ptr<std::regex> re;
    bool Match(const std::string& path) const;
  };
  static Result<Pattern> Compile(std::string p, bool exclusion);

  std::vector<Pattern> patterns_;
  std::vector<std::string> raw_;
  bool exclusions_ = false;
};

}  // namespace kiln::frontend
