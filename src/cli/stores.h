// Opening kiln's stores for CLI commands, the same way everywhere.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cli {

// The snapshotter, probing overlayfs only the first time: the kind that worked is
// remembered in ROOT/snapshotter-kind (one root never mixes kinds; the probe mounts
// and syncs, which would cost every build).
Result<std::unique_ptr<cache::Snapshotter>> OpenSnapshotterRemembered(const std::string& root);

// kiln's content store (ROOT/content) seen through cache::LazyContentStore, so the
// local store's lazy layer blobs are there for every reader (push, save, -o oci,
// inspect). `md` must outlive the store. `sn` (may be null) is the snapshotter used
// to regenerate lazy blobs; when null one is opened on first need.
Result<std::unique_ptr<cache::ContentStore>> OpenContentStore(const std::string& root, cache::MetadataStore* md,
                                                              cache::Snapshotter* sn = nullptr);

}  // namespace kiln::cli
