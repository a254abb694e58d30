// USER resolution as BuildKit does it (executor/oci.GetUser over runc's
// libcontainer/user.GetExecUser), on the contents of the root's /etc/passwd and
// /etc/group. Pure functions: no filesystem access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kiln::runner {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> sgids;  // supplementary groups (setgroups)
};

// `spec` is "", "name", "uid", "name:group", "uid:gid" (a part may also be "root").
// `passwd`/`group` are the files' contents, nullopt when the file is missing.
// - "uid:gid" with both parts numeric (or "root"): taken as is, no lookup, no
//   supplementary groups. "" is root (0:0).
// - otherwise the user is looked up by name (or by uid when numeric; a numeric
//   uid without an entry is used as is with gid 0); an unknown name is
//   "unable to find user NAME: no matching entries in passwd file".
// - an explicit group is looked up by name or gid (an unknown name is
//   "unable to find group NAME: no matching entries in group file"); without
//   one, the user's primary gid is used and every group listing the user's name
//   becomes a supplementary group.
Result<ResolvedUser> ResolveUser(std::string_view spec, const std::optional<std::string>& passwd,
                                 const std::optional<std::string>& group);

// The home directory of the first passwd entry with `uid`, else "/" (runc sets
// HOME from it when the environment has none).
std::string HomeDir(uint32_t uid, const std::optional<std::string>& passwd);

}  // namespace kiln::runner
