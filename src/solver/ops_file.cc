// FileOp (COPY, ADD, WORKDIR's mkdir, ...) via kiln_fileop on mounted views,
// and MergeOp (COPY --link): the inputs' layers restacked on the first input.
#include <spawn.h>
#include <sys/wait.h>

#include <set>

#include "fileop/fileop.h"
#include "solver/ops_internal.h"

extern char** environ;

namespace kiln::solver {
namespace {

class FileOpImpl : public OpImpl {
 public:
  FileOpImpl(BuildOpResolver* r, const llb::Op& op, const llb::FileOp& f) : r_(r), op_(op), f_(f) {}

  Result<CacheMap> GetCacheMap(const OpContext&) override {
    CacheMap cm;
    cm.content_paths.resize(op_.inputs.size());
    std::map<int, std::set<std::string>> paths;
    for (const auto& a : f_.actions)
      if (auto* c = std::get_if<llb::CopyAction>(&a); c && c->source >= 0) paths[c->source].insert(c->src.empty() ? "/" : c->src);
    for (auto& [in, p] : paths)
      if (in != f_.dest && static_cast<size_t>(in) < cm.content_paths.size())
        cm.content_paths[in] = std::vector<std::string>(p.begin(), p.end());
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    auto input = [&](int i) -> ValuePtr { return i >= 0 && static_cast<size_t>(i) < ctx.inputs.size() ? ctx.inputs[i] : nullptr; };
    ASSIGN_OR_RETURN(std::string parent, SnapshotKeyOf(input(f_.dest)));
    ASSIGN_OR_RETURN(auto dest, ActiveSnapshot::Prepare(r_, parent));
    fileop::FileOpContext fctx;
    ASSIGN_OR_RETURN(fctx.dest_root, dest->Dir());
    std::set<int> used;
    for (const auto& a : f_.actions)
      if (auto* c = std::get_if<llb::CopyAction>(&a); c && c->source >= 0) used.insert(c->source);
    std::vector<std::unique_ptr<InputView>> views;
    fctx.input_roots.resize(ctx.inputs.size());
    for (int i : used) {
      if (static_cast<size_t>(i) >= ctx.inputs.size()) return Status::InvalidArgument("copy source input " + std::to_string(i) + " does not exist");
      ASSIGN_OR_RETURN(auto v, InputView::Open(r_, ctx.inputs[i]));
      fctx.input_roots[i] = v->dir();
      if (v->is_context()) fctx.root_owned_inputs.push_back(i);
      views.push_back(std::move(v));
    }
    if (ctx.cancel->cancelled()) return Status::Cancelled("build cancelled");
    RETURN_IF_ERROR(fileop::Apply(f_, fctx));
    views.clear();
    ASSIGN_OR_RETURN(std::string key, dest->Commit());
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

 private:
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
