#include "frontend/path_util.h"

namespace kiln::frontend {

std::string PathJoin(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return "";
  if (a.empty()) return CleanPath(b);
  if (b.empty()) return CleanPath(a);
  std::string s(a);
  s += '/';
  s += b;
  return CleanPath(s);
}

std::string PathJoin(std::string_view a, std::string_view b, std::string_view c) {
  std::string ab = PathJoin(a, b);
  return PathJoin(ab, c);
}

}  // namespace kiln::frontend
