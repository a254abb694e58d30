#include "solver/scheduler.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>


#include "base/log.h"
#include "solver/cache_key.h"

namespace kiln::solver {

int DefaultParallelism() {
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  // Ops often wait on processes or I/O: allow a few more than the cores.
  return static_cast<int>(n + std::max(2u, n / 2));
}

struct Scheduler::Node {
  std::string digest;
  const llb::Op* op = nullptr;
  const llb::OpMetadata* meta = nullptr;
  std::unique_ptr<OpImpl> impl;
  std::vector<Node*> inputs;  // one per op->inputs edge
  std::vector<int> input_outputs;
  CacheMap cmap;
  std::string key;
  std::string similar_key;
  bool ignore_cache = false;

  std::mutex mu;  // guards values while building
  std::optional<std::vector<ValuePtr>> values;
  bool cached = false;
  bool executed = false;

  std::mutex log_mu;
  LineTail tail;
};

// State of one Solve call.
struct Scheduler::Run {
  Scheduler* self;
  const llb::Definition& def;
  std::unordered_map<std::string, std::unique_ptr<Node>> nodes;
  std::vector<Node*> topo;  // reachable nodes, inputs first
  std::mutex fail_mu;

  Run(Scheduler* s, const llb::Definition& d) : self(s), def(d) {}

  void Emit(Node* n, ProgressEvent::Kind kind, std::string data = "") {
    ProgressEvent ev;
    ev.kind = kind;
    ev.vertex = n->digest;
    ev.name = n->meta ? n->meta->description : "";
    ev.data = std::move(data);
    self->progress_->Event(ev);
  }

  // Records the first failure and cancels everything else.
  void Fail(Node* n, const Status& st) {
    std::lock_guard l(fail_mu);
    if (!self->failure_) {
      SolveFailure f;
      f.status = st;
      if (n) {
        f.digest = n->digest;
        if (n->meta) {
          f.description = n->meta->description;
          f.source = n->meta->source;
        }
        std::lock_guard ll(n->log_mu);
        f.last_lines = n->tail.Lines();
      }
      self->failure_ = std::move(f);
    }
    self->cancel_.Cancel();
  }

  Status BuildGraph(const std::vector<llb::Edge>& targets) {
    std::vector<std::string> stack;
    std::unordered_set<std::string> seen;
    for (const auto& t : targets) {
      if (!def.ops.count(t.digest)) return Status::InvalidArgument("solve target " + t.digest + " is not in the definition");
      stack.push_back(t.digest);
    }
    while (!stack.empty()) {
      std::string d = stack.back();
      stack.pop_back();
      if (!seen.insert(d).second) continue;
      auto it = def.ops.find(d);
      if (it == def.ops.end()) return Status::InvalidArgument("op " + d + " is referenced but not defined");
      for (const auto& in : it->second.inputs) stack.push_back(in.digest);
    }
    static const llb::OpMetadata kNoMeta;
    for (const auto& d : def.order) {
      if (!seen.count(d)) continue;
      auto node = std::make_unique<Node>();
      node->digest = d;
      node->op = &def.ops.at(d);
      auto mit = def.metadata.find(d);
      node->meta = mit != def.metadata.end() ? &mit->second : &kNoMeta;
      node->ignore_cache = self->opts_.no_cache || node->meta->ignore_cache;
      node->tail = LineTail(self->opts_.log_tail_lines);
      for (const auto& in : node->op->inputs) {
        auto iit = nodes.find(in.digest);
        if (iit == nodes.end()) return Status::InvalidArgument("op " + d + " comes before its input " + in.digest + " in the definition's order");
        node->inputs.push_back(iit->second.get());
        node->input_outputs.push_back(in.output);
        // Ops built on a result that ignores the cache ignore it too: their
        // cached results were made from an older version of that input.
        // Sources are exempt: one source op (a base image) is shared by
        // stages that ignore the cache and stages that do not.
        if (!std::holds_alternative<llb::SourceOp>(iit->second->op->kind))
          node->ignore_cache = node->ignore_cache || iit->second->ignore_cache;
      }
      ASSIGN_OR_RETURN(node->impl, self->resolver_->Resolve(d, *node->op, *node->meta));
      topo.push_back(node.get());
      nodes.emplace(d, std::move(node));
    }
    if (topo.size() != seen.size()) return Status::InvalidArgument("definition order does not list every op the targets need");
    return Status::OK();
  }

