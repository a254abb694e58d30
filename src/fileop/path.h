// Path helpers with Go's path/filepath semantics (BuildKit computes COPY paths
// with them) and secure resolution of a path inside a root directory, like
// containerd's fs.RootPath / securejoin: symlinks are followed as if the root
// were "/", and neither ".." nor a symlink can leave the root.
#pragma once

#include <string>
#include <string_view>

#include "base/path.h"
#include "base/status.h"

namespace kiln::fileop {

// filepath.Clean, filepath.Base and filepath.Dir are kiln::CleanPath,
// BaseName and DirName (base/path.h).

// filepath.Join("/", p): an absolute clean path.
std::string AbsClean(std::string_view p);
// filepath.Split: ("/a/b" -> "/a/", "b"), ("/a/" -> "/a/", "").
std::pair<std::string, std::string> SplitPath(std::string_view p);
// a + "/" + b without doubling slashes (b may start with "/").
std::string JoinPath(std::string_view a, std::string_view b);

// The host path of `path` inside `root`, every symlink (the last component
// included) resolved within root. Missing components are appended lexically.
// Too many levels of symlinks give an error (ELOOP).
Result<std::string> RootPath(const std::string& root, std::string_view path);
// Like RootPath, but the last component is not followed when it is a symlink.
Result<std::string> RootPathNoFollow(const std::string& root, std::string_view path);

}  // namespace kiln::fileop
