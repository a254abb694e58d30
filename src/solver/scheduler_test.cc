// Scheduler tests with arithmetic ops and an in-memory cache: no containers.
#include "solver/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <thread>

#include "base/digest.h"
#include "solver/cache_key.h"

namespace kiln::solver {
namespace {

using namespace std::chrono_literals;

// A number, or a map of path -> number (a fake "directory" for content keys).
class IntValue : public Value {
 public:
  explicit IntValue(int64_t v) : v_(v) {}
  IntValue(int64_t v, std::map<std::string, int64_t> files) : v_(v), files_(std::move(files)) {}
  int64_t v() const { return v_; }
  Result<std::string> ContentChecksum(const std::vector<std::string>& paths) const override {
    std::string s;
    if (paths.empty()) {
      s = std::to_string(v_);
      for (auto& [p, x] : files_) s += p + "=" + std::to_string(x) + ";";
    } else {
      for (auto& p : paths) {
        auto it = files_.find(p);
        s += p + "=" + (it == files_.end() ? "none" : std::to_string(it->second)) + ";";
      }
    }
    return Sha256Digest(s);
  }
  std::string DebugString() const override { return std::to_string(v_); }

 private:
  int64_t v_;
  std::map<std::string, int64_t> files_;
};

int64_t IntOf(const ValuePtr& v) { return dynamic_cast<const IntValue&>(*v).v(); }

// Shared state the test ops use to observe and coordinate.
struct World {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int> execs;   // op label -> times run
  int running = 0, max_running = 0;
  int barrier_arrived = 0;
  bool block_started = false, block_saw_cancel = false;
  std::map<std::string, std::map<std::string, int64_t>> vars;  // var://name -> files
  std::map<std::string, std::vector<std::string>> content_paths;  // label -> paths of input 0
  std::map<std::string, std::vector<std::string>> similar_keys;   // label -> OpContext::similar_key per run

  int Execs(const std::string& label) {
    std::lock_guard l(mu);
    return execs[label];
  }
};

std::string Arg(const llb::Op& op, size_t i) {
  const auto& e = std::get<llb::ExecOp>(op.kind);
  return i < e.args.size() ? e.args[i] : "";
}

class ArithOp : public OpImpl {
 public:
  ArithOp(World* w, const llb::Op& op) : w_(w), op_(op) {}

  Result<CacheMap> GetCacheMap(const OpContext& ctx) override {
    CacheMap cm;
    if (auto* s = std::get_if<llb::SourceOp>(&op_.kind)) {
      cm.cacheable = s->identifier.rfind("var://", 0) != 0;
      return cm;
    }
    std::lock_guard l(w_->mu);
    auto it = w_->content_paths.find(Arg(op_, 1));
    if (it != w_->content_paths.end()) {
      cm.content_paths.resize(op_.inputs.size());
      cm.content_paths[0] = it->second;
    }
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    if (auto* s = std::get_if<llb::SourceOp>(&op_.kind)) {
      std::lock_guard l(w_->mu);
      w_->execs[s->identifier]++;
      if (s->identifier.rfind("int://", 0) == 0)
        return std::vector<ValuePtr>{std::make_shared<IntValue>(std::stoll(s->identifier.substr(6)))};
      auto files = w_->vars[s->identifier];
      int64_t sum = 0;
      for (auto& [p, x] : files) sum += x;
      return std::vector<ValuePtr>{std::make_shared<IntValue>(sum, files)};
    }
    const std::string fn = Arg(op_, 0), label = Arg(op_, 1);
    {
      std::lock_guard l(w_->mu);
      w_->execs[label]++;
      w_->similar_keys[label].push_back(ctx.similar_key);
      w_->running++;
      w_->max_running = std::max(w_->max_running, w_->running);
    }
    auto res = Do(fn, ctx);
    {
      std::lock_guard l(w_->mu);
      w_->running--;
    }
    return res;
  }

