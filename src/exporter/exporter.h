// Exporters: what happens to a build's result. The solver hands the final result
// to every exporter the user asked for (-o, several allowed) and runs the returned
// finalize steps only after all exports succeeded, so pushes happen last (as
// BuildKit's exporters return a finalize func).
//
// Outputs are atomic: a destination either keeps its previous state or holds the
// whole new output (temp file + rename; for a layout directory, blobs first and
// index.json last). Nothing half-written looks complete after kill -9.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/oci.h"
#include "base/status.h"
#include "exporter/image.h"
#include "exporter/output.h"

namespace kiln::cache {
class ContentStore;
class MetadataStore;
}  // namespace kiln::cache

namespace kiln::exporter {

// The build result, implemented by the solver over its snapshots and the store.
class BuildResult {
 public:
  virtual ~BuildResult() = default;
  // The final root filesystem as a readable directory (a mounted snapshot or its copy).
  virtual Result<std::string> RootfsDir() = 0;
  // The layer chain, base first, with every blob in the content store in the
  // wanted compression (layers already in another compression are kept unless
  // `compression.force`). `rewrite_timestamp` with `source_date_epoch` clamps the
  // mtimes of files in new layers to the epoch (BuildKit's rewrite-timestamp).
  virtual Result<std::vector<Layer>> Layers(const CompressionOptions& compression, bool rewrite_timestamp,
                                            std::optional<int64_t> source_date_epoch) = 0;
  // The image config from the frontend (llb::Definition::image_config).
  virtual nlohmann::json ImageConfig() = 0;
};

// What an export reports (buildx's --metadata-file keys).
struct ExportResponse {
  std::string image_digest;   // "containerimage.digest": the manifest digest
  std::string config_digest;  // "containerimage.config.digest"
  oci::Descriptor descriptor; // the manifest descriptor
  std::vector<std::string> names;  // "image.name"
};

struct ExportResult {
  ExportResponse response;
  std::function<Status()> finalize;  // never null; pushes and other last steps
};

// Pushes `name` (a reference) whose manifest is `manifest`, with blobs in the
// content store. The registry engineer provides it; exporters only call it.
using PushFunc = std::function<Status(const std::string& name, const oci::Descriptor& manifest)>;

struct ExporterDeps {
  cache::ContentStore* content = nullptr;    // needed by image, oci, docker
  cache::MetadataStore* metadata = nullptr;  // needed by image
  PushFunc push;                             // needed when push=true
  std::optional<int64_t> source_date_epoch;  // SOURCE_DATE_EPOCH, seconds
  int stdout_fd = 1;                         // where dest=- streams
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  virtual OutputType Type() const = 0;
  virtual Result<ExportResult> Export(BuildResult& result) = 0;
};

// The exporter for one parsed -o value. `default_names` (the -t tags) name images
// when the spec has no name=. Errors when a needed dependency is missing.
Result<std::unique_ptr<Exporter>> NewExporter(const OutputSpec& spec, const std::vector<std::string>& default_names,
                                              const ExporterDeps& deps);

// Builds config and manifest for `result` and stores both blobs (and checks the
// layers are there). Used by the image, oci and docker exporters.
Result<AssembledImage> CommitImage(BuildResult& result, const OutputSpec& spec, const ExporterDeps& deps);

}  // namespace kiln::exporter
