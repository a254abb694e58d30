#include "base/pattern_matcher.h"

#include <algorithm>

#include "base/go_match.h"
#include "base/path.h"

namespace kiln {

namespace {

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return s.substr(b, e - b + 1);
}

bool ShouldEscape(char c) {
  switch (c) {
    case '.': case '+': case '(': case ')': case '|': case '{': case '}': case '$': case '^':
      return true;
  }
  return false;
}

// The parent directory of a relative path ("." when it has none).
std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  return CleanPath(slash == std::string::npos ? std::string_view() : std::string_view(path).substr(0, slash + 1));
}

}  // namespace

// patternmatcher's compile: exact, prefix ("dir/**") and suffix ("**/x") matches
// without a regexp, everything else as an anchored regular expression.
Result<PatternMatcher::Pattern> PatternMatcher::Compile(const std::string& p, bool exclusion) {
  Pattern pat;
  pat.exclusion = exclusion;
  pat.cleaned = p;
  // patternmatcher validates with filepath.Match(pattern, ".").
  RETURN_IF_ERROR(GoMatch(p, ".").status());
  std::string re = "^";
  Pattern::Type type = Pattern::kExact;
  for (size_t i = 0; i < p.size(); i++) {
    const bool first = i == 0;
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        i++;
        if (i + 1 < p.size() && p[i + 1] == '/') i++;
        if (i + 1 >= p.size()) {
          if (type == Pattern::kExact) {
            type = Pattern::kPrefix;
          } else {
            re += ".*";
            type = Pattern::kRegexp;
          }
        } else {
          re += "(.*/)?";
          type = Pattern::kRegexp;
        }
        // "**" at the very start: a suffix match.
        if (first) type = Pattern::kSuffix;
      } else {
        re += "[^/]*";
        type = Pattern::kRegexp;
      }
    } else if (c == '?') {
      re += "[^/]";
      type = Pattern::kRegexp;
    } else if (ShouldEscape(c)) {
      re += '\\';
      re += c;
    } else if (c == '\\') {
      if (i + 1 < p.size()) {
        re += '\\';
        re += p[++i];
        type = Pattern::kRegexp;
      } else {
        re += "\\\\";
      }
    } else if (c == '[' || c == ']') {
      re += c;
      type = Pattern::kRegexp;
    } else {
      re += c;
    }
  }
  pat.type = type;
  if (type == Pattern::kRegexp) {
    re += "$";
    try {
      pat.re = std::make_shared<const std::regex>(re, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      return Status::InvalidArgument("syntax error in pattern \"" + p + "\"");
    }
  }
  return pat;
}

bool PatternMatcher::Pattern::Match(const std::string& path) const {
  switch (type) {
    case kExact:
      return path == cleaned;
    case kPrefix:
      return path.compare(0, cleaned.size() - 2, cleaned, 0, cleaned.size() - 2) == 0;
    case kSuffix: {
      std::string suffix = cleaned.substr(2);
      if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
      return !suffix.empty() && suffix[0] == '/' && path == suffix.substr(1);
    }
    case kRegexp:
      return std::regex_match(path, *re);
  }
  return false;
}

Result<PatternMatcher> PatternMatcher::Create(const std::vector<std::string>& patterns) {
  PatternMatcher pm;
  for (const std::string& raw : patterns) {
    std::string p = TrimSpace(raw);
    if (p.empty()) continue;
    p = CleanPath(p);
    bool exclusion = false;
    if (p[0] == '!') {
      if (p.size() == 1) return Status::InvalidArgument("illegal exclusion pattern: \"!\"");
      exclusion = true;
      p = p.substr(1);
      pm.exclusions_ = true;
    }
    ASSIGN_OR_RETURN(Pattern pat, Compile(p, exclusion));
    pm.patterns_.push_back(std::move(pat));
    pm.raw_.push_back(raw);
  }
  return pm;
}

bool PatternMatcher::Matches(const std::string& file) const {
  bool matched = false;
  const std::string parent = ParentDir(file);
  for (const Pattern& pat : patterns_) {
    // An inclusion only matters while unmatched, an exclusion only once matched.
    if (pat.exclusion != matched) continue;
    bool match = pat.Match(file);
    if (!match && parent != ".") {
      // Each parent directory in turn: "a", "a/b", ...
      for (size_t end = parent.find('/');; end = parent.find('/', end + 1)) {
        if (pat.Match(end == std::string::npos ? parent : parent.substr(0, end))) {
          match = true;
          break;
        }
        if (end == std::string::npos) break;
      }
    }
    if (match) matched = !pat.exclusion;
  }
  return matched;
}

bool PatternMatcher::MayReinclude(const std::string& dir) const {
  if (!exclusions_) return false;
  const std::string dir_slash = dir + "/";
  for (const Pattern& pat : patterns_) {
    if (!pat.exclusion) continue;
    std::string prefix = pat.cleaned.substr(0, std::min(pat.cleaned.find_first_of("*?[\\"), pat.cleaned.size()));
    if (prefix.empty() || prefix.rfind(dir_slash, 0) == 0 || dir_slash.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool PatternMatcher::HasExclusionBelow(const std::string& dir) const {
  const std::string dir_slash = dir + "/";
  for (const Pattern& pat : patterns_) {
    if (pat.exclusion && (pat.cleaned + "/").compare(0, dir_slash.size(), dir_slash) == 0) return true;
  }
  return false;
}

}  // namespace kiln
