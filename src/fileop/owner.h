// --chown resolution as BuildKit does it: names are looked up in the
// DESTINATION filesystem's /etc/passwd and /etc/group (resolved inside its root);
// numbers are taken as given. "USER" alone (by id) means USER:USER; by name, the
// user's primary group. A name missing from an existing file resolves to id 0
// (BuildKit's readUser keeps the zero value; a warning is logged); a missing
// /etc/passwd or /etc/group is an error.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "llb/op.h"

namespace kiln::fileop {

struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool operator==(const Owner&) const = default;
};

Result<Owner> ResolveOwner(const std::string& dest_root, const llb::Chown& chown);

}  // namespace kiln::fileop
