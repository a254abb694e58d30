// Computes the changes that make up a layer, in the deterministic order they are
// written to the tar (byte order of path components, a directory before its
// children), from either an overlay upper dir or two full directory trees.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::cache {

struct Change {
  enum class Kind {
    kEntry,     // write the file at `source` as `path`
    kWhiteout,  // `path` was deleted: write `.wh.<name>` in its directory
    kOpaque,    // directory `path` hides everything below it in lower layers: `path/.wh..wh..opq`
  };
  Kind kind = Kind::kEntry;
  std::string path;    // relative, no leading "/" ("a/b")
  std::string source;  // absolute path of the file to write (kEntry)
  // lstat of `source` when the diff took one (kEntry): later passes over a committed
  // snapshot (fingerprints, the read-ahead) need not stat again.
  bool has_stat = false;
  struct stat st {};
};

// Sockets are left out of both (moby's archive skips them).

// Every entry of an overlay upper dir: char 0/0 devices become whiteouts and
// directories with trusted.overlay.opaque=y get an opaque marker after them.
Result<std::vector<Change>> DiffOverlayUpper(const std::string& upper);

// The changes from `lower` ("" = empty) to `upper`, both full trees: added and
// modified entries (compared by type, mode, owner, size, mtime, link target,
// device number and xattrs), deletions as whiteouts, and the parent directories of
// every change (as BuildKit includes them).
Result<std::vector<Change>> DiffDirectories(const std::string& lower, const std::string& upper);

}  // namespace kiln::cache
