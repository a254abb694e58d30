// `kiln inspect REF` for an image in a registry: reads manifests and the config, stores nothing.
//
// JSON shape (stable; the local inspect uses the same keys where they apply):
// {
//   "name": "127.0.0.1:5000/app:v1",          normalised reference
//   "digest": "sha256:...",                    what the reference points at (index or manifest)
//   "mediaType": "...",                        its media type
//   "manifests": [ {digest, mediaType, size, platform} ],   only for an index / manifest list
//   "manifest": {digest, mediaType, size},     the image manifest for the platform
//   "platform": "linux/amd64",                 from the config
//   "config": {digest, mediaType, size},
//   "layers": [ {digest, mediaType, size} ],   base first
//   "size": <config + layers, compressed>,
//   "image": { ...the config JSON... }
// }
#pragma once

#include <nlohmann/json.hpp>

#include "base/oci.h"
#include "base/reference.h"
#include "registry/client.h"

namespace kiln::registry {

Result<nlohmann::json> InspectRemote(RegistryClient& client, const Reference& ref, const oci::Platform& platform);

}  // namespace kiln::registry
