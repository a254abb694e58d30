#include "cache/layer_export.h"

namespace kiln::cache {

Result<LayerRecord> SnapshotLayer(Snapshotter& sn, MetadataStore& md, ContentStore& cs, const std::string& key,
                                  const LayerOptions& opts) {
  ASSIGN_OR_RETURN(SnapshotInfo info, sn.Stat(key));
  if (!info.committed)
    return Status::FailedPrecondition("snapshot `" + key + "` is not committed: commit it before exporting its layer");
  bool reusable = opts.level < 0 && !opts.source_date_epoch;
  std::string media_type = LayerMediaType(opts.compression, opts.oci_media_types);
  if (reusable) {
    ASSIGN_OR_RETURN(auto layers, md.SnapshotLayers(key));
    for (auto& l : layers)
      if (l.media_type == media_type && cs.Has(l.digest)) return l;
  }
  ASSIGN_OR_RETURN(auto in, sn.DiffInputs(key));
  ASSIGN_OR_RETURN(LayerRecord rec, WriteSnapshotLayer(in, cs, opts));
  if (reusable) RETURN_IF_ERROR(md.PutSnapshotLayer(key, rec));
  return rec;
}

}  // namespace kiln::cache
