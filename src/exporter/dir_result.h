// A BuildResult over a plain directory: the whole tree as one layer (written by
// the store's layer writer) under a given image config. Used by `kiln import`
// and by tests; the solver implements BuildResult over its snapshots instead.
#pragma once

#include <string>

#include "exporter/exporter.h"

namespace kiln::exporter {

class DirectoryResult : public BuildResult {
 public:
  DirectoryResult(std::string rootfs, cache::ContentStore& store, nlohmann::json config, std::string created_by)
      : rootfs_(std::move(rootfs)), store_(store), config_(std::move(config)), created_by_(std::move(created_by)) {}
  Result<std::string> RootfsDir() override { return rootfs_; }
  Result<std::vector<Layer>> Layers(const CompressionOptions& c, bool rewrite_timestamp,
                                    std::optional<int64_t> source_date_epoch) override;
  nlohmann::json ImageConfig() override { return config_; }

  // A minimal config for the host platform: {"architecture","os","config":{}}.
  static nlohmann::json DefaultConfig();

 private:
  std::string rootfs_;
  cache::ContentStore& store_;
  nlohmann::json config_;
  std::string created_by_;
  std::optional<std::vector<Layer>> cached_;
  CompressionOptions cached_for_;
};

}  // namespace kiln::exporter
