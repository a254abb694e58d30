// Exporting a build result to its outputs: shared by kiln build (through Build)
// and kiln import. Each output gets one progress vertex named as BuildKit's
// exporters name theirs; every output is exported first, then finalized (pushes
// happen last), in order.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "exporter/exporter.h"
#include "registry/client.h"
#include "solver/progress.h"

namespace kiln::build {

struct ExportEnv {
  cache::ContentStore* content = nullptr;
  cache::MetadataStore* metadata = nullptr;
  registry::RegistryClient* client = nullptr;  // for push=true outputs
  std::optional<int64_t> source_date_epoch;
  // Told of each push: the image's familiar name and the pushed manifest digest.
  std::function<void(const std::string& name, const std::string& digest)> on_push;
};

// Pushes an image to its registry: layers stored uncompressed (reused from the
// local store) go out as gzip.
exporter::PushFunc RegistryPush(const ExportEnv& env);

struct ExportOutcome {
  Status status;
  bool finalizing = false;  // the failure was in a finalize step (a push), not an export
  std::vector<exporter::ExportResponse> responses;  // one per output
};

// Exports `result` to `outputs` (`tags` name images without name=). Progress
// vertices are "<vertex_prefix>N"; a failure marks its vertex failed and stops.
ExportOutcome ExportOutputs(exporter::BuildResult& result, const std::vector<exporter::OutputSpec>& outputs,
                            const std::vector<std::string>& tags, const ExportEnv& env, solver::ProgressSink& progress,
                            const std::string& vertex_prefix = "export:");

// The --metadata-file JSON (buildx's keys) of an export that made `image` (may be null).
std::string BuildMetadataJson(const exporter::ExportResponse* image);

}  // namespace kiln::build
