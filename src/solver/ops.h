// The real op implementations: sources (docker-image, local contexts), exec
// (RUN), file ops (COPY/ADD/mkdir/...) and merges, over the store's snapshots.
// Every dependency comes in through BuildDeps; the CLI wires the concrete ones.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/oci.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "registry/image_source.h"
#include "runner/executor.h"
#include "solver/context_checksum.h"
#include "solver/mount_ns.h"
#include "solver/op_impl.h"

namespace kiln::solver {

// --secret id=ID,src=PATH|env=VAR (the value is read when a RUN needs it).
struct SecretSource {
  std::string file;  // host path, or
  std::string env;   // host environment variable
};

struct BuildDeps {
  std::string root;                          // kiln's state directory (cache mounts, scratch)
  cache::ContentStore* content = nullptr;
  cache::MetadataStore* metadata = nullptr;
  cache::Snapshotter* snapshotter = nullptr;
  registry::ImageSource* images = nullptr;   // base images
  runner::Executor* executor = nullptr;      // RUN
  oci::Platform platform = oci::HostPlatform();
  std::map<std::string, std::string> local_dirs;  // local://NAME -> host directory
  std::map<std::string, SecretSource> secrets;
  std::map<std::string, std::string> ssh;    // --ssh ID=SOCKET
  runner::ProcessSpec::Network network = runner::ProcessSpec::Network::kHost;  // --network
  runner::Resources resources;               // each RUN step's cgroup limits
};

// The snapshot key a solved value holds ("" = scratch); InvalidArgument for a
// value that is not a filesystem (a bare build context).
Result<std::string> SnapshotKeyOfValue(const ValuePtr& v);

class BuildOpResolver : public OpResolver {
 public:
  explicit BuildOpResolver(BuildDeps deps);
  ~BuildOpResolver() override;
  Result<std::unique_ptr<OpImpl>> Resolve(const std::string& digest, const llb::Op& op,
                                          const llb::OpMetadata& meta) override;
  // Persists the build contexts' stat caches.
  Status Finish();

  // Shared by the op implementations.
  const BuildDeps& deps() const { return deps_; }
  Result<std::shared_ptr<ContextChecksummer>> Context(const std::string& name, const std::vector<std::string>& excludes,
                                                      const std::vector<std::string>& includes);
  Result<MountNamespace*> Mounts();
  std::string Scratch() const { return deps_.root + "/tmp"; }
  // A fresh snapshot key.
  std::string NewKey(const std::string& prefix);

 private:
  BuildDeps deps_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ContextChecksummer>> contexts_;
  std::unique_ptr<MountNamespace> mounts_;
};

}  // namespace kiln::solver
