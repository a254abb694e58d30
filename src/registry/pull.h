// Pulling from a registry into the content store (used by ImageSource and `kiln pull`).
#pragma once

#include "registry/client.h"
#include "registry/image_source.h"

namespace kiln::registry {

// Fetches the manifest for `ref` (its digest when given, else its tag); for an index or
// manifest list, selects `platform`. Stores the index, manifest and config blobs in
// `store` (verified) and returns them parsed. No layers are fetched.
Result<ResolvedImage> ResolveRemote(RegistryClient& client, cache::ContentStore& store, const Reference& ref,
                                    const oci::Platform& platform);

// Pulls every platform of the index `ref` names (manifests, configs, layers) and returns
// the index's descriptor; for a plain manifest, that manifest's. The index blob is stored
// last, so it is present only when everything it lists is.
Result<oci::Descriptor> PullAllPlatforms(RegistryClient& client, cache::ContentStore& store, const Reference& ref);

// Fetches the image's layers (RegistryOptions::parallel at a time) into `store`.
// Blobs already present are skipped. On error nothing partial is stored.
Status FetchLayers(RegistryClient& client, cache::ContentStore& store, const ResolvedImage& image);

// Runs `fn(i)` for i in [0, n) on up to `parallel` threads; stops handing out work after
// the first error and returns it.
Status ParallelFor(size_t n, int parallel, const std::function<Status(size_t)>& fn);

}  // namespace kiln::registry
