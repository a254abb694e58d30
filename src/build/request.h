// What a program asks a build for and what it gets back (BuildKit's llbsolver
// model): one or more targets, each a Dockerfile with its context, options and
// outputs, solved together in one scheduler run so that steps shared by targets
// run once; cache sources and destinations for the whole request.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "build/dockerfile.h"
#include "exporter/exporter.h"
#include "exporter/output.h"
#include "lint/lint.h"
#include "solver/cache_io.h"
#include "solver/ops.h"
#include "runner/executor.h"
#include "solver/progress.h"
#include "solver/scheduler.h"

namespace kiln::build {

struct BuildTarget {
  DockerfileFlags dockerfile;  // context (a directory, "-" or a URL), -f, args, target, platform, ...
  std::vector<exporter::OutputSpec> outputs;  // empty = kiln's image store
  std::vector<std::string> tags;              // names for image outputs without name=
  std::map<std::string, solver::SecretSource> secrets;
  std::map<std::string, std::string> ssh;     // ID -> socket
  std::string network = "default";            // RUN's network: default (host), none, host
  std::vector<std::string> allow;             // entitlements: network.host, security.insecure
  runner::Resources resources;                // each RUN step's cgroup limits
  bool build_checks = true;                   // run BuildKit's build checks on the Dockerfile
  std::string iidfile, metadata_file;         // written after the exports ("" = none)
};

struct BuildRequest {
  std::vector<BuildTarget> targets;
  std::vector<solver::CacheSpec> cache_from, cache_to;
  int max_parallelism = 0;  // <= 0: the scheduler's default
};

// What happened besides progress; every method has a default that ignores it.
class BuildSink : public solver::ProgressSink {
 public:
  // A build check of target `target`, as the Dockerfile is loaded (`# check=` applied).
  virtual void CheckWarning(size_t target, const lint::Finding& f) {}
  // The solve runs; `cancel` (thread-safe) stops it, until SolveEnded.
  virtual void SolveStarted(std::function<void()> cancel) {}
  virtual void SolveEnded() {}
  // Something the user should know that does not stop the build (a broken --cache-from).
  virtual void Warn(const std::string& message) {}
  // An image was pushed to its registry.
  virtual void Pushed(const std::string& familiar_name, const std::string& digest) {}
};

// Where a failed build stopped (the CLI words its message after it).
enum class BuildPhase { kNone, kLoad, kSolve, kExport, kFinalize, kCacheExport, kMetadata };

struct TargetResult {
  std::string snapshot;  // the solved root filesystem ("" = scratch)
  std::vector<exporter::ExportResponse> exports;  // one per output
  // The first output that made an image, or null.
  const exporter::ExportResponse* Image() const;
};

struct BuildResult {
  Status status;                         // OK, or the first failure
  BuildPhase failed = BuildPhase::kNone;
  size_t failed_target = 0;              // the target a kLoad/kSolve failure belongs to
  std::string source_file, source_text;  // that target's Dockerfile (for source lines)
  std::optional<solver::SolveFailure> solve_failure;
  std::vector<TargetResult> targets;     // one per request target, in order
  std::vector<lint::Finding> warnings;   // build checks of every target, for a summary
  std::vector<std::string> executed, cached;  // op digests that ran / came from the cache
};

}  // namespace kiln::build
