#include "solver/patterns.h"

#include <algorithm>
#include <sstream>

namespace kiln::solver {

std::string CleanRelPath(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return ".";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

bool HasWildcard(const std::string& s) { return s.find_first_of("*?[\\") != std::string::npos; }

namespace {

// Translates one cleaned pattern to an ECMAScript regex, as patternmatcher does.
Result<std::string> ToRegex(const std::string& p) {
  std::string re = "^";
  for (size_t i = 0; i < p.size(); i++) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        i++;
        // "**/" at an element start: zero or more elements.
        if (i + 1 < p.size() && p[i + 1] == '/') {
          i++;
          re += "(.*/)?";
        } else {
          re += ".*";
        }
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t j = i + 1;
      std::string cls = "[";
      if (j < p.size() && (p[j] == '^' || p[j] == '!')) {
        cls += '^';
        j++;
      }
      bool closed = false;
      for (; j < p.size(); j++) {
        if (p[j] == ']' && cls.size() > 1 && cls != "[^") {
          closed = true;
          break;
        }
        if (p[j] == '\\' && j + 1 < p.size()) {
          cls += "\\";
          cls += p[++j];
          continue;
        }
        if (p[j] == '[' || p[j] == ']') cls += '\\';
        cls += p[j];
      }
      if (!closed) return Status::InvalidArgument("pattern `" + p + "`: unterminated character class `[`");
      re += cls + "]";
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) return Status::InvalidArgument("pattern `" + p + "`: trailing backslash");
      char n = p[++i];
      if (std::string("^$.|+(){}[]*?\\/").find(n) != std::string::npos) re += '\\';
      re += n;
    } else {
      if (std::string("^$.|+(){}]").find(c) != std::string::npos) re += '\\';
      re += c;
    }
  }
  return re + "$";
}

}  // namespace

Result<PatternMatcher> PatternMatcher::Compile(const std::vector<std::string>& patterns) {
  PatternMatcher m;
  for (std::string p : patterns) {
    // Trim surrounding whitespace as .dockerignore reading does.
    while (!p.empty() && isspace(static_cast<unsigned char>(p.back()))) p.pop_back();
    size_t b = 0;
    while (b < p.size() && isspace(static_cast<unsigned char>(p[b]))) b++;
    p = p.substr(b);
    if (p.empty()) continue;
    Pattern pat;
    if (p[0] == '!') {
      pat.negated = true;
      p = p.substr(1);
      if (p.empty()) return Status::InvalidArgument("pattern `!`: nothing after the exclamation mark");
    }
    pat.text = CleanRelPath(p);
    auto re = ToRegex(pat.text);
    if (!re.ok()) return re.status();
    try {
      pat.re = std::regex(*re, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("pattern `" + p + "`: " + e.what());
    }
    m.has_negations_ |= pat.negated;
    m.patterns_.push_back(std::move(pat));
  }
  return m;
}

bool PatternMatcher::Matches(const std::string& rel) const {
  bool matched = false;
  for (const auto& p : patterns_) {
    if (p.negated != matched) continue;  // cannot change the outcome
    bool hit = std::regex_match(rel, p.re);
    if (!hit) {
      // A parent directory matching counts (patternmatcher's parent matching):
      // the pattern against the path's first N elements, N = the pattern's.
      size_t elems = std::count(p.text.begin(), p.text.end(), '/') + 1;
      size_t pos = std::string::npos, seen = 0;
      for (size_t q = rel.find('/'); q != std::string::npos; q = rel.find('/', q + 1))
        if (++seen == elems) {
          pos = q;
          break;
        }
      if (pos != std::string::npos) hit = std::regex_match(rel.substr(0, pos), p.re);
    }
    if (hit) matched = !p.negated;
  }
  return matched;
}

bool PatternMatcher::MayReinclude(const std::string& rel_dir) const {
  if (!has_negations_) return false;
  for (const auto& p : patterns_) {
    if (!p.negated) continue;
    // A negation whose literal prefix lies inside (or above) this directory may re-include.
    std::string prefix = p.text.substr(0, std::min(p.text.find_first_of("*?[\\"), p.text.size()));
    if (prefix.rfind(rel_dir + "/", 0) == 0 || (rel_dir + "/").rfind(prefix, 0) == 0 || prefix.empty()) return true;
  }
  return false;
}

}  // namespace kiln::solver
