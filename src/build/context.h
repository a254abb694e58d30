// The build context of a target: a local directory, `-` (a tar of the context, or
// a lone Dockerfile, on standard input) or a URL (a git repository, or an http(s)
// tarball or Dockerfile), as docker build takes them.
#pragma once

#include <optional>
#include <string>

#include "base/fs.h"
#include "base/status.h"
#include "build/dockerfile.h"

namespace kiln::build {

// Makes f.context a local directory: stdin and URL contexts are unpacked or fetched
// into a temporary directory under ROOT/tmp that `holder` removes; f.file (relative
// to the fetched context, as docker reads it) is pointed into it. NotFound when the
// context is not a directory.
Status LocalizeContext(DockerfileFlags& f, const std::string& root, std::optional<TempDir>& holder);

}  // namespace kiln::build