  OpContext ContextFor(Node* n) {
    OpContext ctx;
    ctx.digest = n->digest;
    ctx.op = n->op;
    ctx.meta = n->meta;
    ctx.cancel = &self->cancel_;
    ctx.similar_key = n->similar_key;
    ctx.ignore_cache = n->ignore_cache;
    ctx.log = [this, n](std::string_view data) {
      {
        std::lock_guard l(n->log_mu);
        n->tail.Append(data);
      }
      Emit(n, ProgressEvent::Kind::kLog, std::string(data));
    };
    return ctx;
  }

  Result<ValuePtr> OutputOf(Node* n, int output) {
    if (!n->values || output < 0 || static_cast<size_t>(output) >= n->values->size())
      return Status::Internal("op " + n->digest + " has no output " + std::to_string(output));
    return (*n->values)[output];
  }

  // Builds `n` (and, first, its inputs) unless it already has values.
  Status EnsureValue(Node* n) {
    std::lock_guard l(n->mu);
    if (n->values) return Status::OK();
    if (self->cancel_.cancelled()) return Status::Cancelled("build cancelled");
    OpContext ctx = ContextFor(n);
    for (size_t i = 0; i < n->inputs.size(); i++) {
      RETURN_IF_ERROR(EnsureValue(n->inputs[i]));
      ASSIGN_OR_RETURN(ValuePtr v, OutputOf(n->inputs[i], n->input_outputs[i]));
      ctx.inputs.push_back(std::move(v));
    }
    Emit(n, ProgressEvent::Kind::kStarted);
    auto res = n->impl->Exec(ctx);
    if (!res.ok()) {
      Status st = res.status();
      if (self->cancel_.cancelled() && st.code() == Code::kCancelled) {
        Emit(n, ProgressEvent::Kind::kCancelled, st.message());
      } else {
        Fail(n, st);
        Emit(n, ProgressEvent::Kind::kError, st.message());
      }
      return st;
    }
    if (res->empty()) return Status::Internal("op " + n->digest + " produced no outputs");
    n->values = std::move(res).value();
    n->executed = true;
    if (n->cmap.cacheable && !n->key.empty()) {
      Status st = self->cache_->Save(n->key, *n->values);
      if (!st.ok()) spdlog::warn("caching the result of {}: {}", n->meta->description, st.ToString());
    }
    Emit(n, ProgressEvent::Kind::kDone);
    return Status::OK();
  }

  Status KeyError(Node* n, const Status& st) {
    Fail(n, st);
    Emit(n, ProgressEvent::Kind::kError, st.message());
    return st;
  }

  // Pass 1 for one node: its cache map, key and cache lookup.
  Status KeyNode(Node* n) {
    OpContext ctx = ContextFor(n);
    auto cm = n->impl->GetCacheMap(ctx);
    if (!cm.ok()) return KeyError(n, cm.status());
    n->cmap = std::move(cm).value();
    n->cmap.content_paths.resize(n->inputs.size());
    std::vector<KeyInput> kin;
    for (size_t i = 0; i < n->inputs.size(); i++) {
      Node* in = n->inputs[i];
      KeyInput k;
      const auto& paths = n->cmap.content_paths[i];
      if (!in->cmap.cacheable) {  // keyed on content, narrowed to `paths` when given
        RETURN_IF_ERROR(EnsureValue(in));
        ASSIGN_OR_RETURN(ValuePtr v, OutputOf(in, n->input_outputs[i]));
        k.paths = paths ? *paths : std::vector<std::string>{};
        auto sum = v->ContentChecksum(k.paths);
        if (!sum.ok()) return KeyError(n, sum.status());
        k.content = std::move(sum).value();
      } else {
        k.key = OutputKey(in->key, n->input_outputs[i]);
      }
      kin.push_back(std::move(k));
    }
    n->key = ComputeCacheKey(n->digest, n->cmap.extra, kin);
    if (n->cmap.cacheable) n->similar_key = SimilarKey(n->digest, n->cmap.extra, kin);
    if (!n->cmap.cacheable || n->ignore_cache) return Status::OK();
    auto loaded = self->cache_->Load(n->key);
    if (!loaded.ok()) return KeyError(n, loaded.status());
    auto hit = std::move(loaded).value();
    if (hit && !hit->empty()) {
      std::lock_guard l(n->mu);
      if (!n->values) {
        n->values = std::move(*hit);
        n->cached = true;
        Emit(n, ProgressEvent::Kind::kCached);
      }
    }
    return Status::OK();
  }

