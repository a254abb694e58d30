#include "registry/auth.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace kiln::registry {

namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void SkipSpace(const std::string& s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
}

std::string ReadToken(const std::string& s, size_t& i) {
  size_t b = i;
  while (i < s.size() && IsTokenChar(s[i])) i++;
  return s.substr(b, i - b);
}

}  // namespace

std::vector<Challenge> ParseChallenges(const std::vector<std::string>& values) {
  std::vector<Challenge> out;
  for (const auto& v : values) {
    size_t i = 0;
    while (i < v.size()) {
      SkipSpace(v, i);
      while (i < v.size() && v[i] == ',') { i++; SkipSpace(v, i); }
      std::string scheme = ReadToken(v, i);
      if (scheme.empty()) break;
      Challenge c;
      c.scheme = Lower(scheme);
      // auth-params: name=value or name="quoted", separated by commas. A token
      // followed by a space (not '=') starts the next challenge.
      while (i < v.size()) {
        SkipSpace(v, i);
        size_t save = i;
        std::string name = ReadToken(v, i);
        SkipSpace(v, i);
        if (name.empty() || i >= v.size() || v[i] != '=') { i = save; break; }
        i++;
        SkipSpace(v, i);
        std::string value;
        if (i < v.size() && v[i] == '"') {
          i++;
          while (i < v.size() && v[i] != '"') {
            if (v[i] == '\\' && i + 1 < v.size()) i++;
            value.push_back(v[i++]);
          }
          if (i < v.size()) i++;
        } else {
          value = ReadToken(v, i);
        }
        c.params[Lower(name)] = value;
        SkipSpace(v, i);
        if (i < v.size() && v[i] == ',') i++;
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::string RepositoryScope(const std::string& path, bool push) {
  return "repository:" + path + (push ? ":pull,push" : ":pull");
}

}  // namespace kiln::registry
