#include "fileop/match.h"

#include <functional>

#include "fileop/path.h"

namespace kiln::fileop {
namespace {

Status BadPattern(std::string_view pattern) {
  return Status::InvalidArgument("syntax error in pattern \"" + std::string(pattern) + "\"");
}

// One UTF-8 code point from s; advances s. Invalid bytes decode as themselves.
char32_t DecodeRune(std::string_view& s, bool* bad = nullptr) {
  unsigned char c = s[0];
  int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || static_cast<size_t>(n) > s.size()) {
    if (bad) *bad = true;
    s.remove_prefix(1);
    return 0xFFFD;
  }
  char32_t r = n == 1 ? c : c & (0x7F >> n);
  for (int i = 1; i < n; ++i) r = (r << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  s.remove_prefix(n);
  return r;
}

// getEsc of Go's filepath: one (possibly escaped) rune of a character class.
bool GetEsc(std::string_view& chunk, char32_t* r) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return false;
  }
  bool bad = false;
  *r = DecodeRune(chunk, &bad);
  return !bad && !chunk.empty();
}

// scanChunk: leading stars, then the chunk up to the next unbracketed star.
void ScanChunk(std::string_view& pattern, bool* star, std::string_view* chunk) {
  *star = false;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    *star = true;
  }
  bool inrange = false;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      inrange = true;
    } else if (c == ']') {
      inrange = false;
    } else if (c == '*' && !inrange) {
      break;
    }
  }
  *chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
}

// matchChunk: 1 = matched (rest in *rest), 0 = no match, -1 = bad pattern.
int MatchChunk(std::string_view chunk, std::string_view s, std::string_view* rest) {
  bool failed = false;
  while (!chunk.empty()) {
    if (!failed && s.empty()) failed = true;
    char c = chunk[0];
    if (c == '[') {
      char32_t r = 0;
      if (!failed) r = DecodeRune(s);
      chunk.remove_prefix(1);
      bool negated = false;
      if (!chunk.empty() && chunk[0] == '^') {
        negated = true;
        chunk.remove_prefix(1);
      }
      bool match = false;
      int nrange = 0;
      for (;;) {
        if (!chunk.empty() && chunk[0] == ']' && nrange > 0) {
          chunk.remove_prefix(1);
          break;
        }
        char32_t lo, hi;
        if (!GetEsc(chunk, &lo)) return -1;
        hi = lo;
        if (chunk[0] == '-') {
          chunk.remove_prefix(1);
          if (!GetEsc(chunk, &hi)) return -1;
        }
        if (lo <= r && r <= hi) match = true;
        ++nrange;
      }
      if (match == negated) failed = true;
    } else if (c == '?') {
      if (!failed) {
        if (s[0] == '/') failed = true;
        DecodeRune(s);
      }
      chunk.remove_prefix(1);
    } else {
      if (c == '\\') {
        chunk.remove_prefix(1);
        if (chunk.empty()) return -1;
      }
      if (!failed) {
        if (chunk[0] != s[0]) failed = true;
        s.remove_prefix(1);
      }
      chunk.remove_prefix(1);
    }
  }
  if (failed) return 0;
  *rest = s;
  return 1;
}

}  // namespace

Result<bool> GoMatch(std::string_view pattern, std::string_view name) {
  const std::string_view original = pattern;
  while (!pattern.empty()) {
    bool star;
    std::string_view chunk;
    ScanChunk(pattern, &star, &chunk);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos;
    std::string_view t;
    int m = MatchChunk(chunk, name, &t);
    if (m == 1 && (t.empty() || !pattern.empty())) {
      name = t;
      continue;
    }
    if (m < 0) return BadPattern(original);
    bool next = false;
    if (star) {
      for (size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        int m2 = MatchChunk(chunk, name.substr(i + 1), &t);
        if (m2 == 1) {
          if (pattern.empty() && !t.empty()) continue;
          name = t;
          next = true;
          break;
        }
        if (m2 < 0) return BadPattern(original);
      }
    }
    if (next) continue;
    while (!pattern.empty()) {
      ScanChunk(pattern, &star, &chunk);
      std::string_view ignored;
      if (MatchChunk(chunk, "", &ignored) < 0) return BadPattern(original);
    }
    return false;
  }
  return name.empty();
}