 private:
  Result<std::vector<ValuePtr>> Do(const std::string& fn, const OpContext& ctx) {
    int64_t sum = 0, prod = 1;
    for (auto& in : ctx.inputs) {
      sum += IntOf(in);
      prod *= IntOf(in);
    }
    auto one = [](int64_t v) { return std::vector<ValuePtr>{std::make_shared<IntValue>(v)}; };
    if (fn == "add") return one(sum);
    if (fn == "mul") return one(prod);
    if (fn == "split") return std::vector<ValuePtr>{std::make_shared<IntValue>(sum / 2), std::make_shared<IntValue>(sum - sum / 2)};
    if (fn == "sleep") {
      std::this_thread::sleep_for(20ms);
      return one(sum);
    }
    if (fn == "barrier") {  // all `n` barrier ops must be running at once to pass
      int n = std::stoi(Arg(op_, 2));
      std::unique_lock l(w_->mu);
      w_->barrier_arrived++;
      w_->cv.notify_all();
      if (!w_->cv.wait_for(l, 20s, [&] { return w_->barrier_arrived >= n; }))
        return Status::Internal("barrier: only " + std::to_string(w_->barrier_arrived) + " of " + std::to_string(n) + " ops ran at once");
      return one(sum);
    }
    if (fn == "block") {  // runs until cancelled
      int id = ctx.cancel->OnCancel([this] { std::lock_guard g(w_->mu); w_->cv.notify_all(); });
      std::unique_lock l(w_->mu);
      w_->block_started = true;
      w_->cv.notify_all();
      bool cancelled = w_->cv.wait_for(l, 20s, [&] { return ctx.cancel->cancelled(); });
      l.unlock();
      ctx.cancel->Unregister(id);
      std::lock_guard g(w_->mu);
      w_->block_saw_cancel = cancelled;
      return Status::Cancelled("block: cancelled");
    }
    if (fn == "fail") {  // fails once a "block" op is running
      ctx.log("compiling...\nline 2\n");
      std::unique_lock l(w_->mu);
      w_->cv.wait_for(l, 20s, [&] { return w_->block_started; });
      l.unlock();
      ctx.log("error: it broke\n");
      return Status::Internal("process \"fail\" did not complete successfully: exit code: 2");
    }
    return Status::Unimplemented("no arithmetic op " + fn);
  }

  World* w_;
  const llb::Op& op_;
};

class ArithResolver : public OpResolver {
 public:
  explicit ArithResolver(World* w) : w_(w) {}
  Result<std::unique_ptr<OpImpl>> Resolve(const std::string&, const llb::Op& op, const llb::OpMetadata&) override {
    return std::unique_ptr<OpImpl>(std::make_unique<ArithOp>(w_, op));
  }

 private:
  World* w_;
};

// Records progress events.
class EventLog : public ProgressSink {
 public:
  void Event(const ProgressEvent& ev) override {
    std::lock_guard l(mu);
    events.push_back(ev);
  }
  int Count(ProgressEvent::Kind k) {
    std::lock_guard l(mu);
    int n = 0;
    for (auto& e : events) n += e.kind == k;
    return n;
  }
  std::mutex mu;
  std::vector<ProgressEvent> events;
};

llb::Edge Src(llb::DefinitionBuilder& b, const std::string& id) {
  llb::Op op;
  op.kind = llb::SourceOp{id, {}};
  return b.Add(op, {.description = id});
}

llb::Edge Fn(llb::DefinitionBuilder& b, std::vector<std::string> args, std::vector<llb::Edge> inputs,
             llb::OpMetadata meta = {}) {
  llb::Op op;
  op.inputs = std::move(inputs);
  llb::ExecOp e;
  e.args = std::move(args);
  op.kind = e;
  if (meta.description.empty()) meta.description = e.args[0] + " " + e.args[1];
  return b.Add(op, meta);
}

struct Harness {
  World world;
  ArithResolver resolver{&world};
  MemoryCache cache;
  EventLog events;

