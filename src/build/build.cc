#include "build/build.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "build/context.h"
#include "build/export.h"
#include "build/flags.h"
#include "build/merge.h"
#include "solver/build_result.h"
#include "solver/snapshot_cache.h"

namespace kiln::build {
namespace {

// Resolves FROM images for the lowering through the registry's image source.
class SourceMetaResolver : public frontend::ImageMetaResolver {
 public:
  explicit SourceMetaResolver(registry::ImageSource* src) : src_(src) {}
  Result<ImageMeta> Resolve(const Reference& ref, const oci::Platform& platform) override {
    ASSIGN_OR_RETURN(auto img, src_->Resolve(ref, platform));
    return ImageMeta{img.Digest(), img.config_json};
  }

 private:
  registry::ImageSource* src_;
};

// Logs how long each phase took (--log-level debug).
struct PhaseTimer {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void Mark(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("build: {} took {:.1f} ms", phase, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  }
};

bool Allowed(const BuildTarget& t, const std::string& entitlement) {
  return std::find(t.allow.begin(), t.allow.end(), entitlement) != t.allow.end();
}

// The target's flags that need no store: --platform (only the host can be built),
// --network, --allow.
Result<runner::ProcessSpec::Network> ValidateTarget(const BuildTarget& t) {
  ASSIGN_OR_RETURN(auto p, ParsePlatformFlag(t.dockerfile.platform));
  auto host = oci::HostPlatform();
  if (p && (p->os != host.os || p->architecture != host.architecture))
    return Status::Unimplemented("--platform " + t.dockerfile.platform + ": only the host platform (" +
                                 host.ToString() + ") can be built for now");
  auto network = runner::ProcessSpec::Network::kHost;
  if (t.network == "none") network = runner::ProcessSpec::Network::kNone;
  else if (t.network != "default" && t.network != "host")
    return Status::InvalidArgument("--network " + t.network + ": unknown mode").WithHint("use default, none or host");
  for (const auto& a : t.allow)
    if (a != "network.host" && a != "security.insecure")
      return Status::InvalidArgument("--allow " + a + ": unknown entitlement").WithHint("use network.host or security.insecure");
  if (t.network == "host" && !Allowed(t, "network.host"))
    return Status::PermissionDenied("--network host: network.host is not allowed").WithHint("pass --allow network.host");
  return network;
}

// RUN --network=host and RUN --security=insecure need buildx's entitlements
// (--allow), checked before anything runs, as BuildKit does; the error points
// at the first RUN that needs one.
Status CheckEntitlements(const llb::Definition& def, const BuildTarget& t) {
  for (const auto& digest : def.order) {
    const auto* e = std::get_if<llb::ExecOp>(&def.ops.at(digest).kind);
    if (!e) continue;
    std::string need = e->network == llb::NetworkMode::kHost ? "network.host"
                       : e->security == llb::SecurityMode::kInsecure ? "security.insecure" : "";
    if (need.empty() || Allowed(t, need)) continue;
    Status st = Status::PermissionDenied(need + " is not allowed").WithHint("pass --allow " + need + " to kiln build");
    auto m = def.metadata.find(digest);
    if (m != def.metadata.end() && !m->second.source.empty())
      st = st.WithLocation({def.source_file, m->second.source[0].start_line, m->second.source[0].start_col});
    return st;
  }
  return Status::OK();
}

// One target on its way through a build.
struct Prepared {
  DockerfileFlags flags;          // with the context made local
  std::optional<TempDir> holder;  // a fetched context, removed at the end
  LoadedDockerfile loaded;
  llb::Definition def;            // local sources renamed for the merged solve
  runner::ProcessSpec::Network network = runner::ProcessSpec::Network::kHost;
};

class Builder {
 public:
  Builder(const BuildEnv& env, const BuildRequest& req, BuildSink& sink) : env_(env), req_(req), sink_(sink) {}
  BuildResult Run();

 private:
  bool Fail(BuildPhase phase, Status st, size_t target = 0);
  bool Load(size_t i);
  bool Lower(size_t i);
  bool Merge();
  void ImportCache(solver::SnapshotCache& cache, solver::CacheImporter& importer);
  bool Solve(solver::BuildOpResolver& resolver);
  bool InlineCache(solver::BuildOpResolver& resolver);
  bool ExportTargets(solver::BuildOpResolver& resolver);
  bool ExportCache(solver::BuildOpResolver& resolver);
  bool WriteFiles();
  solver::BuildDeps Deps() const;

