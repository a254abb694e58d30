#include "runner/stubs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "base/path.h"

namespace kiln::runner {
namespace {

// The elements of `path` cleaned relative to the layer root (never above it).
std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  const std::string rel = CleanRelPath(path);
  if (rel == ".") return out;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t pos = rel.find('/', start);
    if (pos == std::string::npos) pos = rel.size();
    out.push_back(rel.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

bool EmptyDir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

}  // namespace

Status BuildStubLayer(const std::string& dir, const std::vector<Stub>& stubs) {
  for (const Stub& s : stubs) {
    std::vector<std::string> parts = Components(s.path);
    std::string cur = dir;
    for (size_t i = 0; i < parts.size(); ++i) {
      cur += "/" + parts[i];
      bool last = i + 1 == parts.size();
      if (last && s.is_file) {
        int fd = open(cur.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EISDIR) return Status::FromErrno(errno, "create mountpoint stub", cur);
        if (fd >= 0) close(fd);
      } else if (mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::FromErrno(errno, "mkdir mountpoint stub", cur);
      } else {
        chmod(cur.c_str(), 0755);  // independent of the umask
      }
    }
  }
  return Status::OK();
}

std::vector<std::string> MissingStubs(const std::string& root, const std::vector<Stub>& stubs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Stub& s : stubs) {
    std::string cur = root;
    bool missing = false;
    for (const std::string& part : Components(s.path)) {
      cur += "/" + part;
      if (!missing) {
        struct stat st;
        if (lstat(cur.c_str(), &st) == 0) {
          if (S_ISLNK(st.st_mode)) break;
          continue;
        }
        missing = true;
      }
      if (seen.insert(cur).second) out.push_back(cur);
    }
  }
  return out;
}

void RemoveStubs(const std::vector<std::string>& created) {
  std::vector<std::string> paths = created;
  // Deepest first: a longer path sorts after its parents.
  std::sort(paths.begin(), paths.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
  for (const std::string& p : paths) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) ? !EmptyDir(p) : (!S_ISREG(st.st_mode) || st.st_size != 0)) continue;
    std::string parent = p.substr(0, p.rfind('/'));
    struct stat pst;
    bool have_times = stat(parent.c_str(), &pst) == 0;
    if ((S_ISDIR(st.st_mode) ? rmdir(p.c_str()) : unlink(p.c_str())) != 0) continue;
    if (have_times) {
      struct timespec times[2] = {pst.st_atim, pst.st_mtim};
      utimensat(AT_FDCWD, parent.c_str(), times, 0);
    }
  }
}

}  // namespace kiln::runner
