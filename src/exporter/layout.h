// OCI image layouts (image-spec layout.md) as a directory or a tarball, plus the
// docker-load-able variant (a layout with docker's manifest.json), as containerd's
// archive exporter writes them for BuildKit: records sorted by name; blobs
// 0444, directories 0755; every manifest named once per image name with
// "io.containerd.image.name" and "org.opencontainers.image.ref.name".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/oci.h"
#include "base/status.h"

namespace kiln::cache {
class ContentStore;
}

namespace kiln::exporter {

struct LayoutContent {
  std::vector<oci::Descriptor> index_manifests;  // index.json "manifests" (annotated)
  std::vector<std::string> blobs;                // every blob digest to include (deduplicated)
  std::optional<std::string> docker_manifest;    // manifest.json bytes for the docker variant
  std::optional<std::string> index_override;     // index.json bytes when already rendered
  int64_t mtime = 0;                              // of every tar entry
};

// index.json bytes (compact, as containerd writes it).
std::string LayoutIndexJson(const std::vector<oci::Descriptor>& manifests);
// index.json descriptors for `manifest` under `names` (one entry per name, or one unnamed).
std::vector<oci::Descriptor> NamedDescriptors(const oci::Descriptor& manifest, const std::vector<std::string>& names,
                                              const std::string& created_annotation);
// docker's manifest.json for one image.
std::string DockerManifestJson(const std::string& config_digest, const std::vector<std::string>& layer_digests,
                               const std::vector<std::string>& names);

Status WriteLayoutTar(int fd, cache::ContentStore& store, const LayoutContent& c);
// Writes or updates a layout directory: blobs (each atomically), oci-layout, then
// index.json last (atomically), so a layout with an index.json is complete.
// A new directory is built under a temporary name and renamed into place.
Status WriteLayoutDir(const std::string& dir, cache::ContentStore& store, const LayoutContent& c);

}  // namespace kiln::exporter