  // Runs fn over `set` in dependency order, in parallel: a node starts as soon
  // as its inputs in `set` are done, on up to max_parallelism threads. Stops
  // starting nodes at the first error. Ops block (on processes, I/O), and
  // TBB's tasks do not guarantee that blocked tasks leave room for others, so
  // ops run on plain threads here; CPU-bound work inside ops may use TBB.
  Status ParallelRun(const std::vector<Node*>& set, const std::function<Status(Node*)>& fn) {
    if (set.empty()) return Status::OK();
    const size_t n = set.size();
    std::unordered_map<Node*, size_t> index;
    for (size_t i = 0; i < n; i++) index[set[i]] = i;
    std::vector<std::vector<size_t>> users(n);
    std::vector<int> pending(n, 0);
    for (size_t i = 0; i < n; i++) {
      std::set<Node*> deps(set[i]->inputs.begin(), set[i]->inputs.end());
      for (Node* d : deps) {
        auto it = index.find(d);
        if (it == index.end()) continue;
        users[it->second].push_back(i);
        pending[i]++;
      }
    }
    int par = self->opts_.max_parallelism > 0 ? self->opts_.max_parallelism : DefaultParallelism();
    std::mutex mu;
    std::condition_variable cv;
    std::deque<size_t> ready;
    size_t finished = 0, running = 0;
    for (size_t i = 0; i < n; i++)
      if (pending[i] == 0) ready.push_back(i);
    auto worker = [&] {
      std::unique_lock l(mu);
      for (;;) {
        cv.wait(l, [&] { return !ready.empty() || finished == n || (self->cancel_.cancelled() && running == 0); });
        if (ready.empty() || self->cancel_.cancelled()) break;
        size_t i = ready.front();
        ready.pop_front();
        running++;
        l.unlock();
        Status st = fn(set[i]);
        if (!st.ok()) Fail(nullptr, st);  // a no-op unless nothing was recorded yet
        l.lock();
        running--;
        finished++;
        if (st.ok())
          for (size_t u : users[i])
            if (--pending[u] == 0) ready.push_back(u);
        cv.notify_all();
      }
      cv.notify_all();
    };
    int cancel_id = self->cancel_.OnCancel([&] { std::lock_guard l(mu); cv.notify_all(); });
    std::vector<std::thread> threads;
    size_t nthreads = std::min<size_t>(static_cast<size_t>(std::max(par, 1)), n);
    for (size_t t = 1; t < nthreads; t++) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    self->cancel_.Unregister(cancel_id);
    if (self->cancel_.cancelled()) {
      std::lock_guard l(fail_mu);
      return self->failure_ ? self->failure_->status : Status::Cancelled("build cancelled");
    }
    return Status::OK();
  }

  // The nodes pass 2 must build: needed by the targets and not yet available.
  std::vector<Node*> Needed(const std::vector<llb::Edge>& targets) {
    std::unordered_set<Node*> need;
    std::vector<Node*> stack;
    for (const auto& t : targets) stack.push_back(nodes.at(t.digest).get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      if (n->values || !need.insert(n).second) continue;
      for (Node* in : n->inputs) stack.push_back(in);
    }
    std::vector<Node*> out;
    for (Node* n : topo)
      if (need.count(n)) out.push_back(n);
    return out;
  }
};

Scheduler::Scheduler(OpResolver* resolver, CacheBackend* cache, ProgressSink* progress, SolveOptions opts)
    : resolver_(resolver), cache_(cache), progress_(progress), opts_(opts) {}

Scheduler::~Scheduler() = default;

Result<SolveResult> Scheduler::Solve(const llb::Definition& def, const std::vector<llb::Edge>& targets) {
  failure_.reset();
  Run run(this, def);
  RETURN_IF_ERROR(run.BuildGraph(targets));

  Status st = run.ParallelRun(run.topo, [&](Node* n) { return run.KeyNode(n); });
  if (st.ok()) st = run.ParallelRun(run.Needed(targets), [&](Node* n) { return run.EnsureValue(n); });
  if (!st.ok()) {
    if (failure_ && !failure_->source.empty() && failure_->source[0].start_line > 0) {
      const auto& r = failure_->source[0];
      st = st.WithLocation({def.source_file, r.start_line, r.start_col});
      failure_->status = st;
    }
    return st;
  }

  SolveResult out;
  for (const auto& t : targets) {
    ASSIGN_OR_RETURN(ValuePtr v, run.OutputOf(run.nodes.at(t.digest).get(), t.output));
    out.outputs.push_back(std::move(v));
  }
  for (Node* n : run.topo) {
    out.keys[n->digest] = n->key;
    if (n->executed) out.executed.push_back(n->digest);
    if (n->cached) out.cached.push_back(n->digest);
  }
  return out;
}

}  // namespace kiln::solver
