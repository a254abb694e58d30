// The solver's scheduler: runs the ops of an llb::Definition that a set of
// targets needs, in parallel, consulting and filling a cache.
//
// Solve works in two passes over the ops reachable from the targets:
//  1. Keys: each op's cache key is computed once its inputs' keys are known
//     (see cache_key.h). Inputs keyed on content (ops that are not cacheable,
//     such as build contexts) are built right then, since their checksum
//     needs the content. Cacheable ops are
//     looked up in the cache (unless OpMetadata::ignore_cache / no_cache).
//  2. Execution: starting from the targets, every op that is not already
//     available (cache hit) is run, its inputs first; as many ops run at once
//     as have their inputs, up to max_parallelism. Results are saved to the
//     cache as each op succeeds.
// Ops are identified by digest, so an op shared by several stages runs once.
// The first failure cancels the work in flight (CancelToken), no new op
// starts, and Solve returns that failure; failed or cancelled ops are never
// saved.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "llb/definition.h"
#include "solver/cache_backend.h"
#include "solver/cancel.h"
#include "solver/op_impl.h"
#include "solver/progress.h"

namespace kiln::solver {

// Cores plus a little for ops that mostly wait (I/O, sleeping processes).
int DefaultParallelism();

struct SolveOptions {
  int max_parallelism = 0;  // <= 0: DefaultParallelism()
  // Every op ignores the cache (results are still saved). OpMetadata::ignore_cache
  // does the same for one op and, transitively, the ops built on it.
  bool no_cache = false;
  size_t log_tail_lines = 10;
};

// The op that failed first, for error reports.
struct SolveFailure {
  std::string digest;
  std::string description;                // OpMetadata::description
  std::vector<llb::SourceRange> source;   // in Definition::source_file
  std::vector<std::string> last_lines;    // the end of its output
  Status status;
};

struct SolveResult {
  std::vector<ValuePtr> outputs;               // one per target, in order
  std::map<std::string, std::string> keys;     // op digest -> cache key
  std::vector<std::string> executed;           // op digests that ran
  std::vector<std::string> cached;             // op digests served from the cache
};

class Scheduler {
 public:
  // Collaborators are borrowed and must outlive the scheduler.
  Scheduler(OpResolver* resolver, CacheBackend* cache, ProgressSink* progress, SolveOptions opts = {});
  ~Scheduler();

  // Builds `targets` (edges of `def`). On failure the Status carries the failing
  // op's description and its Dockerfile location; failure() has the details.
  Result<SolveResult> Solve(const llb::Definition& def, const std::vector<llb::Edge>& targets);

  const std::optional<SolveFailure>& failure() const { return failure_; }
  // Cancels a running Solve (e.g. on Ctrl-C); it then fails with Cancelled.
  void Cancel() { cancel_.Cancel(); }

 private:
  struct Node;
  struct Run;

  OpResolver* resolver_;
  CacheBackend* cache_;
  ProgressSink* progress_;
  SolveOptions opts_;
  CancelToken cancel_;
  std::optional<SolveFailure> failure_;
};

}  // namespace kiln::solver
