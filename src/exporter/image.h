// Image assembly: the OCI image config, manifest and index for a build result,
// as BuildKit's image writer produces them (exporter/containerimage/writer.go):
//  - config: the frontend's config (llb::Definition::image_config) with
//    rootfs.diff_ids from the layer chain and history matched with the layers
//    (entries with "empty_layer" have none; missing entries are added, missing
//    times filled in from the layers' creation times); "created" defaults to the
//    last history time; SOURCE_DATE_EPOCH clamps every time to the epoch.
//    Top-level keys sorted, nested structs in Go declaration order (gojson.h).
//  - manifest: schemaVersion 2, OCI media types by default or Docker's with
//    oci_mediatypes=false, written as json.MarshalIndent(m, "", "  ").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/oci.h"
#include "base/status.h"

namespace kiln::exporter {

// One layer of the image: a compressed blob (already in the content store) and
// the digest of its uncompressed tar.
struct Layer {
  oci::Descriptor blob;        // media type, digest, size (annotations are dropped)
  std::string diff_id;
  int64_t created_ns = 0;      // when the layer was made; 0 = unknown
  std::string description;     // created_by when the config's history has no entry for it
};

struct ImageOptions {
  bool oci_mediatypes = true;
  std::optional<int64_t> source_date_epoch;            // seconds
  std::map<std::string, std::string> manifest_annotations;
};

struct AssembledImage {
  std::string config;               // bytes of the config blob
  oci::Descriptor config_desc;
  std::string manifest;             // bytes of the manifest blob
  oci::Descriptor manifest_desc;
  std::vector<oci::Descriptor> layers;  // with the media types used in the manifest
};

Result<AssembledImage> AssembleImage(const nlohmann::json& image_config, const std::vector<Layer>& layers,
                                     const ImageOptions& opts);

// An image index (json.MarshalIndent) listing `manifests`.
std::string IndexJson(const std::vector<oci::Descriptor>& manifests, bool oci_mediatypes);
// A descriptor as JSON in Go field order.
nlohmann::json DescriptorJson(const oci::Descriptor& d);

// A layer media type in the wanted family: gzip and uncompressed have OCI and
// Docker names; zstd only has an OCI name and keeps it.
std::string ConvertLayerMediaType(const std::string& media_type, bool oci);

// Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped, "Z").
std::string FormatTime(int64_t unix_ns);
// Parses RFC 3339 ("2024-01-02T03:04:05.5Z", "...+02:00"); nullopt when malformed.
std::optional<int64_t> ParseTime(const std::string& s);
// Current time in ns since the epoch.
int64_t NowNs();

}  // namespace kiln::exporter
