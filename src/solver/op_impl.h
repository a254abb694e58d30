// Pluggable op implementations: the scheduler knows nothing about images,
// snapshots or processes. For each op of the DAG an OpResolver hands it an
// OpImpl that says how the op is keyed in the cache (CacheMap) and does the
// work (Exec). The real implementations live in ops_*.cc; the scheduler tests
// use arithmetic ops.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llb/op.h"
#include "solver/cancel.h"
#include "solver/value.h"

namespace kiln::solver {

// How an op's cache key is formed (see cache_key.h).
struct CacheMap {
  // false: the op always runs and is never saved (build contexts, scratch);
  // dependents then key on its content (ContentChecksum of all paths) unless
  // content_paths narrows it.
  bool cacheable = true;
  // Mixed into the key: facts learned while keying, e.g. a base image's
  // resolved manifest digest.
  std::string extra;
  // Per input (same index as llb::Op::inputs): for inputs keyed on content
  // (their op is not cacheable, e.g. a build context), the paths whose content
  // counts (COPY from the build context keys on the files it copies); unset =
  // all of it. Ignored for cacheable inputs, which key by their cache key.
  std::vector<std::optional<std::vector<std::string>>> content_paths;
};

// What an op sees while it is keyed or run.
struct OpContext {
  std::string digest;                 // the op's digest
  const llb::Op* op = nullptr;
  const llb::OpMetadata* meta = nullptr;
  std::vector<ValuePtr> inputs;       // Exec only: one per op->inputs
  CancelToken* cancel = nullptr;      // never null while running
  // Exec only: a key shared by all runs of this op that differ only in the content
  // of inputs keyed on content (see SimilarKey in cache_key.h); "" when no input is
  // keyed on content. An op may use it to find an earlier result to build on.
  std::string similar_key;
  // Exec only: the op ignores the cache (--no-cache): it must not build on
  // earlier results either.
  bool ignore_cache = false;
  // Appends output (process output, progress text) to the op's log. Thread-safe.
  std::function<void(std::string_view)> log;
};

class OpImpl {
 public:
  virtual ~OpImpl() = default;
  // Called before inputs are built (ctx.inputs is empty). May do light work
  // such as resolving an image tag.
  virtual Result<CacheMap> GetCacheMap(const OpContext& ctx) = 0;
  // Does the work; returns one value per output (at least one). Must return
  // promptly with Cancelled once ctx.cancel is cancelled.
  virtual Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) = 0;
};

class OpResolver {
 public:
  virtual ~OpResolver() = default;
  // The implementation for one op; Unimplemented for kinds it does not support.
  virtual Result<std::unique_ptr<OpImpl>> Resolve(const std::string& digest, const llb::Op& op,
                                                  const llb::OpMetadata& meta) = 0;
};

}  // namespace kiln::solver
