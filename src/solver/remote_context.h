// kiln build URL (docker build's remote contexts): a git repository
// (https://host/repo.git#ref:subdir, git://..., git@host:path, ssh://...) checked
// out as ADD <git URL> does, or an http(s) file (a tarball in any compression ADD
// extracts, or a lone Dockerfile) downloaded as ADD <URL> does.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln::solver {

// docker's rules: git://, git@, github.com/ prefixes, ssh://, or an http(s) URL
// whose path ends in .git (before an optional #fragment).
bool IsGitContextUrl(const std::string& s);
// Any other http(s):// URL.
bool IsHttpContextUrl(const std::string& s);

// Checks `url` out into `dir` (created; .git dropped) and returns the context
// directory: `dir`, or its subdirectory named after `#ref:`. Errors name the URL.
Result<std::string> FetchGitContext(const std::string& url, const std::string& dir);

// GETs `url` into the file `file` (created). A non-2xx status is an error.
Status DownloadHttpFile(const std::string& url, const std::string& file);

}  // namespace kiln::solver
