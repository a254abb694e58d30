// What a push sends for images whose layers are stored uncompressed (kiln's local
// image store keeps new layers uncompressed, as docker's does): like docker push,
// each uncompressed layer is sent gzip-compressed, under a converted manifest (the
// config, and so the image ID, is unchanged: diff_ids do not depend on compression).
#pragma once

#include "base/oci.h"
#include "base/status.h"
#include "cache/content_store.h"
#include "cache/metadata.h"

namespace kiln::cache {

struct PushConversion {
  oci::Descriptor target;  // what to push: the input itself when nothing was converted
  int layers_compressed = 0;  // compressed now
  int layers_reused = 0;      // compressed by an earlier push (MetadataStore::GetCompressedLayer)
};

// For an image manifest or an index (each of its manifests in the store): every layer
// with an uncompressed media type (OCI or docker; not non-distributable ones) is
// replaced by its gzip twin (OCI tar+gzip or docker's rootfs.diff.tar.gzip), compressed
// once and recorded with PutCompressedLayer; the converted manifests (and index) are
// stored in `store`. Reading a lazy layer materializes it (LazyContentStore).
Result<PushConversion> CompressedForPush(ContentStore& store, MetadataStore& md, const oci::Descriptor& target);

}  // namespace kiln::cache
