// Internal: the string tests the rule passes share.
#pragma once

#include <string>
#include <string_view>

namespace kiln::lint {

inline bool StartsWith(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }
inline bool EndsWith(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}
inline bool Contains(const std::string& s, std::string_view p) { return s.find(p) != std::string::npos; }

}  // namespace kiln::lint
