// ADD's local archive extraction: a regular file that decompresses (gzip, bzip2,
// xz, zstd or none) into a tar stream with a readable first header is an archive
// and is extracted into the destination directory, as docker's archive.Untar in a
// chroot would: entries keep their owner, mode, times and xattrs; every path and
// hard link target resolves inside the destination root.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln::fileop {

// True if `path` (host path) is an archive ADD extracts.
bool IsArchive(const std::string& path);

// Extracts archive `archive` into `dest` (host path of a directory inside `root`;
// symlinks met while writing resolve inside `root`).
Status Untar(const std::string& archive, const std::string& root, const std::string& dest);

}  // namespace kiln::fileop