  const BuildEnv& env_;
  const BuildRequest& req_;
  BuildSink& sink_;
  BuildResult res_;
  PhaseTimer timer_;
  std::vector<Prepared> targets_;
  llb::Definition merged_;
  std::map<std::string, std::string> local_dirs_;
  std::vector<std::string> solved_keys_;
  std::vector<nlohmann::json> configs_;  // each target's image config (with inline cache)
};

bool Builder::Fail(BuildPhase phase, Status st, size_t target) {
  res_.status = std::move(st);
  res_.failed = phase;
  res_.failed_target = target;
  if (target < targets_.size()) {
    res_.source_file = targets_[target].loaded.display_name;
    res_.source_text = targets_[target].loaded.text;
  }
  return false;
}

// Context, Dockerfile, parse.
bool Builder::Load(size_t i) {
  const BuildTarget& t = req_.targets[i];
  Prepared& p = targets_[i];
  auto network = ValidateTarget(t);
  if (!network.ok()) return Fail(BuildPhase::kLoad, network.status(), i);
  p.network = *network;
  p.flags = t.dockerfile;
  if (Status st = LocalizeContext(p.flags, env_.root, p.holder); !st.ok()) return Fail(BuildPhase::kLoad, st, i);
  auto loaded = LoadDockerfile(p.flags, &p.loaded.text);
  if (!loaded.ok()) return Fail(BuildPhase::kLoad, loaded.status(), i);
  p.loaded = std::move(loaded).value();
  timer_.Mark("parse");
  return true;
}

// Lowering, with the build checks run once (including those lowering found,
// even when it fails) and reported through the sink.
bool Builder::Lower(size_t i) {
  const BuildTarget& t = req_.targets[i];
  Prepared& p = targets_[i];
  SourceMetaResolver meta(env_.images);
  frontend::LowerOptions lo = p.loaded.lower;
  lo.resolver = &meta;
  std::vector<llb::Definition::CheckWarning> external;
  lo.on_check_warning = [&](const llb::Definition::CheckWarning& w) { external.push_back(w); };
  auto def = frontend::Lower(p.loaded.ast, lo);
  if (t.build_checks) {
    for (auto& x : BuildChecks(p.loaded, external)) {
      sink_.CheckWarning(i, x);
      res_.warnings.push_back(std::move(x));
    }
  }
  timer_.Mark("lower");
  if (!def.ok()) return Fail(BuildPhase::kLoad, def.status(), i);
  def->source_file = p.loaded.display_name;
  if (def->source_text.empty()) def->source_text = p.loaded.text;
  if (Status st = CheckEntitlements(*def, t); !st.ok()) return Fail(BuildPhase::kLoad, st, i);
  p.def = std::move(def).value();
  return true;
}

// One DAG for every target; local directories by (possibly renamed) name.
bool Builder::Merge() {
  for (size_t i = 0; i < targets_.size(); i++) {
    Prepared& p = targets_[i];
    auto dirs = LocalDirs(p.def, p.flags.context);
    for (const auto& [name, v] : p.loaded.lower.build_contexts)
      if (v.find("://") == std::string::npos) dirs[name] = v;
    p.def = RenameLocalSources(p.def, ClaimLocalNames(local_dirs_, dirs, i));
    if (i > 0 && p.network != targets_[0].network)
      return Fail(BuildPhase::kLoad, Status::Unimplemented("targets with different --network in one build"), i);
    MergeOps(merged_, p.def);
    configs_.push_back(p.def.image_config);
  }
  merged_.source_file = targets_[0].def.source_file;
  merged_.source_text = targets_[0].def.source_text;
  return true;
}

solver::BuildDeps Builder::Deps() const {
  solver::BuildDeps deps;
  deps.root = env_.root;
  deps.content = env_.content;
  deps.metadata = env_.metadata;
  deps.snapshotter = env_.snapshotter;
  deps.images = env_.images;
  deps.executor = env_.executor;
  deps.local_dirs = local_dirs_;
  deps.network = targets_[0].network;
  deps.resources = req_.targets[0].resources;
  for (const auto& t : req_.targets) {
    deps.secrets.insert(t.secrets.begin(), t.secrets.end());
    deps.ssh.insert(t.ssh.begin(), t.ssh.end());
  }
  return deps;
}

// --cache-from: records without snapshots; their blobs are fetched on a hit.
void Builder::ImportCache(solver::SnapshotCache& cache, solver::CacheImporter& importer) {
  for (const auto& spec : req_.cache_from) {
    auto n = importer.Import(spec);
    if (!n.ok()) sink_.Warn("--cache-from " + spec.text + ": " + n.status().ToString() + " (building without it)");
    else spdlog::debug("build: imported {} cache records from {}", *n, spec.text);
  }
  if (!req_.cache_from.empty())
    cache.SetImport(env_.content, [&importer](const cache::LayerRecord& l) { return importer.Fetch(l); });
  timer_.Mark("cache import");
}

// The digest's target (for source lines of a failure): the first that has it.
size_t TargetOf(const std::vector<Prepared>& targets, const std::string& digest) {
  for (size_t i = 0; i < targets.size(); i++)
    if (targets[i].def.ops.count(digest)) return i;
  return 0;
}

bool Builder::Solve(solver::BuildOpResolver& resolver) {
  solver::SnapshotCache cache(env_.metadata, env_.snapshotter);
  solver::CacheImporter importer(env_.metadata, env_.content, env_.client);
  ImportCache(cache, importer);
  solver::SolveOptions so;
  so.max_parallelism = req_.max_parallelism;
  solver::Scheduler scheduler(&resolver, &cache, &sink_, so);
  std::vector<llb::Edge> edges;
  for (const auto& p : targets_)
    if (p.def.output) edges.push_back(*p.def.output);
  res_.targets.resize(targets_.size());
  sink_.SolveStarted([&scheduler] { scheduler.Cancel(); });
  if (edges.empty()) {
    sink_.SolveEnded();
    return true;
  }
  auto solved = scheduler.Solve(merged_, edges);
  sink_.SolveEnded();
  timer_.Mark("solve");
  if (!solved.ok()) {
    res_.solve_failure = scheduler.failure();
    size_t i = res_.solve_failure ? TargetOf(targets_, res_.solve_failure->digest) : 0;
    Status st = solved.status();
    if (i > 0 && st.location().known()) st = st.WithLocation({targets_[i].def.source_file, st.location().line, st.location().column});
    return Fail(BuildPhase::kSolve, st, i);
  }
  for (size_t i = 0, k = 0; i < targets_.size(); i++) {
    if (!targets_[i].def.output) continue;
    auto key = solver::SnapshotKeyOfValue(solved->outputs[k++]);
    if (!key.ok()) return Fail(BuildPhase::kSolve, key.status(), i);
    res_.targets[i].snapshot = *key;
  }
  for (const auto& [op, k] : solved->keys) solved_keys_.push_back(k);
  res_.executed = solved->executed;
  res_.cached = solved->cached;
  return true;
}

// --cache-to type=inline: the records of each image's own steps go into its config.
bool Builder::InlineCache(solver::BuildOpResolver& resolver) {
  for (const auto& spec : req_.cache_to) {
    if (spec.type != solver::CacheSpec::Type::kInline) continue;
    for (size_t i = 0; i < targets_.size(); i++) {
      auto recs = solver::CollectCacheRecords(&resolver, solved_keys_, res_.targets[i].snapshot, false);
      if (!recs.ok()) return Fail(BuildPhase::kCacheExport, recs.status().WithContext("--cache-to type=inline"), i);
      configs_[i][cache::kCacheExportKey] = cache::CacheRecordsToJson(*recs)[cache::kCacheExportKey];
    }
    break;
  }
  return true;
}

bool Builder::ExportTargets(solver::BuildOpResolver& resolver) {
  for (size_t i = 0; i < targets_.size(); i++) {
    const BuildTarget& t = req_.targets[i];
    solver::SnapshotBuildResult result(&resolver, res_.targets[i].snapshot, configs_[i]);
    ExportEnv ee{env_.content, env_.metadata, env_.client, std::nullopt,
                 [this](const std::string& n, const std::string& d) { sink_.Pushed(n, d); }};
    if (auto it = targets_[i].def.attrs.find("source_date_epoch"); it != targets_[i].def.attrs.end())
      ee.source_date_epoch = std::stoll(it->second);
    std::vector<exporter::OutputSpec> outputs = t.outputs;
    if (outputs.empty()) outputs.push_back(exporter::OutputSpec{});  // the local image store
    std::string prefix = i == 0 ? "export:" : "export:" + std::to_string(i) + ":";
    ExportOutcome out = ExportOutputs(result, outputs, t.tags, ee, sink_, prefix);
    if (!out.status.ok()) return Fail(out.finalizing ? BuildPhase::kFinalize : BuildPhase::kExport, out.status, i);
    res_.targets[i].exports = std::move(out.responses);
  }
  return true;
}

// --cache-to type=local / type=registry, after the images: every target's records.
bool Builder::ExportCache(solver::BuildOpResolver& resolver) {
  for (const auto& spec : req_.cache_to) {
    if (spec.type == solver::CacheSpec::Type::kInline) continue;
    solver::ProgressEvent ev;
    ev.vertex = "export:cache:" + spec.text;
    ev.name = std::string("exporting cache to ") + (spec.type == solver::CacheSpec::Type::kLocal ? "client directory" : "registry");
    ev.kind = solver::ProgressEvent::Kind::kStarted;
    sink_.Event(ev);
    std::vector<cache::CacheRecord> all;
    Status st;
    for (size_t i = 0; i < targets_.size() && st.ok(); i++) {
      auto recs = solver::CollectCacheRecords(&resolver, solved_keys_, res_.targets[i].snapshot, spec.max);
      if (!recs.ok()) st = recs.status();
      else
        for (auto& r : *recs)
          if (std::none_of(all.begin(), all.end(), [&](const auto& x) { return x.key == r.key; })) all.push_back(std::move(r));
    }
    if (st.ok()) st = solver::ExportCache(spec, all, *env_.content, *env_.client);
    ev.kind = st.ok() ? solver::ProgressEvent::Kind::kDone : solver::ProgressEvent::Kind::kError;
    ev.data = st.ok() ? "" : st.message();
    sink_.Event(ev);
    if (!st.ok()) return Fail(BuildPhase::kCacheExport, st);
  }
  return true;
}

// --iidfile and --metadata-file of each target.
bool Builder::WriteFiles() {
  for (size_t i = 0; i < targets_.size(); i++) {
    const BuildTarget& t = req_.targets[i];
    const exporter::ExportResponse* image = res_.targets[i].Image();
    if (!t.iidfile.empty()) {
      if (!image) return Fail(BuildPhase::kMetadata, Status::FailedPrecondition("--iidfile: the outputs made no image"), i);
      if (Status st = WriteFileAtomic(t.iidfile, image->config_digest); !st.ok()) return Fail(BuildPhase::kMetadata, st, i);
    }
    if (!t.metadata_file.empty())
      if (Status st = WriteFileAtomic(t.metadata_file, BuildMetadataJson(image)); !st.ok())
        return Fail(BuildPhase::kMetadata, st, i);
  }
  return true;
}

BuildResult Builder::Run() {
  if (req_.targets.empty()) {
    Fail(BuildPhase::kLoad, Status::InvalidArgument("a build needs at least one target"));
    return std::move(res_);
  }
  targets_.resize(req_.targets.size());
  for (size_t i = 0; i < targets_.size(); i++)
    if (!Load(i) || !Lower(i)) return std::move(res_);
  if (!Merge()) return std::move(res_);
  solver::BuildOpResolver resolver(Deps());
  bool ok = Solve(resolver) && InlineCache(resolver) && ExportTargets(resolver) && ExportCache(resolver);
  sink_.Close();
  timer_.Mark("export");
  Status fin = resolver.Finish();
  timer_.Mark("finish");
  if (ok && !fin.ok()) spdlog::warn("{}", fin.ToString());
  if (ok) WriteFiles();
  return std::move(res_);
}

}  // namespace

const exporter::ExportResponse* TargetResult::Image() const {
  for (const auto& e : exports)
    if (!e.config_digest.empty()) return &e;
  return nullptr;
}

BuildResult Build(const BuildEnv& env, const BuildRequest& req, BuildSink& sink) {
  return Builder(env, req, sink).Run();
}

}  // namespace kiln::build
