// Pushing from the content store to a registry (`kiln push`, the image exporter's push).
#pragma once

#include <string>
#include <vector>

#include "base/oci.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "registry/client.h"

namespace kiln::registry {

struct PushResult {
  std::string digest;      // of the pushed manifest or index
  std::string media_type;
  int64_t size = 0;
  int blobs_uploaded = 0;
  int blobs_mounted = 0;
  int blobs_skipped = 0;   // already in the repository
};

// Pushes `target` (an image manifest or an index, with every blob it references, all in
// `store`) to `ref`'s repository, then tags it with ref's tag and each of `extra_tags`
// (a digest-only ref pushes by digest). Blobs the repository has are skipped (HEAD);
// blobs known to exist in another repository of the same registry are mounted; the
// others are uploaded (monolithic, or chunked when RegistryOptions::chunk_size > 0),
// RegistryOptions::parallel at a time. Manifests are sent with their own media type.
// Non-distributable (foreign) layers are not uploaded.
Result<PushResult> PushImage(RegistryClient& client, cache::ContentStore& store, const oci::Descriptor& target,
                             const Reference& ref, const std::vector<std::string>& extra_tags = {});

}  // namespace kiln::registry
