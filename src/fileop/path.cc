#include "fileop/path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace kiln::fileop {

std::string AbsClean(std::string_view p) { return CleanPath("/" + std::string(p)); }

std::pair<std::string, std::string> SplitPath(std::string_view p) {
  size_t i = p.rfind('/');
  if (i == std::string_view::npos) return {"", std::string(p)};
  return {std::string(p.substr(0, i + 1)), std::string(p.substr(i + 1))};
}

std::string JoinPath(std::string_view a, std::string_view b) {
  std::string r(a);
  while (!r.empty() && r.back() == '/') r.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (b.empty()) return r.empty() ? "/" : r;
  return r + "/" + std::string(b);
}

namespace {

// Resolves `path` (absolute, inside root) component by component. `follow_last`
// decides whether a final symlink is followed.
Result<std::string> Resolve(const std::string& root, std::string_view path, bool follow_last) {
  std::string rootc = CleanPath(root);
  std::string base = rootc == "/" ? "" : rootc;
  std::vector<std::string> pending;  // components still to walk, in reverse
  auto push_path = [&pending](std::string_view p) {
    std::vector<std::string> comps;
    size_t i = 0;
    while (i <= p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      if (j > i) comps.emplace_back(p.substr(i, j - i));
      i = j + 1;
    }
    for (auto it = comps.rbegin(); it != comps.rend(); ++it) pending.push_back(*it);
  };
  push_path(path);
  std::vector<std::string> resolved;  // components below root
  int links = 0;
  while (!pending.empty()) {
    std::string c = std::move(pending.back());
    pending.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    std::string host = base;
    for (auto& r : resolved) host += "/" + r;
    host += "/" + c;
    bool last = pending.empty();
    struct stat st;
    if (lstat(host.c_str(), &st) != 0 || !S_ISLNK(st.st_mode) || (last && !follow_last)) {
      resolved.push_back(std::move(c));
      continue;
    }
    if (++links > 255) return Status::FromErrno(ELOOP, "resolve path", std::string(path));
    std::string target(st.st_size + 1, '\0');
    ssize_t n = readlink(host.c_str(), target.data(), target.size());
    if (n < 0) return Status::FromErrno(errno, "readlink", host);
    target.resize(n);
    if (!target.empty() && target[0] == '/') resolved.clear();
    push_path(target);
  }
  if (resolved.empty()) return rootc;
  std::string out = base;
  for (auto& r : resolved) out += "/" + r;
  return out;
}

}  // namespace

Result<std::string> RootPath(const std::string& root, std::string_view path) {
  return Resolve(root, path, true);
}

Result<std::string> RootPathNoFollow(const std::string& root, std::string_view path) {
  return Resolve(root, path, false);
}

}  // namespace kiln::fileop