bool HasWildcards(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
  }
  return false;
}

namespace {

// patternmatcher's compile: the pattern as an anchored regular expression.
std::string PatternRegex(const std::string& p) {
  std::string re = "^";
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') ++i;
        if (i + 1 >= p.size()) re += ".*";
        else re += "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '.' || c == '$' || c == '+' || c == '(' || c == ')' || c == '{' || c == '}' ||
               c == '|' || c == '^') {
      re += '\\';
      re += c;
    } else if (c == '\\') {
      if (i + 1 < p.size()) {
        re += '\\';
        re += p[++i];
      } else {
        re += "\\\\";
      }
    } else {
      re += c;
    }
  }
  return re + "$";
}

std::vector<std::string> SplitComps(const std::string& p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Result<ExcludeMatcher> ExcludeMatcher::Create(const std::vector<std::string>& patterns) {
  ExcludeMatcher m;
  for (const auto& raw : patterns) {
    std::string p = Trim(raw);
    if (p.empty()) continue;
    p = CleanPath(p);
    Pattern pat;
    if (p[0] == '!') {
      if (p.size() == 1) return Status::InvalidArgument("illegal exclusion pattern: \"!\"");
      pat.exclusion = true;
      p = p.substr(1);
      m.exclusions_ = true;
    }
    auto syntax = GoMatch(p, ".");
    if (!syntax.ok()) return syntax.status();
    pat.cleaned = p;
    pat.dirs = SplitComps(p).size();
    try {
      pat.re = std::regex(PatternRegex(p), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return BadPattern(p);
    }
    m.patterns_.push_back(std::move(pat));
  }
  return m;
}

bool ExcludeMatcher::Matches(const std::string& file) const {
  bool matched = false;
  std::string parent = DirName(file);
  std::vector<std::string> parent_dirs = SplitComps(parent);
  for (const auto& pat : patterns_) {
    if (pat.exclusion != matched) continue;
    bool match = std::regex_match(file, pat.re);
    if (!match && parent != "." && pat.dirs <= parent_dirs.size()) {
      std::string prefix;
      for (size_t i = 0; i < pat.dirs; ++i) prefix += (i ? "/" : "") + parent_dirs[i];
      match = std::regex_match(prefix, pat.re);
    }
    if (match) matched = !pat.exclusion;
  }
  return matched;
}

bool ExcludeMatcher::MayReinclude(const std::string& dir) const {
  std::string dir_slash = dir + "/";
  for (const auto& pat : patterns_) {
    if (!pat.exclusion) continue;
    if ((pat.cleaned + "/").compare(0, dir_slash.size(), dir_slash) == 0) return true;
  }
  return false;
}

namespace {

// 2 = full match, 1 = `path` is a proper prefix of something that may match, 0 = no.
int MatchComps(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path, size_t ni) {
  if (pi == pat.size()) return ni == path.size() ? 2 : 0;
  if (pat[pi] == "**") {
    int best = MatchComps(pat, pi + 1, path, ni);
    if (best == 2) return 2;
    if (ni < path.size()) {
      int r = MatchComps(pat, pi, path, ni + 1);
      if (r > best) best = r;
    } else {
      best = std::max(best, 1);
    }
    return best;
  }
  if (ni == path.size()) return 1;
  auto m = GoMatch(pat[pi], path[ni]);
  if (!m.ok() || !*m) return 0;
  return MatchComps(pat, pi + 1, path, ni + 1);
}

}  // namespace

IncludeResult IncludeMatch(const std::vector<std::string>& patterns, const std::string& path, bool is_dir) {
  IncludeResult r;
  std::vector<std::string> comps = SplitComps(path);
  for (std::string p : patterns) {
    if (is_dir) while (p.size() > 1 && p.back() == '/') p.pop_back();
    p = CleanPath(p);
    if (!p.empty() && p[0] == '/') p = p.substr(1);
    int m = MatchComps(SplitComps(p), 0, comps, 0);
    if (m == 2) return {true, false};
    if (m == 1 && is_dir) r = {true, true};
  }
  return r;
}

}  // namespace kiln::fileop
