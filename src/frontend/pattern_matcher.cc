#include "frontend/pattern_matcher.h"

#include "frontend/path_util.h"

namespace kiln::frontend {

namespace {

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return s.substr(b, e - b + 1);
}

bool ShouldEscape(char c) {
  switch (c) {
    case '.': case '+': case '(': case ')': case '|': case '{': case '}': case '$':
      return true;
  }
  return false;
}

// filepath.Match's syntax check: character classes must be closed and
// non-empty, and a trailing backslash is malformed.
bool ValidGlob(const std::string& p) {
  for (size_t i = 0; i < p.size(); i++) {
    if (p[i] == '\\') {
      if (++i >= p.size()) return false;
    } else if (p[i] == '[') {
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') j++;
      bool any = false;
      while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\') j++;
        j++;
        any = true;
      }
      if (j >= p.size() || !any) return false;
      i = j;
    }
  }
  return true;
}

}  // namespace

Result<PatternMatcher::Pattern> PatternMatcher::Compile(std::string p, bool exclusion) {
  Pattern pat;
  pat.exclusion = exclusion;
  pat.cleaned = p;
  if (!ValidGlob(p)) return Status::InvalidArgument("syntax error in pattern: " + p);
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
    } else if (c == '^') {
      re += "\\^";
    } else {
      re += c;
    }
  }
  pat.type = type;
  if (type == Pattern::kRegexp) {
    re += "$";
    try {
      pat.re = std::make_shared<std::regex>(re, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("syntax error in pattern: " + p);
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
    p = PathClean(p);
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

bool PatternMatcher::MatchesOrParentMatches(const std::string& file_in) const {
  std::string file = file_in;
  bool matched = false;
  std::string parent = PathDir(file);
  std::vector<std::string> parent_dirs;
  {
    size_t i = 0;
    while (i <= parent.size()) {
      size_t j = parent.find('/', i);
      if (j == std::string::npos) j = parent.size();
      parent_dirs.push_back(parent.substr(i, j - i));
      i = j + 1;
    }
  }
  for (const Pattern& pat : patterns_) {
    // An inclusion only matters while unmatched, an exclusion only once matched.
    if (pat.exclusion != matched) continue;
    bool match = pat.Match(file);
    if (!match && parent != ".") {
      std::string prefix;
      for (size_t i = 0; i < parent_dirs.size(); i++) {
        if (i) prefix += '/';
        prefix += parent_dirs[i];
        if (pat.Match(prefix)) {
          match = true;
          break;
        }
      }
    }
    if (match) matched = !pat.exclusion;
  }
  return matched;
}

}  // namespace kiln::frontend
