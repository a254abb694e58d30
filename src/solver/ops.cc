// The resolver and the source ops (docker-image://, local://; git and http(s)
// sources are in ops_git.cc and ops_http.cc).
#include "solver/ops.h"

#include <atomic>
#include <chrono>
#include <random>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "base/reference.h"
#include "cache/layer_apply.h"
#include "solver/build_values.h"
#include "solver/ops_internal.h"

namespace kiln::solver {

BuildOpResolver::BuildOpResolver(BuildDeps deps) : deps_(std::move(deps)) {}
BuildOpResolver::~BuildOpResolver() = default;

std::string BuildOpResolver::NewKey(const std::string& prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t seed = std::random_device{}() ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return prefix + "-" + Sha256Hex(std::to_string(seed) + "/" + std::to_string(counter++)).substr(0, 20);
}

Result<MountNamespace*> BuildOpResolver::Mounts() {
  std::lock_guard l(mu_);
  if (!mounts_) {
    ASSIGN_OR_RETURN(mounts_, MountNamespace::Create());
  }
  return mounts_.get();
}

Result<std::shared_ptr<ContextChecksummer>> BuildOpResolver::Context(const std::string& name,
                                                                      const std::vector<std::string>& excludes,
                                                                      const std::vector<std::string>& includes) {
  std::lock_guard l(mu_);
  auto it = deps_.local_dirs.find(name);
  if (it == deps_.local_dirs.end())
    return Status::NotFound("no build context named `" + name + "`").WithHint("pass it with --build-context " + name + "=DIR");
  std::string id = name + "\n" + nlohmann::json(excludes).dump() + nlohmann::json(includes).dump();
  auto& slot = contexts_[id];
  if (!slot) {
    char real[PATH_MAX];
    std::string dir = realpath(it->second.c_str(), real) ? std::string(real) : it->second;
    ContextOptions o;
    o.dir = dir;
    o.exclude_patterns = excludes;
    o.include_patterns = includes;
    o.stat_cache_file = deps_.root + "/statcache/" + Sha256Hex(dir + "\n" + id).substr(0, 32);
    ASSIGN_OR_RETURN(auto sum, ContextChecksummer::Open(std::move(o)));
    slot = std::shared_ptr<ContextChecksummer>(std::move(sum));
  }
  return slot;
}

Status BuildOpResolver::Finish() {
  std::lock_guard l(mu_);
  for (auto& [id, c] : contexts_) RETURN_IF_ERROR(c->Save());
  mounts_.reset();
  return Status::OK();
}

namespace {

std::vector<std::string> JsonList(const std::map<std::string, std::string>& attrs, const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return {};
  try {
    return nlohmann::json::parse(it->second).get<std::vector<std::string>>();
  } catch (...) {
    return {};
  }
}

// local://NAME: never cached; dependents key on the files they use.
class LocalSourceOp : public OpImpl {
 public:
  LocalSourceOp(BuildOpResolver* r, std::string name, const llb::SourceOp& src) : r_(r), name_(std::move(name)), src_(src) {}
  Result<CacheMap> GetCacheMap(const OpContext&) override {
    CacheMap cm;
    cm.cacheable = false;
    return cm;
  }
  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    // followpaths only narrow what BuildKit transfers; the checksum already covers
    // exactly the files each op uses, so they are not applied as filters here.
    ASSIGN_OR_RETURN(auto sum, r_->Context(name_, JsonList(src_.attrs, "excludepatterns"), JsonList(src_.attrs, "includepatterns")));
    return std::vector<ValuePtr>{std::make_shared<LocalValue>(name_, sum, r_->Scratch())};
  }

 private:
  BuildOpResolver* r_;
  std::string name_;
  llb::SourceOp src_;
};

// docker-image://REF: keyed on the resolved manifest; unpacked layer by layer
// into snapshots named by chain ID, so images sharing layers share snapshots.
class ImageSourceOp : public OpImpl {
 public:
  ImageSourceOp(BuildOpResolver* r, const llb::SourceOp& src) : r_(r), src_(src) {}

