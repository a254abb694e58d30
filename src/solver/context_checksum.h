// Content checksums of build-context files, for cache keys: exactly the files
// an op uses (its selectors), each described by path, type, permission bits,
// uid, gid, size, link target, xattrs and a SHA-256 of its content, but never
// its timestamps. Content hashes are kept in a stat cache (persisted in kiln's
// root) keyed on inode, size, mtime and ctime, so an unchanged context is not
// re-read: a rebuild costs one lstat per file.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/pattern_matcher.h"
#include "base/status.h"

namespace kiln::solver {

struct ContextOptions {
  std::string dir;                            // the context directory on the host
  std::vector<std::string> exclude_patterns;  // .dockerignore
  std::vector<std::string> include_patterns;  // only these (empty = everything)
  std::string stat_cache_file;                // "" = no persistence
};

class ContextChecksummer {
 public:
  static Result<std::unique_ptr<ContextChecksummer>> Open(ContextOptions opts);
  ~ContextChecksummer();

  // "sha256:..." over the files `selectors` name: paths inside the context
  // ("/" or "" = all of it; "/src/*.c" wildcards; a directory = its subtree;
  // a top-level symlink also covers its target). Excluded files are left out.
  // A missing path contributes its absence. Thread-safe.
  Result<std::string> Checksum(const std::vector<std::string>& selectors);
  // Writes the stat cache when it changed (atomically).
  Status Save();

  const ContextOptions& options() const { return opts_; }
  // Whether `rel` ('/'-separated, relative) is left out of the context.
  bool Excluded(const std::string& rel) const;
  // The content digest of regular file `rel` ('/'-separated, relative to the
  // context directory): its SHA-256 and, when it has any, its xattrs. Only for files
  // a Checksum call of this process covered (so the digest went into a cache key);
  // when `st` is given, also only if it still names that file (inode, size, mtime).
  // nullopt otherwise. Thread-safe.
  std::optional<std::string> FileDigest(const std::string& rel, const struct ::stat* st = nullptr);
  // The lstat the last Checksum call took of `rel` (relative like FileDigest's),
  // nullopt when that call did not cover it. Thread-safe.
  std::optional<struct ::stat> LastStat(const std::string& rel);
  // Files whose content was read so far (not served by the stat cache).
  size_t files_hashed() const { return files_hashed_; }

 private:
  // A file as last seen, with its hashes.
  struct Entry {
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    uint32_t mode = 0, uid = 0, gid = 0;
    std::string xattrs;  // "k=hex(v)\n", sorted
    std::string link;    // symlink target
    std::string hash;    // regular files: sha256 hex of the content
    bool checked = false;  // covered by a Checksum call of this process (not persisted)
    bool Same(const struct ::stat& st) const;
  };
  struct Collected {  // one file picked for a checksum
    struct ::stat st;
    Entry* entry = nullptr;  // in cache_, filled when missing or stale
    bool stale = false;
  };
  explicit ContextChecksummer(ContextOptions opts) : opts_(std::move(opts)) {}
  Status LoadCache();
  // The stat cache is read on its own thread while the first walk lists the
  // context; anything touching cache_ waits for it first.
  void WaitLoaded();
  Status Select(const std::string& selector, std::map<std::string, Collected>& out, int depth);
  Status Walk(const std::string& rel, std::map<std::string, Collected>& out);
  Status Gather(const std::string& rel, std::vector<std::pair<std::string, struct ::stat>>& found) const;
  Status Add(const std::string& rel, const struct ::stat& st, std::map<std::string, Collected>& out);
  Status Expand(const std::string& base, const std::vector<std::string>& parts, size_t i,
                std::map<std::string, Collected>& out);

  ContextOptions opts_;
  PatternMatcher excludes_, includes_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // pointers stay valid across rehashing
  std::map<std::string, Collected> last_picked_;  // the last Checksum's files (LastStat)
  std::thread loader_;
  std::once_flag loaded_;
  bool dirty_ = false;
  size_t files_hashed_ = 0;
};

}  // namespace kiln::solver
