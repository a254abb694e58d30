// The layer of a committed snapshot, created once per compression and recorded in
// the metadata DB (snapshot_layers), so exporting a snapshot again reuses its blob.
#pragma once

#include <string>

#include "base/status.h"
#include "cache/content_store.h"
#include "cache/layer_writer.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"

namespace kiln::cache {

// Reuses a recorded layer when its blob is still present and the options are the
// defaults for that media type (no level, no SOURCE_DATE_EPOCH: those change the
// bytes, so such layers are always written afresh and not recorded).
Result<LayerRecord> SnapshotLayer(Snapshotter& sn, MetadataStore& md, ContentStore& cs, const std::string& key,
                                  const LayerOptions& opts);

}  // namespace kiln::cache
