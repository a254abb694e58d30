// Named images in kiln's local store, as `kiln images/rm/tag/inspect/save` see
// them: a name (metadata DB) points at a manifest or index blob (content store);
// an index resolves to the host platform's manifest. An image is found by name
// ("app", "app:1", "docker.io/library/app:1"), by ID (config digest, or a prefix
// of at least 4 hex digits, as docker's short IDs) or by manifest digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/oci.h"
#include "base/status.h"

namespace kiln::cache {
class ContentStore;
class MetadataStore;
}  // namespace kiln::cache

namespace kiln::exporter {

struct LocalImage {
  std::vector<std::string> names;  // every name pointing at `target`, sorted
  oci::Descriptor target;          // what the names point at (manifest or index)
  oci::Descriptor manifest;        // the image manifest (the host platform's when target is an index)
  std::string id;                  // config digest (docker's image ID)
  nlohmann::json manifest_json;
  nlohmann::json config;
  int64_t size = 0;                // config plus layer blob sizes
  int64_t created_ns = 0;          // config "created" (0 = unknown)
  int64_t updated = 0;             // when a name was last set (seconds)
};

class ImageStore {
 public:
  ImageStore(cache::ContentStore& content, cache::MetadataStore& metadata) : cs_(content), md_(metadata) {}

  // Every named image, newest first; names of one target grouped.
  Result<std::vector<LocalImage>> List();
  // NotFound "no such image: X" (with a hint) when nothing matches; InvalidArgument
  // when a short ID is ambiguous.
  Result<LocalImage> Resolve(const std::string& ref_or_id);
  // Names `target` (normalised) after the image `source` resolves to.
  Status Tag(const std::string& source, const std::string& target);
  // By name: removes that name. By ID/digest: removes every name of the image,
  // which needs `force` when there are several. Returns the removed names. Blobs
  // stay until `kiln prune` collects what nothing references.
  Result<std::vector<std::string>> Remove(const std::string& ref_or_id, bool force);
  // Writes images to an archive: docker's format (docker load) or an OCI layout
  // tarball. dest "-" = `stdout_fd`. Atomic like every export.
  Status Save(const std::vector<std::string>& refs, bool docker_format, const std::string& dest, int stdout_fd = 1);
  // `kiln inspect` JSON (skopeo inspect's fields, plus Id, Config, History, RootFS).
  nlohmann::json Inspect(const LocalImage& img);

 private:
  Result<LocalImage> Load(const oci::Descriptor& target);

  cache::ContentStore& cs_;
  cache::MetadataStore& md_;
};

}  // namespace kiln::exporter
