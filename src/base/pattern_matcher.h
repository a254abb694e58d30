// .dockerignore-style path patterns with moby/patternmatcher semantics, the one
// implementation behind .dockerignore, COPY --exclude and the build-context
// walk: patterns are trimmed and cleaned (path.Clean), `*` and `?` never cross
// "/", `[...]` is a character class, `**` spans directories, `\` escapes, a
// leading `!` re-includes what earlier patterns excluded, the last matching
// pattern wins, and a pattern matching a parent directory matches everything
// below it.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln {

class PatternMatcher {
 public:
  PatternMatcher() = default;
  // Blank patterns are skipped. Errors: "!" alone (`illegal exclusion pattern`)
  // and a pattern filepath.Match rejects (`syntax error in pattern "<p>"`).
  static Result<PatternMatcher> Create(const std::vector<std::string>& patterns);

  // MatchesOrParentMatches: whether `path` (relative to the context root,
  // "/"-separated, no leading "/") is matched; the last pattern that matches the
  // path or one of its parent directories decides.
  bool Matches(const std::string& path) const;
  // True when some "!" pattern exists.
  bool HasExclusions() const { return exclusions_; }
  // For a matched directory `dir`, a walker's conservative test: whether some
  // "!" pattern could re-include something below it (its literal prefix, up to
  // the first wildcard, lies below `dir` or above it). Walkers that must not
  // miss a re-included file use this.
  bool MayReinclude(const std::string& dir) const;
  // fsutil's copy filter, a literal test: whether some "!" pattern starts with
  // `dir` + "/". Only then does a copy descend into an excluded directory.
  bool HasExclusionBelow(const std::string& dir) const;
  bool empty() const { return patterns_.empty(); }
  // The patterns as given (blank ones dropped).
  const std::vector<std::string>& patterns() const { return raw_; }

 private:
  struct Pattern {
    std::string cleaned;  // without the "!"
    bool exclusion = false;
    enum Type { kExact, kPrefix, kSuffix, kRegexp } type = kExact;
    std::shared_ptr<const std::regex> re;
    bool Match(const std::string& path) const;
  };
  static Result<Pattern> Compile(const std::string& p, bool exclusion);

  std::vector<Pattern> patterns_;
  std::vector<std::string> raw_;
  bool exclusions_ = false;
};

}  // namespace kiln
