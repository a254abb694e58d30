// Lexical path cleaning for '/'-separated paths, as Go's path.Clean (and
// filepath.Clean on Linux) does it. BuildKit computes COPY destinations,
// WORKDIR, .dockerignore patterns and context selectors with it; every module
// uses this one implementation.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

// path.Clean: "" -> "."; duplicate slashes, "." elements and "x/.." pairs are
// removed; ".." above the root of an absolute path is dropped, and kept at the
// start of a relative one ("../a" stays "../a"). "/a/../b/" -> "/b".
std::string CleanPath(std::string_view p);

// filepath.Dir: everything but the last element, cleaned ("." when none):
// "/a/b" -> "/a", "/a" -> "/", "c" -> ".".
std::string DirName(std::string_view p);
// path.Base: the last element, trailing slashes ignored ("." for "", "/" for "/").
std::string BaseName(std::string_view p);

// CleanPath of `p` taken relative to a root it can never leave: the result has
// no leading "/" and no ".." ("/../a/./b" -> "a/b"); "", "/" and ".." give ".".
std::string CleanRelPath(std::string_view p);

}  // namespace kiln
