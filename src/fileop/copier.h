// The copy engine behind COPY/ADD: `cp -a` semantics as BuildKit's fsutil copier
// implements them (hard links inside the copied tree kept, xattrs copied, times
// preserved or fixed, include/exclude patterns, --chown/--chmod applied to every
// copied entry). All paths given here are host paths already resolved inside
// their roots; the copier never follows a symlink in the destination.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/pattern_matcher.h"
#include "base/status.h"
#include "fileop/match.h"
#include "fileop/mode.h"
#include "fileop/owner.h"

namespace kiln::fileop {

// Hooks for incremental copies (solver/copy_index.h): the destination may already
// hold some of the files, as hard links to an earlier result's files.
struct CopyHooks {
  // For a regular file `src` (lstat `st`) about to be copied to `target`: when the
  // caller knows `target` exists and holds exactly `src`'s content and xattrs, its
  // lstat; else nullopt. The copier then keeps `target` (writes nothing, not even its
  // metadata) when its owner, mode and mtime are also what the copy would give and
  // hard links stay as a full copy makes them; else it replaces `target` (unlink,
  // create), never writing through the existing inode.
  std::function<std::optional<struct stat>(const std::string& src, const struct stat& st, const std::string& target)>
      existing_copy;
  // Called for every entry (any type) written or kept, once its metadata is final.
  std::function<void(const std::string& src, const struct stat& st, const std::string& target)> done;
  // The lstat of source `src` when the caller took one moments ago (the context
  // walk of the same build), nullopt to stat it here.
  std::function<std::optional<struct stat>(const std::string& src)> source_stat;
  // Kept target inodes -> (the copier that kept one, its source inode): a full copy
  // gives two destinations one inode only for hard links within one source tree.
  std::map<std::pair<dev_t, ino_t>, std::pair<uint64_t, std::pair<dev_t, ino_t>>> kept;
  uint64_t copiers = 0;  // serial numbers of the copiers using these hooks
};

struct CopyOptions {
  std::optional<Owner> chown;          // --chown; else the source's owner
  bool reset_owner = false;            // the source's owner reads as 0:0 (a build context)
  ModeSpec mode;                       // --chmod
  std::optional<int64_t> timestamp;    // fixed atime/mtime (seconds) for copied and created entries
  std::vector<std::string> include_patterns;
  PatternMatcher exclude;
  bool replace_existing = false;       // a file may replace a directory and vice versa
  CopyHooks* hooks = nullptr;          // borrowed; may be shared by several copiers
};

// mkdir -p of host path `path` (its existing part must already be resolved), giving
// created directories `mode`, the owner (when set) and the timestamp (when set).
Status MkdirAll(const std::string& path, mode_t mode, const std::optional<Owner>& owner,
                const std::optional<int64_t>& timestamp);
// Sets atime and mtime of `path` (not following symlinks).
Status SetTimes(const std::string& path, int64_t seconds);

class Copier {
 public:
  explicit Copier(CopyOptions opts) : opts_(std::move(opts)) {
    if (opts_.hooks) serial_ = ++opts_.hooks->copiers;
  }

  // Copies `src` (host path; `src_name` its path as the user named it, for the
  // base name) to `dest` (host path of the cleaned destination), with fsutil's
  // rules: a file into an existing directory lands inside it; a directory copies
  // its contents when `copy_dir_contents`, else itself into an existing `dest`.
  Status CopyTop(const std::string& src, const std::string& src_name, const std::string& dest,
                 bool copy_dir_contents);

 private:
  Result<std::string> PrepareTarget(const std::string& src, const std::string& src_name,
                                    const std::string& dest, bool copy_dir_contents);
  Status CopyEntry(const std::string& src, const std::string& rel, const std::string& target,
                   bool overwrite_meta, bool skip_include);
  Result<bool> CopyDirectory(const std::string& src, const std::string& rel, const std::string& target,
                             const struct stat& st, bool overwrite_meta, bool skip_include);
  Result<bool> CopyDirectoryOnly(const std::string& target, const struct stat& st, bool overwrite_meta);
  Status CreateParentDirs(const std::string& src, const std::string& rel, const std::string& target,
                          bool overwrite_meta);
  Status EnsureEmptyFileTarget(const std::string& target);
  Status CopyFileInfo(const struct stat& st, const std::string& src, const std::string& target);
  // The owner a copy of an entry with `st` gets (--chown, a context's 0:0, or its own).
  std::pair<uid_t, gid_t> TargetOwner(const struct stat& st) const;
  // Whether an existing `target` already is the copy of regular file `src` (CopyHooks).
  Result<bool> KeepExisting(const std::string& src, const struct stat& st, const std::string& target);
  void Done(const std::string& src, const struct stat& st, const std::string& target) {
    if (opts_.hooks && opts_.hooks->done) opts_.hooks->done(src, st, target);
  }

  CopyOptions opts_;
  uint64_t serial_ = 0;
  ParentDirCache src_dirs_;  // sources' directories, for fstatat
    std::map<std::pair<dev_t, ino_t>, std::string> inodes_;  // hard links: first copy of each inode
  std::map<std::pair<dev_t, ino_t>, ino_t> kept_first_;     // ...when that first copy was kept
};

// Copies a regular file's bytes (reflink, copy_file_range, or read/write).
Status CopyFileData(const std::string& src, const std::string& dst);
// Copies every extended attribute of src to dst (not following symlinks); errors ignored
// as BuildKit does (a filesystem without xattr support must not fail a COPY).
void CopyXattrs(const std::string& src, const std::string& dst);

}  // namespace kiln::fileop
