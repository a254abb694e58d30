#include "base/go_match.h"

namespace kiln {
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

}  // namespace kiln
