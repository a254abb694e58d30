// Image manifests and indexes as registries serve them: OCI image manifest and
// index, Docker schema2 manifest and manifest list. Schema 1 is refused with an
// explanation. Platform selection follows containerd's matcher: os and architecture
// must be equal; variants compare after normalisation (arm64 -> v8, arm -> v7 when
// absent); a request without a variant takes the best (highest) variant available
// for arm, the unvarianted entry otherwise. Entries for "unknown/unknown"
// (attestations) never match.
#pragma once

#include <string>
#include <vector>

#include "base/oci.h"
#include "base/status.h"

namespace kiln::registry {

// The media types kiln accepts for manifests, for the Accept header.
std::string ManifestAcceptHeader();

bool IsIndexMediaType(const std::string& mt);
bool IsManifestMediaType(const std::string& mt);

// Works out the media type of a manifest body: the Content-Type when it is a known
// manifest type, else the body's "mediaType", else its shape ("manifests" -> index).
// Schema 1 (and anything unrecognised) is an error naming `what`.
Result<std::string> DetectManifestType(const std::string& content_type, const std::string& body,
                                       const std::string& what);

struct ImageManifest {
  std::string media_type;
  oci::Descriptor config;
  std::vector<oci::Descriptor> layers;
};
Result<ImageManifest> ParseImageManifest(const std::string& body, const std::string& what);

// The descriptors of an index / manifest list.
Result<std::vector<oci::Descriptor>> ParseIndex(const std::string& body, const std::string& what);

// Picks the manifest for `want` from an index; NotFound lists what is available.
Result<oci::Descriptor> SelectPlatform(const std::vector<oci::Descriptor>& manifests, const oci::Platform& want,
                                       const std::string& what);

// Whether `have` (from an index entry or image config) satisfies `want`.
bool PlatformMatches(const oci::Platform& have, const oci::Platform& want);

// The platform an image config declares (os, architecture, variant).
oci::Platform ConfigPlatform(const std::string& config_json);

}  // namespace kiln::registry
