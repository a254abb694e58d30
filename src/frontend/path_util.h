// Go's path package semantics (slash-separated), used wherever BuildKit calls
// path.Clean / path.Join / filepath.Dir on Linux.
#pragma once

#include <string>
#include <string_view>

namespace kiln::frontend {

// path.Clean: "" -> ".", removes "." and "x/.." elements and duplicate slashes.
std::string PathClean(std::string_view p);
// path.Join: joins non-empty elements with "/" and cleans ("" when all empty).
std::string PathJoin(std::string_view a, std::string_view b);
std::string PathJoin(std::string_view a, std::string_view b, std::string_view c);
// filepath.Dir: everything but the last element, cleaned ("." when none).
std::string PathDir(std::string_view p);
// path.Base: the last element ("." for "", "/" for "/").
std::string PathBase(std::string_view p);
inline bool PathIsAbs(std::string_view p) { return !p.empty() && p[0] == '/'; }

}  // namespace kiln::frontend