  Result<SolveResult> Solve(const llb::Definition& def, std::vector<llb::Edge> targets, SolveOptions opts = {},
                            std::optional<SolveFailure>* failure = nullptr) {
    Scheduler s(&resolver, &cache, &events, opts);
    auto r = s.Solve(def, targets);
    if (failure) *failure = s.failure();
    return r;
  }
};

TEST(SchedulerTest, ComputesAChain) {
  llb::DefinitionBuilder b;
  auto sum = Fn(b, {"add", "sum"}, {Src(b, "int://2"), Src(b, "int://3")});
  auto out = Fn(b, {"mul", "prod"}, {sum, Src(b, "int://4")});
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {out});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(IntOf(r->outputs[0]), 20);
  EXPECT_EQ(r->executed.size(), 5u);
  EXPECT_TRUE(r->cached.empty());
}

TEST(SchedulerTest, IndependentOpsRunAtTheSameTime) {
  llb::DefinitionBuilder b;
  std::vector<llb::Edge> stages;
  for (int i = 0; i < 4; i++) stages.push_back(Fn(b, {"barrier", "b" + std::to_string(i), "4"}, {Src(b, "int://" + std::to_string(i))}));
  auto out = Fn(b, {"add", "all"}, stages);
  auto def = std::move(b).Finish(out);
  Harness h;
  // Four ops that can only finish when all four are running at once.
  auto r = h.Solve(def, {out}, {.max_parallelism = 4});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(IntOf(r->outputs[0]), 0 + 1 + 2 + 3);
  EXPECT_EQ(h.world.max_running, 4);
}

TEST(SchedulerTest, DefaultParallelismLetsFourWaitingOpsRun) {
  // The speed goal: four independent sleeping stages run together by default.
  EXPECT_GE(DefaultParallelism(), 4);
}

TEST(SchedulerTest, RespectsMaxParallelism) {
  llb::DefinitionBuilder b;
  std::vector<llb::Edge> ops;
  for (int i = 0; i < 8; i++) ops.push_back(Fn(b, {"sleep", "s" + std::to_string(i)}, {Src(b, "int://" + std::to_string(i))}));
  auto out = Fn(b, {"add", "all"}, ops);
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {out}, {.max_parallelism = 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(IntOf(r->outputs[0]), 28);
  EXPECT_LE(h.world.max_running, 2);
  EXPECT_GE(h.world.max_running, 1);
}

TEST(SchedulerTest, SharedOpRunsOnce) {
  llb::DefinitionBuilder b;
  auto base = Fn(b, {"add", "base"}, {Src(b, "int://5")});
  // Two "stages" both start from the same op (identical ops share a digest).
  auto base_again = Fn(b, {"add", "base"}, {Src(b, "int://5")});
  ASSERT_EQ(base, base_again);
  auto s1 = Fn(b, {"add", "s1"}, {base, Src(b, "int://1")});
  auto s2 = Fn(b, {"mul", "s2"}, {base_again, Src(b, "int://2")});
  auto out = Fn(b, {"add", "final"}, {s1, s2, base});
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {out, s1, s2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(IntOf(r->outputs[0]), 6 + 10 + 5);
  EXPECT_EQ(IntOf(r->outputs[1]), 6);
  EXPECT_EQ(IntOf(r->outputs[2]), 10);
  EXPECT_EQ(h.world.Execs("base"), 1);
  EXPECT_EQ(h.world.Execs("int://5"), 1);
}

TEST(SchedulerTest, UnreachableOpsNeverRun) {
  llb::DefinitionBuilder b;
  auto broken = Fn(b, {"fail", "unused"}, {Src(b, "int://1")});
  auto out = Fn(b, {"add", "used"}, {Src(b, "int://2")});
  (void)broken;
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {out});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(h.world.Execs("unused"), 0);
  EXPECT_EQ(h.world.Execs("int://1"), 0);
}

TEST(SchedulerTest, FailureCancelsWorkInFlightAndReportsTheOp) {
  llb::DefinitionBuilder b;
  auto blocker = Fn(b, {"block", "blocker"}, {Src(b, "int://1")});
  llb::OpMetadata meta;
  meta.description = "[build 2/3] RUN make";
  meta.source = {{7, 1, 7, 12}};
  auto failing = Fn(b, {"fail", "failing"}, {Src(b, "int://2")}, meta);
  auto after = Fn(b, {"add", "after"}, {failing});
  auto out = Fn(b, {"add", "out"}, {blocker, after});
  auto def = std::move(b).Finish(out);
  def.source_file = "Dockerfile";
  Harness h;
  std::optional<SolveFailure> failure;
  auto r = h.Solve(def, {out}, {.max_parallelism = 4}, &failure);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exit code: 2"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().location().line, 7);
  EXPECT_EQ(r.status().location().file, "Dockerfile");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->description, "[build 2/3] RUN make");
  EXPECT_EQ(failure->digest, failing.digest);
  EXPECT_EQ(failure->last_lines, (std::vector<std::string>{"compiling...", "line 2", "error: it broke"}));
  EXPECT_TRUE(h.world.block_saw_cancel);
  EXPECT_EQ(h.world.Execs("after"), 0);
  EXPECT_EQ(h.world.Execs("out"), 0);
  EXPECT_EQ(h.events.Count(ProgressEvent::Kind::kError), 1);
  EXPECT_EQ(h.events.Count(ProgressEvent::Kind::kCancelled), 1);
  // Only the two sources finished; nothing failed or cancelled was cached.
  EXPECT_EQ(h.cache.size(), 2u);
  // A second run with the same cache re-runs the failed op (and still fails).
  auto again = h.Solve(def, {out}, {.max_parallelism = 4});
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(h.world.Execs("failing"), 2);
}

TEST(SchedulerTest, CacheHitsSkipExecution) {
  llb::DefinitionBuilder b;
  auto sum = Fn(b, {"add", "sum"}, {Src(b, "int://2"), Src(b, "int://3")});
  auto out = Fn(b, {"mul", "prod"}, {sum, Src(b, "int://4")});
  auto def = std::move(b).Finish(out);
  Harness h;
  auto first = h.Solve(def, {out});
  ASSERT_TRUE(first.ok());
  auto second = h.Solve(def, {out});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(IntOf(second->outputs[0]), 20);
  EXPECT_TRUE(second->executed.empty());
  EXPECT_EQ(second->cached.size(), 5u);
  EXPECT_EQ(h.world.Execs("sum"), 1);
  EXPECT_EQ(h.world.Execs("prod"), 1);
  EXPECT_EQ(first->keys, second->keys);
}

TEST(SchedulerTest, NoCacheRunsEverythingAndIgnoreCacheOnlyItsOp) {
  llb::DefinitionBuilder b;
  auto sum = Fn(b, {"add", "sum"}, {Src(b, "int://2")});
  auto out = Fn(b, {"mul", "prod"}, {sum, Src(b, "int://4")}, {.description = "prod", .ignore_cache = true});
  auto def = std::move(b).Finish(out);
  Harness h;
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  EXPECT_EQ(h.world.Execs("prod"), 2);  // ignore_cache
  EXPECT_EQ(h.world.Execs("sum"), 1);   // its input came from the cache
  ASSERT_TRUE(h.Solve(def, {out}, {.no_cache = true}).ok());
  EXPECT_EQ(h.world.Execs("sum"), 2);
  EXPECT_EQ(h.world.Execs("prod"), 3);
}

TEST(SchedulerTest, IgnoreCachePropagatesToDependents) {
  llb::DefinitionBuilder b;
  auto base = Fn(b, {"add", "base"}, {Src(b, "int://2")});
  auto stage = Fn(b, {"add", "stage"}, {base}, {.description = "stage", .ignore_cache = true});
  auto out = Fn(b, {"mul", "final"}, {stage, Src(b, "int://3")});
  auto def = std::move(b).Finish(out);
  Harness h;
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  EXPECT_EQ(h.world.Execs("base"), 1);
  EXPECT_EQ(h.world.Execs("stage"), 2);
  EXPECT_EQ(h.world.Execs("final"), 2);
}

TEST(SchedulerTest, CacheKeyFollowsInputContent) {
  llb::DefinitionBuilder b;
  auto ctx = Src(b, "var://ctx");  // like a build context: not cacheable itself
  auto copy = Fn(b, {"add", "copy"}, {ctx});
  auto out = Fn(b, {"add", "next"}, {copy, Src(b, "int://1")});
  auto def = std::move(b).Finish(out);
  Harness h;
  h.world.vars["var://ctx"] = {{"/a", 1}, {"/b", 2}};
  auto r1 = h.Solve(def, {out});
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(IntOf(r1->outputs[0]), 4);
  // Unchanged content: a hit, though the context source itself runs again.
  auto r2 = h.Solve(def, {out});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(h.world.Execs("copy"), 1);
  EXPECT_EQ(h.world.Execs("var://ctx"), 2);
  EXPECT_EQ(r1->keys, r2->keys);
  // Changed content: the dependent and its dependents miss.
  h.world.vars["var://ctx"] = {{"/a", 1}, {"/b", 5}};
  auto r3 = h.Solve(def, {out});
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(IntOf(r3->outputs[0]), 7);
  EXPECT_EQ(h.world.Execs("copy"), 2);
  EXPECT_EQ(h.world.Execs("next"), 2);
  EXPECT_NE(r1->keys.at(copy.digest), r3->keys.at(copy.digest));
  EXPECT_EQ(r1->keys.at(ctx.digest), r3->keys.at(ctx.digest));
}

// Ops keyed on content get a similar key that stays the same when only that
// content changes (incremental COPY finds its previous result by it).
TEST(SchedulerTest, SimilarKeyIgnoresOnlyContent) {
  llb::DefinitionBuilder b;
  auto ctx = Src(b, "var://ctx");
  auto copy = Fn(b, {"add", "copy"}, {ctx});
  auto other = Fn(b, {"mul", "other"}, {ctx});
  auto next = Fn(b, {"add", "next"}, {copy, other});
  auto def = std::move(b).Finish(next);
  Harness h;
  h.world.vars["var://ctx"] = {{"/a", 1}};
  ASSERT_TRUE(h.Solve(def, {next}).ok());
  h.world.vars["var://ctx"] = {{"/a", 2}};
  ASSERT_TRUE(h.Solve(def, {next}).ok());
  auto& sk = h.world.similar_keys;
  ASSERT_EQ(sk["copy"].size(), 2u);
  EXPECT_FALSE(sk["copy"][0].empty());
  EXPECT_EQ(sk["copy"][0], sk["copy"][1]);
  EXPECT_NE(sk["copy"][0], sk["other"][0]);  // another op: another similar key
  ASSERT_EQ(sk["next"].size(), 2u);
  EXPECT_EQ(sk["next"][0], "");  // no input keyed on content
  EXPECT_EQ(SimilarKey("sha256:op", "", {{"sha256:in", std::nullopt, {}}}), "");
  EXPECT_EQ(SimilarKey("sha256:op", "", {{"", std::string("sha256:c1"), {"/a"}}}),
            SimilarKey("sha256:op", "", {{"", std::string("sha256:c2"), {"/a"}}}));
  EXPECT_NE(SimilarKey("sha256:op", "", {{"", std::string("sha256:c1"), {"/a"}}}),
            SimilarKey("sha256:op", "", {{"", std::string("sha256:c1"), {"/b"}}}));
}

TEST(SchedulerTest, ContentKeyCoversOnlyTheSelectedPaths) {
  llb::DefinitionBuilder b;
  auto ctx = Src(b, "var://ctx");
  auto copy = Fn(b, {"add", "copy-a"}, {ctx});
  auto def = std::move(b).Finish(copy);
  Harness h;
  h.world.content_paths["copy-a"] = {"/a"};
  h.world.vars["var://ctx"] = {{"/a", 1}, {"/b", 2}};
  ASSERT_TRUE(h.Solve(def, {copy}).ok());
  h.world.vars["var://ctx"] = {{"/a", 1}, {"/b", 9}};  // a file the op does not use
  ASSERT_TRUE(h.Solve(def, {copy}).ok());
  EXPECT_EQ(h.world.Execs("copy-a"), 1);
  h.world.vars["var://ctx"] = {{"/a", 3}, {"/b", 9}};
  ASSERT_TRUE(h.Solve(def, {copy}).ok());
  EXPECT_EQ(h.world.Execs("copy-a"), 2);
}

TEST(SchedulerTest, CacheKeyChangesWithInputKeys) {
  auto key_of = [](const std::string& n) {
    llb::DefinitionBuilder b;
    auto out = Fn(b, {"add", "x"}, {Src(b, "int://" + n)});
    auto def = std::move(b).Finish(out);
    Harness h;
    auto r = h.Solve(def, {out});
    EXPECT_TRUE(r.ok());
    return std::pair(out.digest, r->keys.at(out.digest));
  };
  auto [d1, k1] = key_of("1");
  auto [d2, k2] = key_of("2");
  auto [d3, k3] = key_of("1");
  EXPECT_NE(k1, k2);
  EXPECT_EQ(k1, k3);
  EXPECT_TRUE(IsValidDigest(k1));
  // The key derives from input keys, not only the op digest.
  EXPECT_NE(ComputeCacheKey(d1, "", {{.key = "a"}}), ComputeCacheKey(d1, "", {{.key = "b"}}));
  EXPECT_NE(ComputeCacheKey(d1, "", {{.key = "a"}}), ComputeCacheKey(d1, "x", {{.key = "a"}}));
}

TEST(SchedulerTest, MultipleOutputs) {
  llb::DefinitionBuilder b;
  auto split = Fn(b, {"split", "split"}, {Src(b, "int://9")});
  llb::Edge second{split.digest, 1};
  auto out = Fn(b, {"mul", "m"}, {second, Src(b, "int://10")});
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {out, split});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(IntOf(r->outputs[0]), 50);
  EXPECT_EQ(IntOf(r->outputs[1]), 4);
}

TEST(SchedulerTest, ProgressReportsCachedVertices) {
  llb::DefinitionBuilder b;
  auto out = Fn(b, {"add", "one"}, {Src(b, "int://1")});
  auto def = std::move(b).Finish(out);
  Harness h;
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  EXPECT_EQ(h.events.Count(ProgressEvent::Kind::kDone), 2);
  ASSERT_TRUE(h.Solve(def, {out}).ok());
  EXPECT_EQ(h.events.Count(ProgressEvent::Kind::kCached), 2);
  EXPECT_EQ(h.events.Count(ProgressEvent::Kind::kStarted), 2);
}

TEST(SchedulerTest, UnknownTargetIsAnError) {
  llb::DefinitionBuilder b;
  auto out = Fn(b, {"add", "one"}, {Src(b, "int://1")});
  auto def = std::move(b).Finish(out);
  Harness h;
  auto r = h.Solve(def, {{"sha256:nope", 0}});
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

TEST(LineTailTest, KeepsTheLastLines) {
  LineTail t(2);
  t.Append("a\nb\nc");
  t.Append("d\ne\n");
  EXPECT_EQ(t.Lines(), (std::vector<std::string>{"cd", "e"}));
}

}  // namespace
}  // namespace kiln::solver
