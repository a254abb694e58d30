#include "fileop/owner.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "base/fs.h"
#include "base/log.h"
#include "fileop/path.h"

namespace kiln::fileop {
namespace {

bool ParseId(const std::string& s, uint32_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Finds `name` in a passwd/group style file; returns its fields, or an empty
// vector when the file has no such entry (BuildKit then keeps id 0, silently).
Result<std::vector<std::string>> FindEntry(const std::string& root, const std::string& file,
                                           const std::string& name) {
  ASSIGN_OR_RETURN(std::string host, RootPath(root, file));
  auto data = ReadFile(host);
  if (!data.ok()) {
    return Status::NotFound("unable to find " + std::string(file == "/etc/passwd" ? "user" : "group") +
                            " " + name + ": no " + file + " in the destination filesystem");
  }
  std::istringstream in(*data);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string part;
    while (std::getline(ls, part, ':')) f.push_back(part);
    if (f.size() >= 3 && f[0] == name) return f;
  }
  spdlog::warn("{} {} is not in the destination's {}: using id 0, as BuildKit does",
               file == "/etc/passwd" ? "user" : "group", name, file);
  return std::vector<std::string>{};
}

}  // namespace

Result<Owner> ResolveOwner(const std::string& dest_root, const llb::Chown& chown) {
  Owner o;
  if (!chown.user.empty()) {
    if (ParseId(chown.user, &o.uid)) {
      o.gid = o.uid;
    } else {
      ASSIGN_OR_RETURN(auto f, FindEntry(dest_root, "/etc/passwd", chown.user));
      if (f.empty()) {
        o.uid = o.gid = 0;
      } else if (f.size() < 4 || !ParseId(f[2], &o.uid) || !ParseId(f[3], &o.gid)) {
        return Status::InvalidArgument("malformed /etc/passwd entry for user " + chown.user);
      }
    }
  }
  if (!chown.group.empty()) {
    if (!ParseId(chown.group, &o.gid)) {
      ASSIGN_OR_RETURN(auto f, FindEntry(dest_root, "/etc/group", chown.group));
      if (!f.empty() && !ParseId(f[2], &o.gid)) return Status::InvalidArgument("malformed /etc/group entry for group " + chown.group);
    }
  }
  return o;
}

}  // namespace kiln::fileop
