// Copies a directory tree onto another, preserving everything a layer can hold:
// type, mode (setuid/setgid/sticky), uid/gid, mtime/atime, symlinks, hard links
// (within the source), fifos, devices and xattrs.
//
// With interpret_whiteouts=true the source is an overlay layer dir: character
// devices 0/0 delete the destination path, and directories with
// trusted.overlay.opaque=y replace (rather than merge with) an existing
// destination directory. trusted.overlay.* xattrs are never copied.
// This is how the copy snapshotter prepares snapshots and how deep overlay chains
// are flattened.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln::cache {

Status MergeTree(const std::string& src, const std::string& dst, bool interpret_whiteouts);

// Total bytes of regular files under `dir`, `du -s` style, except that a file with
// several links counts size/nlink per link found: snapshots sharing files through
// hard links (incremental COPY) then add up to the space they really use, instead
// of each counting every shared file whole.
Result<int64_t> TreeSize(const std::string& dir);

// Copies xattrs of `src` (not following symlinks) onto `dst`, skipping trusted.overlay.*.
Status CopyXattrs(const std::string& src, const std::string& dst);

}  // namespace kiln::cache
