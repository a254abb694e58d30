// The entry point for talking to registries: one Session per host (shared by every
// repository of that host, so tokens and connections are reused), the options, a
// progress callback, and the blob-source index used for cross-repository mounts.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/reference.h"
#include "registry/repository.h"
#include "registry/session.h"

namespace kiln::registry {

class RegistryClient {
 public:
  // state_dir: where the blob-source index lives (ROOT/registry); "" disables it.
  explicit RegistryClient(RegistryOptions opts, std::string state_dir = "");
  const RegistryOptions& options() const { return opts_; }

  std::shared_ptr<Session> SessionFor(const std::string& host);
  Repository Repo(const Reference& ref, bool push = false);

  // Progress lines ("pulled sha256:abc… 12.3 MB"); default: none.
  void SetProgress(std::function<void(const std::string&)> fn) { progress_ = std::move(fn); }
  void Progress(const std::string& line) const;

  // Remembers that `digest` exists in repository `repo` ("host/path"), and returns
  // the repositories of `host` known to hold it (for a mount).
  void RecordBlobSource(const std::string& digest, const std::string& repo);
  std::vector<std::string> BlobSources(const std::string& digest, const std::string& host);

 private:
  RegistryOptions opts_;
  std::string state_dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::function<void(const std::string&)> progress_;
};

// "12.3 MB".
std::string HumanSize(int64_t bytes);

}  // namespace kiln::registry