  Result<CacheMap> GetCacheMap(const OpContext&) override {
    RETURN_IF_ERROR(ResolveOnce());
    CacheMap cm;
    cm.extra = image_.manifest.digest;
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    RETURN_IF_ERROR(ResolveOnce());
    auto& d = r_->deps();
    std::vector<std::string> diff_ids;
    try {
      auto cfg = nlohmann::json::parse(image_.config_json);
      diff_ids = cfg.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
    } catch (...) {
      return Status::Corruption("image " + image_.ref.String() + ": config has no rootfs.diff_ids");
    }
    if (diff_ids.size() != image_.layers.size())
      return Status::Corruption("image " + image_.ref.String() + ": " + std::to_string(image_.layers.size()) +
                                " layers but " + std::to_string(diff_ids.size()) + " diff_ids");
    // Built here before: the snapshot the export recorded for this chain.
    if (!diff_ids.empty()) {
      std::string top = ChainId(diff_ids);
      auto own = d.snapshotter->Stat("layer-" + std::string(DigestHex(top)));
      if (!own.ok() || !own->committed) {
        auto snap = d.metadata->ChainSnapshot(top);
        if (snap.ok()) {
          auto st = d.snapshotter->Stat(*snap);
          if (st.ok() && st->committed) return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(*snap)};
        }
      }
    }
    bool fetched = false;
    std::string chain, parent;
    for (size_t i = 0; i < diff_ids.size(); i++) {
      chain = NextChainId(chain, diff_ids[i]);
      std::string key = "layer-" + std::string(DigestHex(chain));
      auto st = d.snapshotter->Stat(key);
      if (!st.ok() || !st->committed) {
        if (ctx.cancel->cancelled()) return Status::Cancelled("build cancelled");
        if (!fetched) {
          ctx.log("resolve " + image_.ref.String() + "\n");
          RETURN_IF_ERROR(d.images->Fetch(image_));
          fetched = true;
        }
        const auto& blob = image_.layers[i];
        ctx.log("extracting " + blob.digest + "\n");
        std::string active = r_->NewKey("extract");
        ASSIGN_OR_RETURN(auto mounts, d.snapshotter->Prepare(active, parent));
        (void)mounts;
        ASSIGN_OR_RETURN(std::string path, d.content->Path(blob.digest));
        auto applied = cache::ApplyLayerToSnapshot(path, *d.snapshotter, active);
        if (!applied.ok()) {
          (void)d.snapshotter->Remove(active);
          return applied.status().WithContext("unpack layer " + blob.digest + " of " + image_.ref.String());
        }
        Status c = d.snapshotter->Commit(key, active);
        if (!c.ok()) {
          (void)d.snapshotter->Remove(active);
          auto again = d.snapshotter->Stat(key);  // another build committed it first
          if (!again.ok() || !again->committed) return c;
        } else {
          cache::LayerRecord lr{blob.digest, blob.media_type, blob.size, diff_ids[i]};
          (void)d.metadata->PutSnapshotLayer(key, lr);
        }
      }
      parent = key;
    }
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(parent)};
  }

 private:
  Status ResolveOnce() {
    std::lock_guard l(mu_);
    if (resolved_) return Status::OK();
    std::string s = src_.identifier.substr(std::string("docker-image://").size());
    ASSIGN_OR_RETURN(Reference ref, ParseReference(s));
    oci::Platform p = r_->deps().platform;
    if (auto it = src_.attrs.find("platform"); it != src_.attrs.end())
      if (auto pp = oci::ParsePlatform(it->second)) p = *pp;
    if (!r_->deps().images) return Status::FailedPrecondition("no image source to resolve " + s);
    ASSIGN_OR_RETURN(image_, r_->deps().images->Resolve(ref, p));
    resolved_ = true;
    return Status::OK();
  }

  BuildOpResolver* r_;
  llb::SourceOp src_;
  std::mutex mu_;
  bool resolved_ = false;
  registry::ResolvedImage image_;
};

}  // namespace

Result<std::unique_ptr<OpImpl>> BuildOpResolver::Resolve(const std::string& digest, const llb::Op& op,
                                                         const llb::OpMetadata& meta) {
  if (auto* s = std::get_if<llb::SourceOp>(&op.kind)) {
    const std::string& id = s->identifier;
    if (id.rfind("local://", 0) == 0) return std::unique_ptr<OpImpl>(new LocalSourceOp(this, id.substr(8), *s));
    if (id.rfind("docker-image://", 0) == 0) return std::unique_ptr<OpImpl>(new ImageSourceOp(this, *s));
    if (id.rfind("git://", 0) == 0) return NewGitSourceOp(this, *s);
    if (id.rfind("http://", 0) == 0 || id.rfind("https://", 0) == 0) return NewHttpSourceOp(this, *s);
    return Status::Unimplemented("source `" + id + "` is not supported yet");
  }
  if (auto* e = std::get_if<llb::ExecOp>(&op.kind)) return NewExecOp(this, op, *e);
  if (auto* f = std::get_if<llb::FileOp>(&op.kind)) return NewFileOp(this, op, *f);
  return NewMergeOp(this, op);
}

}  // namespace kiln::solver
