// Build: the one build API under kiln build (and later compose, bake and
// multi-platform builds). It loads each target's context and Dockerfile, runs the
// build checks once, lowers, imports cache, solves every target in ONE scheduler
// run (ops are identified by digest, so a step two targets share runs once),
// exports and pushes each target's outputs, exports cache and writes the
// metadata files. It prints nothing: progress and events go to the sink.
#pragma once

#include <string>

#include "build/request.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "registry/client.h"
#include "registry/image_source.h"
#include "runner/executor.h"

namespace kiln::build {

// The store and collaborators a build uses, borrowed (the caller chooses the
// concrete ones: kiln's local store, the registry, the namespace executor).
struct BuildEnv {
  std::string root;  // kiln's state directory (scratch space, cache mounts)
  cache::ContentStore* content = nullptr;
  cache::MetadataStore* metadata = nullptr;
  cache::Snapshotter* snapshotter = nullptr;
  registry::RegistryClient* client = nullptr;  // pushes, --cache-from/--cache-to registries
  registry::ImageSource* images = nullptr;     // base images
  runner::Executor* executor = nullptr;        // RUN
};

BuildResult Build(const BuildEnv& env, const BuildRequest& req, BuildSink& sink);

}  // namespace kiln::build
