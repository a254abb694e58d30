// FileOp (COPY, ADD, WORKDIR's mkdir, ...) via kiln_fileop on mounted views,
// and MergeOp (COPY --link): the inputs' layers restacked on the first input.
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <unordered_set>

#include "base/log.h"
#include "base/read_ahead.h"
#include "fileop/copier.h"
#include "fileop/fileop.h"
#include "solver/copy_index.h"
#include "solver/ops_internal.h"

extern char** environ;

namespace kiln::solver {
namespace {

// The paths of its source a copy reads: its src, or for COPY --parents the
// include patterns below the pivot (a "**" or the whole pivot: all of it).
std::vector<std::string> SourcePaths(const llb::CopyAction& c) {
  std::string src = c.src.empty() ? "/" : c.src;
  if (!c.parents || c.include_patterns.empty()) return {src};
  std::vector<std::string> out;
  for (const std::string& p : c.include_patterns) {
    if (p.empty() || p == "." || p.find("**") != std::string::npos) return {src};
    out.push_back(src == "/" ? "/" + p : src + "/" + p);
  }
  return out;
}

class FileOpImpl : public OpImpl {
 public:
  FileOpImpl(BuildOpResolver* r, const llb::Op& op, const llb::FileOp& f) : r_(r), op_(op), f_(f) {}

