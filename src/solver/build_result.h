// The solved image handed to the exporters: a committed snapshot, its layer
// chain and the frontend's image config. Layers are computed from each
// snapshot's own diff only when an export asks for them, recorded in the
// metadata database and reused by later exports and builds. A step whose diff
// is empty (WORKDIR of an existing directory, RUN true) keeps its empty layer,
// as dockerd's BuildKit image exporter does (it never drops empty layers).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exporter.h"
#include "solver/ops.h"

namespace kiln::solver {

class SnapshotBuildResult : public exporter::BuildResult {
 public:
  // `snapshot` "" = the empty filesystem.
  SnapshotBuildResult(BuildOpResolver* r, std::string snapshot, nlohmann::json image_config);
  ~SnapshotBuildResult() override;

  Result<std::string> RootfsDir() override;
  Result<std::vector<exporter::Layer>> Layers(const exporter::CompressionOptions& compression, bool rewrite_timestamp,
                                              std::optional<int64_t> source_date_epoch) override;
  nlohmann::json ImageConfig() override;

 private:
  Result<std::vector<std::string>> Chain();
  Result<cache::LayerRecord> LayerOf(const std::string& snapshot, const exporter::CompressionOptions& c,
                                     bool rewrite, std::optional<int64_t> epoch);

  BuildOpResolver* r_;
  std::string snapshot_;
  nlohmann::json config_;
  std::mutex mu_;
  std::string rootfs_;
  bool rootfs_mounted_ = false;
};

}  // namespace kiln::solver
