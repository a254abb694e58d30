// ImageSource: how the solver and frontend resolve and fetch base images
// (FROM, COPY --from=<image>, RUN --mount from=<image>).
//
//   auto src = registry::NewLocalFirstImageSource(store, metadata, client, /*always_pull=*/false);
//   ASSIGN_OR_RETURN(auto img, src->Resolve(ref, platform));   // manifest + config, no layers
//   // img.config_json gives Env/WorkingDir/..., img.layers the layer blobs (base first)
//   RETURN_IF_ERROR(src->Fetch(img));                             // layers now in the content store
//
// Resolve stores the manifest (and index) and config blobs in the content store, so
// everything it returns can be read back from there; Fetch adds the layers. Both are
// idempotent and safe to call from several threads.
//
// Semantics:
// - A reference with a digest (name@sha256:..., name:tag@sha256:...) is honoured
//   exactly: the digest names the manifest or index; the tag is ignored.
// - The local-first source looks up the name in kiln's image store (metadata DB,
//   written by `kiln pull`, `kiln build -t`, `kiln tag`) and, for a digest, in the
//   content store; it goes to the registry when the image is missing or `always_pull`
//   (`--pull`) is set.
// - Errors are in plain words: a missing tag or repository is NotFound carrying the
//   registry's answer ("manifest unknown", "repository name not known to registry");
//   no image for the platform is NotFound listing the available platforms; bad
//   credentials are PermissionDenied; an unreachable registry is Unavailable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/oci.h"
#include "base/reference.h"
#include "base/status.h"
#include "cache/content_store.h"

namespace kiln::cache {
class MetadataStore;
}

namespace kiln::registry {

class RegistryClient;

struct ResolvedImage {
  Reference ref;                        // as asked for (normalised)
  std::string index_digest;             // when the reference named an index/manifest list, its digest
  std::string index_media_type;
  oci::Descriptor manifest;             // the image manifest chosen (platform filled when known)
  std::string manifest_json;
  oci::Descriptor config;
  std::string config_json;
  std::vector<oci::Descriptor> layers;  // base layer first
  oci::Platform platform;               // from the config
  bool from_local_store = false;        // resolved without the registry

  // The digest a build records for provenance: the index's when there was one, else the manifest's.
  const std::string& Digest() const { return index_digest.empty() ? manifest.digest : index_digest; }
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual Result<ResolvedImage> Resolve(const Reference& ref, const oci::Platform& platform) = 0;
  // Makes every layer blob of `image` present (and verified) in the content store.
  virtual Status Fetch(const ResolvedImage& image) = 0;
};

// Always asks the registry. `client` and `store` must outlive the source.
std::unique_ptr<ImageSource> NewRegistryImageSource(RegistryClient* client, cache::ContentStore* store);

// kiln's local image store first, the registry when missing or when `always_pull`.
// `metadata` may be null (then only digests are looked up locally).
std::unique_ptr<ImageSource> NewLocalFirstImageSource(RegistryClient* client, cache::ContentStore* store,
                                                      cache::MetadataStore* metadata, bool always_pull);

// Resolves an image whose manifest or index blob is already in the content store.
Result<ResolvedImage> ResolveFromStore(cache::ContentStore& store, const Reference& ref, const oci::Descriptor& target,
                                       const oci::Platform& platform);

}  // namespace kiln::registry
