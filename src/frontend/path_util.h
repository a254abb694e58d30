// Go's path package semantics (slash-separated), used wherever BuildKit calls
// path.Clean / path.Join / filepath.Dir on Linux.
#pragma once

#include <string>
#include <string_view>

#include "base/path.h"

namespace kiln::frontend {

// path.Clean, filepath.Dir and path.Base are kiln::CleanPath, DirName and
// BaseName (base/path.h).

// path.Join: joins non-empty elements with "/" and cleans ("" when all empty).
std::string PathJoin(std::string_view a, std::string_view b);
std::string PathJoin(std::string_view a, std::string_view b, std::string_view c);
inline bool PathIsAbs(std::string_view p) { return !p.empty() && p[0] == '/'; }

}  // namespace kiln::frontend
