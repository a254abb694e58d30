#include "runner/user.h"

#include <charconv>

namespace kiln::runner {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

std::optional<uint32_t> ParseId(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "root" counts as 0 in BuildKit's fast path.
std::optional<uint32_t> ParseFastId(std::string_view s) {
  if (s == "root") return 0u;
  return ParseId(s);
}

struct PasswdEntry {
  std::string_view name;
  uint32_t uid = 0, gid = 0;
  std::string_view home;
};

struct GroupEntry {
  std::string_view name;
  uint32_t gid = 0;
  std::vector<std::string_view> members;
};

// Lines of a colon-separated file, skipping blanks and comments as runc does.
std::vector<std::vector<std::string_view>> Records(std::string_view text) {
  std::vector<std::vector<std::string_view>> out;
  for (std::string_view line : Split(text, '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    out.push_back(Split(line, ':'));
  }
  return out;
}

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (const auto& f : Records(text)) {
    PasswdEntry e;
    e.name = f[0];
    if (f.size() > 2) e.uid = ParseId(f[2]).value_or(0);
    if (f.size() > 3) e.gid = ParseId(f[3]).value_or(0);
    if (f.size() > 5) e.home = f[5];
    out.push_back(e);
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  for (const auto& f : Records(text)) {
    GroupEntry e;
    e.name = f[0];
    if (f.size() > 2) e.gid = ParseId(f[2]).value_or(0);
    if (f.size() > 3 && !f[3].empty()) e.members = Split(f[3], ',');
    out.push_back(e);
  }
  return out;
}

}  // namespace

Result<ResolvedUser> ResolveUser(std::string_view spec, const std::optional<std::string>& passwd,
                                 const std::optional<std::string>& group) {
  ResolvedUser r;
  if (spec.empty()) return r;
  size_t colon = spec.find(':');
  std::string_view user_arg = spec.substr(0, colon);
  std::string_view group_arg = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (colon != std::string_view::npos) {
    auto u = ParseFastId(user_arg), g = ParseFastId(group_arg);
    if (u && g) {
      r.uid = *u;
      r.gid = *g;
      return r;
    }
  }
  // libcontainer's parseLine: fields past the second are dropped ("1:2:3" is 1:2).
  group_arg = group_arg.substr(0, group_arg.find(':'));

  std::optional<uint32_t> uid_arg = ParseId(user_arg);
  std::string_view matched_name;
  bool matched = false;
  if (passwd) {
    for (const PasswdEntry& e : ParsePasswd(*passwd)) {
      if (uid_arg ? e.uid == *uid_arg : e.name == user_arg) {
        r.uid = e.uid;
        r.gid = e.gid;
        matched_name = e.name;
        matched = true;
        break;
      }
    }
  }
  if (!matched && !user_arg.empty()) {
    if (!uid_arg) {
      return Status::InvalidArgument("unable to find user " + std::string(user_arg) +
                                     ": no matching entries in passwd file");
    }
    r.uid = *uid_arg;
  }

  if (!group_arg.empty() || !matched_name.empty()) {
    std::optional<uint32_t> gid_arg = ParseId(group_arg);
    std::vector<GroupEntry> groups;
    if (group) {
      for (GroupEntry& g : ParseGroup(*group)) {
        bool take = false;
        if (group_arg.empty()) {
          for (std::string_view m : g.members) take = take || m == matched_name;
        } else {
          take = gid_arg ? g.gid == *gid_arg : g.name == group_arg;
        }
        if (take) groups.push_back(std::move(g));
      }
    }
    if (!group_arg.empty()) {
      if (!groups.empty()) {
        r.gid = groups[0].gid;
      } else if (gid_arg) {
        r.gid = *gid_arg;
      } else {
        return Status::InvalidArgument("unable to find group " + std::string(group_arg) +
                                       ": no matching entries in group file");
      }
    } else {
      for (const GroupEntry& g : groups) r.sgids.push_back(g.gid);
    }
  }
  return r;
}

std::string HomeDir(uint32_t uid, const std::optional<std::string>& passwd) {
  if (passwd) {
    for (const PasswdEntry& e : ParsePasswd(*passwd)) {
      if (e.uid == uid) return e.home.empty() ? "/" : std::string(e.home);
    }
  }
  return "/";
}

}  // namespace kiln::runner