  Result<CacheMap> GetCacheMap(const OpContext&) override {
    CacheMap cm;
    cm.content_paths.resize(op_.inputs.size());
    std::map<int, std::set<std::string>> paths;
    for (const auto& a : f_.actions)
      if (auto* c = std::get_if<llb::CopyAction>(&a); c && c->source >= 0)
        for (std::string& p : SourcePaths(*c)) paths[c->source].insert(std::move(p));
    for (auto& [in, p] : paths)
      if (in != f_.dest && static_cast<size_t>(in) < cm.content_paths.size())
        cm.content_paths[in] = std::vector<std::string>(p.begin(), p.end());
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    auto input = [&](int i) -> ValuePtr { return i >= 0 && static_cast<size_t>(i) < ctx.inputs.size() ? ctx.inputs[i] : nullptr; };
    ASSIGN_OR_RETURN(std::string parent, SnapshotKeyOf(input(f_.dest)));
    Incremental inc;
    if (IncrementalEligible(ctx, inc)) {
      if (!ctx.ignore_cache) {
        auto t0 = std::chrono::steady_clock::now();
        auto res = RunIncremental(ctx, parent, inc);
        if (res.ok()) {
          spdlog::debug("incremental copy: {} of {} files kept from {} in {:.1f} ms", inc.kept, inc.index.files.size(),
                        inc.origin, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
          return res;
        }
        spdlog::debug("incremental copy not used ({}); copying everything", res.status().ToString());
        if (ctx.cancel->cancelled()) return res.status();
        inc.Reset();
      }
    }
    ASSIGN_OR_RETURN(auto dest, ActiveSnapshot::Prepare(r_, parent));
    fileop::FileOpContext fctx;
    ASSIGN_OR_RETURN(fctx.dest_root, dest->Dir());
    std::vector<std::unique_ptr<InputView>> views;
    RETURN_IF_ERROR(OpenInputs(ctx, fctx, views));
    fileop::CopyHooks hooks;
    if (inc.eligible) {
      hooks.done = inc.Recorder(fctx);
      fctx.copy_hooks = &hooks;
    }
    if (ctx.cancel->cancelled()) return Status::Cancelled("build cancelled");
    RETURN_IF_ERROR(fileop::Apply(f_, fctx));
    views.clear();
    ASSIGN_OR_RETURN(std::string key, dest->Commit());
    if (inc.eligible) inc.SaveIndex(key, parent);
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

 private:
  // State of an incremental copy (copy_index.h) and of the index it writes.
  struct Incremental {
    bool eligible = false;
    std::string index_path;
    std::shared_ptr<ContextChecksummer> sum;
    std::string src_root;            // the context as the copier sees it
    CopyIndex index;                 // the result's index, filled while copying
    std::unordered_set<std::string> visited;  // every path the copy produced
    std::unordered_set<std::string> nondirs;  // ...of them, those that are not directories
    std::string origin;
    size_t kept = 0;

    void Reset() {
      index.files.clear();
      visited.clear();
      nondirs.clear();
      origin.clear();
      kept = 0;
    }
    // Relative path of `host` below `root`, or nullopt.
    static std::optional<std::string> Rel(const std::string& root, const std::string& host) {
      if (host.size() <= root.size() + 1 || host.compare(0, root.size(), root) != 0 || host[root.size()] != '/')
        return std::nullopt;
      return host.substr(root.size() + 1);
    }
    std::function<void(const std::string&, const struct stat&, const std::string&)> Recorder(
        const fileop::FileOpContext& fctx) {
      std::string dest_root = fctx.dest_root;
      return [this, dest_root](const std::string& src, const struct stat& st, const std::string& target) {
        auto dest = Rel(dest_root, target);
        if (!dest) return;
        visited.insert(*dest);
        if (!S_ISDIR(st.st_mode)) nondirs.insert(*dest);
        if (!S_ISREG(st.st_mode)) return;
        auto rel = Rel(src_root, src);
        if (!rel) return;
        if (auto d = sum->FileDigest(*rel, &st)) index.files.push_back({*dest, *rel, *d});
      };
    }
    // Whether the copy produced `rel` already, or a non-directory above it.
    bool Replaced(const std::string& rel) const {
      if (visited.count(rel)) return true;
      for (size_t p = rel.find('/'); p != std::string::npos; p = rel.find('/', p + 1))
        if (nondirs.count(rel.substr(0, p))) return true;
      return false;
    }
    void SaveIndex(const std::string& snapshot, const std::string& parent) {
      index.snapshot = snapshot;
      index.parent = parent;
      Status st = WriteCopyIndex(index_path, index);
      if (!st.ok()) spdlog::warn("writing the copy index: {}", st.ToString());
    }
  };

  // Whether this op may be copied incrementally (and so keeps a copy index): the
  // snapshotter is overlayfs, every action copies from one build context (no archives
  // to unpack, no --parents), and the scheduler gave a similar key.
  bool IncrementalEligible(const OpContext& ctx, Incremental& inc) {
    if (ctx.similar_key.empty() || f_.actions.empty()) return false;
    if (r_->deps().snapshotter->Kind() != "overlayfs") return false;  // needs an upper dir to clone into
    int source = -1;
    for (const auto& a : f_.actions) {
      auto* c = std::get_if<llb::CopyAction>(&a);
      if (!c || c->source < 0 || c->unpack_archives || c->parents || !c->include_patterns.empty()) return false;
      if (source >= 0 && c->source != source) return false;
      source = c->source;
    }
    if (source == f_.dest || static_cast<size_t>(source) >= ctx.inputs.size()) return false;
    auto* lv = dynamic_cast<const LocalValue*>(ctx.inputs[source].get());
    if (!lv) return false;
    auto dir = lv->Dir();
    if (!dir.ok()) return false;
    inc.eligible = true;
    inc.sum = lv->checksummer();
    inc.src_root = *dir;
    inc.index_path = CopyIndexPath(r_->deps().root, ctx.similar_key);
    return true;
  }

  Status OpenInputs(const OpContext& ctx, fileop::FileOpContext& fctx, std::vector<std::unique_ptr<InputView>>& views) {
    std::set<int> used;
    for (const auto& a : f_.actions)
      if (auto* c = std::get_if<llb::CopyAction>(&a); c && c->source >= 0) used.insert(c->source);
    fctx.input_roots.resize(ctx.inputs.size());
    for (int i : used) {
      if (static_cast<size_t>(i) >= ctx.inputs.size()) return Status::InvalidArgument("copy source input " + std::to_string(i) + " does not exist");
      ASSIGN_OR_RETURN(auto v, InputView::Open(r_, ctx.inputs[i]));
      fctx.input_roots[i] = v->dir();
      if (v->is_context()) fctx.root_owned_inputs.push_back(i);
      views.push_back(std::move(v));
    }
    return Status::OK();
  }

  // The copy, seeded with the unchanged files of the previous result with the same
  // similar key. Any error: the caller copies everything instead.
  Result<std::vector<ValuePtr>> RunIncremental(const OpContext& ctx, const std::string& parent, Incremental& inc) {
    auto& d = r_->deps();
    ASSIGN_OR_RETURN(CopyIndex prev, ReadCopyIndex(inc.index_path));
    if (prev.parent != parent) return Status::FailedPrecondition("the earlier result has another parent");
    ASSIGN_OR_RETURN(cache::SnapshotInfo pinfo, d.snapshotter->Stat(prev.snapshot));
    if (!pinfo.committed || pinfo.parent != parent)
      return Status::FailedPrecondition("the earlier result " + prev.snapshot + " is not a committed child of the parent");
    ASSIGN_OR_RETURN(std::string prev_upper, d.snapshotter->LayerDir(prev.snapshot));
    ASSIGN_OR_RETURN(auto dest, ActiveSnapshot::Prepare(r_, parent));
    if (dest->spec().type != "overlay" || dest->spec().upper.empty())
      return Status::FailedPrecondition("the snapshot is not an overlay");
    // The export reads every kept file again right after this copy: when the page
    // cache has lost them, they are read back in meanwhile (in tar order).
    BackgroundReadAhead prefetch(prev.files.size(), [&](size_t i) { return prev_upper + "/" + prev.files[i].dest; });
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a) { return std::chrono::duration<double, std::milli>(Clock::now() - a).count(); };
    auto t0 = Clock::now();
    ASSIGN_OR_RETURN(UpperClone clone,
                     UpperClone::Clone(prev, prev_upper, dest->spec().upper,
                                       [&](const std::string& src) { return inc.sum->FileDigest(src); }));
    inc.origin = prev.snapshot;
    double t_clone = ms(t0);
    t0 = Clock::now();
    fileop::FileOpContext fctx;
    ASSIGN_OR_RETURN(fctx.dest_root, dest->Dir());
    std::vector<std::unique_ptr<InputView>> views;
    RETURN_IF_ERROR(OpenInputs(ctx, fctx, views));
    fileop::CopyHooks hooks;
    hooks.done = inc.Recorder(fctx);
    std::string dest_root = fctx.dest_root;
    hooks.existing_copy = [&](const std::string& src, const struct stat& st,
                              const std::string& target) -> std::optional<struct stat> {
      auto dest = Incremental::Rel(dest_root, target);
      if (!dest) return std::nullopt;
      const UpperClone::Cloned* c = clone.Find(*dest);
      // Still the clone: the copy has not produced this path yet, nor replaced a
      // directory above it (which removed the clone).
      if (!c || inc.Replaced(*dest)) return std::nullopt;
      auto rel = Incremental::Rel(inc.src_root, src);
      if (!rel) return std::nullopt;
      auto want = inc.sum->FileDigest(*rel, &st);
      if (!want || *want != c->digest) return std::nullopt;
      inc.kept++;
      return c->st;
    };
    // The context walk of this build stat'ed every source a moment ago.
    hooks.source_stat = [&](const std::string& src) -> std::optional<struct stat> {
      auto rel = Incremental::Rel(inc.src_root, src);
      return rel ? inc.sum->LastStat(*rel) : std::nullopt;
    };
    fctx.copy_hooks = &hooks;
    if (ctx.cancel->cancelled()) return Status::Cancelled("build cancelled");
    RETURN_IF_ERROR(fileop::Apply(f_, fctx));
    views.clear();
    RETURN_IF_ERROR(dest->Release());
    double t_copy = ms(t0);
    t0 = Clock::now();
    RETURN_IF_ERROR(clone.Prune(inc.visited));
    double t_prune = ms(t0);
    t0 = Clock::now();
    ASSIGN_OR_RETURN(std::string key, dest->Commit());
    Status st = d.metadata->PutSnapshotOrigin(key, prev.snapshot);
    if (!st.ok()) spdlog::warn("recording the origin of {}: {}", key, st.ToString());
    double t_commit = ms(t0);
    t0 = Clock::now();
    inc.SaveIndex(key, parent);
    spdlog::debug("incremental copy: clone {:.1f} ms ({} links), copy {:.1f} ms, prune {:.1f} ms, commit {:.1f} ms, index {:.1f} ms",
                  t_clone, clone.files(), t_copy, t_prune, t_commit, ms(t0));
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

   BuildOpResolver* r_;
  const llb::Op& op_;
  llb::FileOp f_;
};

// cp -a SRC/. DST/ (keeps owners, modes, times, xattrs, devices: overlay whiteouts).
Status CopyTree(const std::string& src, const std::string& dst) {
  std::string s = src + "/.", d = dst + "/";
  const char* argv[] = {"cp", "-a", s.c_str(), d.c_str(), nullptr};
  pid_t pid;
  if (posix_spawnp(&pid, "cp", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    return Status::FromErrno(errno, "spawn cp");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Status::IOError("cp -a " + src + " " + dst + " failed");
  return Status::OK();
}

class MergeOpImpl : public OpImpl {
 public:
  MergeOpImpl(BuildOpResolver* r) : r_(r) {}
  Result<CacheMap> GetCacheMap(const OpContext&) override { return CacheMap{}; }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    auto& d = r_->deps();
    if (ctx.inputs.empty()) return std::vector<ValuePtr>{std::make_shared<SnapshotValue>("")};
    ASSIGN_OR_RETURN(std::string cur, SnapshotKeyOf(ctx.inputs[0]));
    for (size_t k = 1; k < ctx.inputs.size(); k++) {
      ASSIGN_OR_RETURN(std::string top, SnapshotKeyOf(ctx.inputs[k]));
      std::vector<std::string> chain;
      for (std::string s = top; !s.empty();) {
        chain.insert(chain.begin(), s);
        ASSIGN_OR_RETURN(auto info, d.snapshotter->Stat(s));
        s = info.parent;
      }
      for (const auto& s : chain) {
        ASSIGN_OR_RETURN(auto act, ActiveSnapshot::Prepare(r_, cur));
        ASSIGN_OR_RETURN(std::string layer_dir, d.snapshotter->LayerDir(s));
        std::string target = act->spec().type == "overlay" ? act->spec().upper : act->spec().dir;
        RETURN_IF_ERROR(CopyTree(layer_dir, target));
        ASSIGN_OR_RETURN(cur, act->Commit());
        auto layers = d.metadata->SnapshotLayers(s);
        if (layers.ok())
          for (const auto& l : *layers) (void)d.metadata->PutSnapshotLayer(cur, l);
      }
    }
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(cur)};
  }

 private:
  BuildOpResolver* r_;
};

}  // namespace

Result<std::unique_ptr<OpImpl>> NewFileOp(BuildOpResolver* r, const llb::Op& op, const llb::FileOp& f) {
  return std::unique_ptr<OpImpl>(new FileOpImpl(r, op, f));
}

Result<std::unique_ptr<OpImpl>> NewMergeOp(BuildOpResolver* r, const llb::Op& op) {
  return std::unique_ptr<OpImpl>(new MergeOpImpl(r));
}

}  // namespace kiln::solver
