// Incremental COPY from a build context (docs/cache-keys.md, "Incremental COPY").
//
// When a FileOp copying from the build context misses the cache, the previous
// result of the same op on the same destination (same similar key, see
// cache_key.h) is found through its copy index: which of its files came from
// which context file with which content digest. The new snapshot's overlay upper
// dir is then seeded with hard links to the previous result's files whose source
// is unchanged (Clone), the normal copier runs over the mount and keeps those
// links where its own checks agree (fileop::CopyHooks), and what the copy did not
// produce is removed from the upper dir again (Prune). The result is the same
// tree a full copy gives; files it shares with the previous result are the same
// inodes (recorded with MetadataStore::PutSnapshotOrigin).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"

namespace kiln::solver {

// What a COPY result holds: for each regular file it copied from the context, its
// path in the result and its source's path and content digest
// (ContextChecksummer::FileDigest). Paths are relative ('/'-separated, no leading
// '/'): `dest` to the result's root, `src` to the context directory.
struct CopyIndex {
  std::string snapshot;  // the committed result
  std::string parent;    // its parent snapshot ("" = scratch)
  struct File {
    std::string dest, src, digest;
  };
  std::vector<File> files;
};

// Where the index of the latest result with `similar_key` lives: ROOT/copyindex/<hash>.
std::string CopyIndexPath(const std::string& root, const std::string& similar_key);
// NotFound when absent; Corruption when unreadable.
Result<CopyIndex> ReadCopyIndex(const std::string& path);
// Atomic (write to a temporary file, rename).
Status WriteCopyIndex(const std::string& path, const CopyIndex& index);

// The clone of an earlier result's upper dir into a new, not yet mounted one.
class UpperClone {
 public:
  // Hard-links into `upper` (an empty overlay upper dir) each file of `prev` whose
  // source's digest is still the same (`digest_of(src)`; nullopt = unknown, not
  // linked), from `prev_upper` (prev's own layer dir). Their parent directories are
  // recreated as they are in `prev_upper`: mode, owner, times and xattrs (overlay's
  // opaque marker included). Files missing from `prev_upper` are skipped.
  static Result<UpperClone> Clone(const CopyIndex& prev, const std::string& prev_upper, const std::string& upper,
                                  const std::function<std::optional<std::string>(const std::string&)>& digest_of);

  struct Cloned {
    std::string digest;  // its source's digest
    struct stat st;      // lstat of the file (in the earlier result's upper dir)
  };
  // The clone at `rel` (relative like CopyIndex::File::dest), or nullptr.
  const Cloned* Find(const std::string& rel) const {
    auto it = files_.find(rel);
    return it == files_.end() ? nullptr : &it->second;
  }
  size_t files() const { return files_.size(); }

  // After the copy (unmounted): removes from the upper dir the cloned files at paths
  // the copy did not produce (`visited`, relative like CopyIndex::File::dest), then
  // the created directories left empty that the copy did not produce either. The
  // times of the directories holding them are kept.
  Status Prune(const std::unordered_set<std::string>& visited);

 private:
  std::string upper_;
  std::unordered_map<std::string, Cloned> files_;      // cloned files by relative path
  std::vector<std::string> dirs_;                      // directories created (relative)
};

}  // namespace kiln::solver
