// Mount helpers for the container side of the namespace executor: detached
// mounts (fsopen/open_tree) made before pivot_root and attached after it, and
// the standard container filesystems (/dev, masked /proc paths). Errors name
// the call, its operands and errno: "mount overlay on /: ... : ENOENT (...)".
// Used between fork and execve only.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>

#include "base/fs.h"
#include "runner/executor.h"
#include "runner/user.h"

namespace kiln::runner::internal {

// "what: ENAME (description)" as an IOError.
Status Errno(const std::string& what, int err);
inline Status Errno(const std::string& what) { return Errno(what, errno); }

// The whole file, nullopt when it cannot be read.
std::optional<std::string> ReadWhole(const char* path);
// A detached mount of `m` (bind: a recursive clone of the source; tmpfs and
// overlay: a new filesystem with m.options), read-only when m.readonly.
Result<Fd> Detach(const MountPoint& m);
// Attaches a detached mount at `dest` (resolved in the current root).
Status Attach(const Fd& fd, const std::string& dest);
// mount(2) with errors that name it.
Status Mount(const char* src, const std::string& dest, const char* type, unsigned long flags, const char* data);
// mkdir -p; `owner` (if given) owns what it creates.
Status MkdirAll(const std::string& path, mode_t mode, const ResolvedUser* owner = nullptr);
// Creates `path` (an empty file or a directory) when missing.
Status EnsureMountpoint(const std::string& path, bool is_file);
// tmpfs on /dev with null, zero, full, random, urandom, tty, devpts (ptmx),
// shm, mqueue and the fd/stdin/stdout/stderr links.
Status MountDev();
// Docker's masked and read-only /proc and /sys paths.
Status MaskPaths();

}  // namespace kiln::runner::internal
