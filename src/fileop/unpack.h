// ADD's local archive extraction: a regular file that decompresses (gzip, bzip2,
// xz or none; zstd for build contexts) into a tar stream with a readable first header is an archive
// and is extracted into the destination directory, as docker's archive.Untar in a
// chroot would: entries keep their owner, mode, times and xattrs; every path and
// hard link target resolves inside the destination root.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln::fileop {

// True if `path` (host path) is an archive. `zstd`: a zstd-compressed tar counts
// (a build context may be one; ADD passes false: the moby archive package of
// dockerd 20.10 knows no zstd, so its ADD copies such a file as it is).
bool IsArchive(const std::string& path, bool zstd = true);

// Extracts archive `archive` into `dest` (host path of a directory inside `root`;
// symlinks met while writing resolve inside `root`).
Status Untar(const std::string& archive, const std::string& root, const std::string& dest, bool zstd = true);

}  // namespace kiln::fileop
