// docker's default seccomp profile (seccomp_profile.inc), loaded with libseccomp
// in the container's init just before it changes ids and execs. Capability-
// dependent rules follow `caps` (the bounding set the step keeps), as moby
// evaluates them against the spec's capabilities.
#pragma once
#include <cstdint>
#include "base/status.h"

namespace kiln::runner {

// Loads the filter into the calling thread (inherited across fork and execve).
// Works without no_new_privs while the caller still has CAP_SYS_ADMIN.
Status ApplyDefaultSeccomp(uint64_t caps);

}  // namespace kiln::runner
