// .dockerignore as BuildKit reads it (moby/patternmatcher/ignorefile): one
// pattern per line; lines starting with "#" are comments; surrounding
// whitespace is trimmed; patterns are cleaned (path.Clean) and made relative
// ("/a" -> "a"); "!" marks an exception. A UTF-8 BOM on the first line is dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::frontend {

std::vector<std::string> ParseDockerignore(std::string_view text);

struct DockerignoreFile {
  std::string path;                   // the file read; "" when there is none
  std::vector<std::string> patterns;  // cleaned patterns, in order
};

// BuildKit's lookup: "<Dockerfile path>.dockerignore" (e.g. app.Dockerfile.dockerignore,
// next to the Dockerfile) wins; otherwise CONTEXT/.dockerignore; neither is fine.
// `dockerfile_path` may be empty (no Dockerfile-specific file is tried).
Result<DockerignoreFile> ReadDockerignore(const std::string& context_dir, const std::string& dockerfile_path);

}  // namespace kiln::frontend
