// Mountpoint stubs: the files and directories a container needs to mount on
// (/proc, /dev, /sys, /etc/hosts, ..., the destinations of RUN mounts) that its
// root may lack. BuildKit leaves none of them in a layer; neither do we:
// - over an overlay root, the stubs live in an extra bottom-most lower layer
//   outside the snapshot (BuildStubLayer), so nothing is ever created in the
//   upper dir and the image's own entries (higher layers) win;
// - over a bind root, the stubs the root lacks are created in it and removed
//   again afterwards when still empty, restoring the parent directory's times
//   (BuildKit's MountStubsCleaner).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::runner {

struct Stub {
  std::string path;  // absolute, inside the container
  bool is_file = false;
};

// Creates each stub (and its parents, as directories) under `dir`.
Status BuildStubLayer(const std::string& dir, const std::vector<Stub>& stubs);

// The host paths under `root` that do not exist yet for `stubs` (each missing
// path and its missing parents), in creation order. A symlink on the way ends
// the walk: what lies behind it is not tracked.
std::vector<std::string> MissingStubs(const std::string& root, const std::vector<Stub>& stubs);

// Removes, deepest first, each path that is still an empty directory or an
// empty file, keeping its parent's atime and mtime. Best effort.
void RemoveStubs(const std::vector<std::string>& created);

}  // namespace kiln::runner
