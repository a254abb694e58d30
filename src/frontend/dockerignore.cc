#include "frontend/dockerignore.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "base/fs.h"
#include "frontend/path_util.h"

namespace kiln::frontend {

namespace {

std::string TrimSpace(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n\v\f");
  return std::string(s.substr(b, e - b + 1));
}

// Reads a whole regular file; NotFound when it does not exist.
Result<std::string> ReadIfExists(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound(path);
    return Status::FromErrno(errno, "stat", path);
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " is a directory, expected a .dockerignore file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "open", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<std::string> ParseDockerignore(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  bool first = true;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // bufio.ScanLines drops \r
    if (first && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first = false;
    if (!line.empty() && line[0] == '#') continue;
    std::string p = TrimSpace(line);
    if (p.empty()) continue;
    bool invert = p[0] == '!';
    if (invert) p = TrimSpace(std::string_view(p).substr(1));
    if (!p.empty()) {
      p = CleanPath(p);
      if (p.size() > 1 && p[0] == '/') p = p.substr(1);
    }
    if (invert) p = "!" + p;
    out.push_back(std::move(p));
  }
  return out;
}

Result<DockerignoreFile> ReadDockerignore(const std::string& context_dir, const std::string& dockerfile_path) {
  std::vector<std::string> candidates;
  if (!dockerfile_path.empty()) candidates.push_back(dockerfile_path + ".dockerignore");
  candidates.push_back(PathJoin(context_dir.empty() ? "." : context_dir, ".dockerignore"));
  for (const std::string& name : candidates) {
    // Inside the context, a symlink never leads to a host file (docker ignores it).
    auto c = ResolveContextFile(context_dir, name);
    if (!c.ok()) {
      if (c.status().IsNotFound()) continue;
      return c.status();
    }
    auto text = ReadIfExists(*c);
    if (!text.ok()) {
      if (text.status().IsNotFound()) continue;
      return text.status();
    }
    return DockerignoreFile{name, ParseDockerignore(*text)};
  }
  return DockerignoreFile{};
}

}  // namespace kiln::frontend
