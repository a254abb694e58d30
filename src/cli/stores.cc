#include "cli/stores.h"

#include <cstdlib>

#include "base/fs.h"
#include "cache/lazy_content.h"

namespace kiln::cli {

Result<std::unique_ptr<cache::Snapshotter>> OpenSnapshotterRemembered(const std::string& root) {
  const std::string file = root + "/snapshotter-kind";
  cache::SnapshotterOptions o;
  const char* env = getenv("KILN_SNAPSHOTTER");
  if (!(env && *env)) {
    auto kind = ReadFile(file);
    if (kind.ok() && (*kind == "overlayfs" || *kind == "copy")) o.kind = *kind;
  }
  ASSIGN_OR_RETURN(auto sn, cache::OpenSnapshotter(root, o));
  if (o.kind.empty() && !(env && *env)) (void)WriteFileAtomic(file, sn->Kind());
  return sn;
}

Result<std::unique_ptr<cache::ContentStore>> OpenContentStore(const std::string& root, cache::MetadataStore* md,
                                                              cache::Snapshotter* sn) {
  ASSIGN_OR_RETURN(auto real, cache::OpenLocalContentStore(root));
  cache::LazyContentStore::SnapshotterFn fn;
  if (sn) {
    fn = [sn]() -> Result<cache::Snapshotter*> { return sn; };
  } else {
    auto owned = std::make_shared<std::unique_ptr<cache::Snapshotter>>();
    fn = [owned, root]() -> Result<cache::Snapshotter*> {
      if (!*owned) {
        ASSIGN_OR_RETURN(*owned, OpenSnapshotterRemembered(root));
      }
      return owned->get();
    };
  }
  return std::unique_ptr<cache::ContentStore>(std::make_unique<cache::LazyContentStore>(std::move(real), md, fn));
}

}  // namespace kiln::cli
