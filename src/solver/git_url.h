// Git source identifiers as the Dockerfile frontend writes them
// ("git://" + the ADD source) and BuildKit accepts them:
//   https://host/path.git[#ref[:subdir]]   http://host/path.git[#...]
//   git://host/path[#...]   ssh://[user@]host/path[#...]   user@host:path[#...]
// ref is a branch, a tag or a full commit SHA; empty = the remote's HEAD.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kiln::solver {

struct GitUrl {
  std::string remote;  // what `git fetch` is given (no fragment)
  std::string ref;     // "" = HEAD
  std::string subdir;  // "" = the whole tree; else a relative path, no leading '/'
};

// Parses one Dockerfile ADD source (without the "git://" LLB prefix, which
// the caller strips once). InvalidArgument for a scheme git cannot use, an
// empty remote, or a subdir that climbs out ("..").
Result<GitUrl> ParseGitUrl(std::string_view url);

// True for a full hex commit id (40 for SHA-1, 64 for SHA-256), lower case.
bool IsCommitSha(std::string_view ref);

// The remote with any user:password@ removed, for messages and logs.
std::string RedactGitRemote(const std::string& remote);

}  // namespace kiln::solver
