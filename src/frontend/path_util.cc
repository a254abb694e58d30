#include "frontend/path_util.h"

#include <vector>

namespace kiln::frontend {

std::string PathClean(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view e = p.substr(i, j - i);
    i = j + 1;
    if (e.empty() || e == ".") continue;
    if (e == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.push_back(e);
      continue;
    }
    parts.push_back(e);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); k++) {
    if (k) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

std::string PathJoin(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return PathClean(b);
  if (b.empty()) return PathClean(a);
  std::string s(a);
  s += '/';
  s += b;
  return PathClean(s);
}

std::string PathJoin(std::string_view a, std::string_view b, std::string_view c) {
  std::string ab = PathJoin(a, b);
  return PathJoin(ab, c);
}

std::string PathDir(std::string_view p) {
  size_t slash = p.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? std::string_view() : p.substr(0, slash + 1);
  return PathClean(dir);
}

std::string PathBase(std::string_view p) {
  if (p.empty()) return ".";
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p == "/") return "/";
  size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

}  // namespace kiln::frontend
