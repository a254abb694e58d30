// The one rule for extended attributes taken from an archive (a layer or an
// ADD of a local tar): trusted.overlay.* never lands in a snapshot, where
// overlayfs would read it (opaque hides the lower layers, redirect/origin
// point elsewhere).
#pragma once

#include <string_view>

namespace kiln {

inline bool ArchiveXattrAllowed(std::string_view name) { return name.rfind("trusted.overlay.", 0) != 0; }

}  // namespace kiln
