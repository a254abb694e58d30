// kiln build: Dockerfile -> Ast -> DAG -> solved snapshots -> exporters.
// The one place where the solver's collaborators are chosen: the local store
// (content, metadata, snapshots), the registry's image source, the namespace
// executor and the exporters.
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/log.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "cache/snapshotter.h"
#include "cache/push_layers.h"
#include "cli/app.h"
#include "cli/stores.h"
#include "cli/registry_cli.h"
#include "exporter/exporter.h"
#include "exporter/output.h"
#include "fileop/unpack.h"
#include "frontend/diagnostic.h"
#include "frontend/dockerignore.h"
#include "frontend/lower.h"
#include "frontend/parser.h"
#include "lint/format.h"
#include "lint/lint.h"
#include "registry/client.h"
#include "registry/image_source.h"
#include "registry/push.h"
#include "runner/executor.h"
#include "runner/resources.h"
#include "solver/build_result.h"
#include "solver/cache_io.h"
#include "solver/ops.h"
#include "solver/progress_printer.h"
#include "solver/remote_context.h"
#include "solver/scheduler.h"
#include "solver/snapshot_cache.h"

namespace kiln::cli {
namespace {

struct BuildFlags {
  std::string context;
  std::string file;
  std::vector<std::string> tags, build_args, no_cache_filter, secrets, ssh, labels, outputs, build_contexts, cache_to,
      cache_from;
  std::string target, platform, network = "default", progress = "auto", iidfile, metadata_file;
  std::vector<std::string> allow;  // --allow network.host|security.insecure (buildx's entitlements)
  bool no_cache = false, pull = false, quiet = false, check = false, push = false;
  RegistryFlags reg;
  runner::ResourceFlags resources;  // --memory, --cpu-quota, --cpu-period, --pids-limit
  int max_parallelism = 0;
};

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

// Ctrl-C / SIGTERM: the handler only does async-signal-safe things (kill the
// containers, post a semaphore); a watcher thread then cancels the build, which
// stops cleanly (nothing half-built is cached) and exits 1.
sem_t g_signal_sem;
std::atomic<bool> g_signalled{false};

void OnSignal(int) {
  runner::KillAllContainers();
  g_signalled.store(true);
  sem_post(&g_signal_sem);
}

class SignalWatcher {
 public:
  explicit SignalWatcher(solver::Scheduler* s) {
    sem_init(&g_signal_sem, 0, 0);
    thread_ = std::thread([s] {
      sem_wait(&g_signal_sem);
      if (g_signalled.load()) s->Cancel();
    });
    signal(SIGINT, OnSignal);
    signal(SIGTERM, OnSignal);
  }
  ~SignalWatcher() {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sem_post(&g_signal_sem);  // wakes the watcher without a signal
    thread_.join();
  }

 private:
  std::thread thread_;
};

// "K=V" or "K" (taken from the environment, skipped when unset).
std::map<std::string, std::string> ParseBuildArgs(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      out[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (const char* v = getenv(a.c_str())) {
      out[a] = v;
    }
  }
  return out;
}

// id=ID,src=PATH | id=ID,env=VAR | id=ID (env var ID, or file ID? as buildx: env first)
Result<std::pair<std::string, solver::SecretSource>> ParseSecret(const std::string& s) {
  std::string id, src, env, type;
  ASSIGN_OR_RETURN(auto kvs, exporter::SplitKeyValues("--secret", s));
  for (const auto& [k, v] : kvs) {
    if (k == "id") id = v;
    else if (k == "src" || k == "source") src = v;
    else if (k == "env") env = v;
    else if (k == "type") type = v;
    else return Status::InvalidArgument("--secret " + s + ": unknown key `" + k + "`").WithHint("use id=ID,src=PATH or id=ID,env=VAR");
  }
  if (id.empty() && !src.empty()) id = src.substr(src.rfind('/') + 1);
  if (id.empty() && !env.empty()) id = env;
  if (id.empty()) return Status::InvalidArgument("--secret " + s + ": no id").WithHint("use id=ID,src=PATH or id=ID,env=VAR");
  solver::SecretSource out;
  if (!env.empty()) out.env = env;
  else if (!src.empty()) out.file = src;
  else if (getenv(id.c_str())) out.env = id;
  else out.file = id;
  if (!out.file.empty() && !PathExists(out.file))
    return Status::NotFound("--secret " + s + ": file `" + out.file + "` not found");
  return std::make_pair(id, out);
}

bool IsBuildCheck(const lint::Finding& x) {
  const lint::RuleInfo* r = lint::FindRule(x.code);
  return r && r->kind == lint::RuleKind::kBuildCheck;
}

// BuildKit's view of a Dockerfile location: "FILE:LINE", the lines around it
// with ">>>" marking the range, between dashed rules.
void PrintSourceSnippet(FILE* out, const std::string& file, const std::string& text, int start, int end) {
  fprintf(out, "%s:%d\n--------------------\n", file.c_str(), start);
  std::vector<std::string> lines;
  std::string cur;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  end = std::max(end, start);
  int from = std::max(1, start - 2), to = std::min<int>(lines.size(), end + 2);
  for (int i = from; i <= to; i++) {
    bool hit = i >= start && i <= end;
    fprintf(out, " %3d | %s %s\n", i, hit ? ">>>" : "   ", lines[i - 1].c_str());
  }
  fprintf(out, "--------------------\n");
}

// --check, as `docker build --check` (--call=check): BuildKit's build checks
// only, nothing is built. Prints "Check complete, ..." and each finding with its
// rule URL and source snippet to stdout; returns 1 when any was found.
int CheckDockerfile(const frontend::Ast& ast, const std::string& display_name, const std::string& text,
                    lint::LintOptions opts) {
  opts.shellcheck = false;
  opts.build_checks = true;
  std::vector<lint::Finding> found;
  for (auto& x : lint::Lint(ast, opts))
    if (IsBuildCheck(x)) found.push_back(std::move(x));
  if (found.empty()) {
    printf("Check complete, no warnings found.\n");
    return 0;
  }
  printf("Check complete, %zu %s been found!\n", found.size(),
         found.size() == 1 ? "warning has" : "warnings have");
  for (const auto& x : found) {
    printf("\nWARNING: %s - %s\n%s\n", x.code.c_str(), lint::BuildCheckUrl(x.code).c_str(), x.message.c_str());
    fflush(stdout);
    PrintSourceSnippet(stdout, display_name, text, x.line, x.line);
  }
  fflush(stdout);
  return 1;
}

// A normal build: BuildKit's build checks only, printed as BuildKit prints them
// when the Dockerfile is loaded; returned for the summary at the end.
// `only`, when given, keeps the findings it accepts.
std::vector<lint::Finding> WarnBuildChecks(const frontend::Ast& ast, lint::LintOptions opts,
                                           const std::function<bool(const lint::Finding&)>& only = nullptr) {
  opts.shellcheck = false;
  opts.build_checks = true;
  std::vector<lint::Finding> found;
  for (auto& x : lint::Lint(ast, opts)) {
    if (!IsBuildCheck(x) || (only && !only(x))) continue;
    fprintf(stderr, "WARN: %s: %s (line %d)\n", x.code.c_str(), x.message.c_str(), x.line);
    found.push_back(std::move(x));
  }
  return found;
}

// The summary docker build (buildx) prints once the build is over.
void SummarizeBuildChecks(const std::vector<lint::Finding>& found) {
  if (found.empty()) return;
  fprintf(stderr, " %zu %s found (use kiln build --check to expand):\n", found.size(),
          found.size() == 1 ? "warning" : "warnings");
  for (const auto& x : found) fprintf(stderr, " - %s: %s (line %d)\n", x.code.c_str(), x.message.c_str(), x.line);
}

Status PrintFailure(const solver::SolveFailure& f, const llb::Definition& def) {
  if (f.description.empty()) return Status::OK();  // cancelled, or not an op's failure
  fprintf(stderr, "------\n > %s:\n", f.description.c_str());
  for (const auto& l : f.last_lines) fprintf(stderr, "%s\n", l.c_str());
  fprintf(stderr, "------\n");
  if (!f.source.empty() && f.source[0].start_line > 0) {
    const auto& r = f.source[0];
    PrintSourceSnippet(stderr, def.source_file, def.source_text, r.start_line, r.end_line);
  }
  return Status::OK();
}

// Logs how long each phase took (--log-level debug).
struct PhaseTimer {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void Mark(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    spdlog::debug("build: {} took {:.1f} ms", phase, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  }
};

// The progress name BuildKit's exporter of this type shows.
const char* ExportVertexName(exporter::OutputType t) {
  switch (t) {
    case exporter::OutputType::kOci: return "exporting to oci image format";
    case exporter::OutputType::kDocker: return "exporting to docker image format";
    case exporter::OutputType::kLocal: return "exporting to client directory";
    case exporter::OutputType::kTar: return "exporting to client tarball";
    case exporter::OutputType::kImage: break;
  }
  return "exporting to image";
}

// `kiln build -` (docker build -): stdin is the context as a tar (any compression
// ADD extracts), or a Dockerfile alone with an empty context. Unpacked into a
// temporary directory under ROOT/tmp that `holder` removes; f.context (and
// f.file, relative to the context as docker reads it) are pointed into it.
Status ContextFromStdin(BuildFlags& f, const std::string& root, std::optional<TempDir>& holder) {
  if (f.file == "-") return Status::InvalidArgument("the context and the Dockerfile cannot both come from stdin")
                         .WithHint("give the Dockerfile with -f PATH, or a context directory");
  RETURN_IF_ERROR(MakeDirs(root + "/tmp", 0700));
  ASSIGN_OR_RETURN(TempDir t, TempDir::Create("stdin-context", root + "/tmp"));
  holder.emplace(std::move(t));
  std::string data = holder->path() + "/stdin", ctx = holder->path() + "/context";
  ASSIGN_OR_RETURN(std::string in, ReadFileOrStdin("-"));
  {  // a throwaway file: no fsync, it goes with the directory
    Fd out(open(data.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (out.get() < 0) return Status::FromErrno(errno, "create", data);
    RETURN_IF_ERROR(WriteAll(out.get(), in.data(), in.size(), data));
  }
  RETURN_IF_ERROR(MakeDirs(ctx, 0755));
  if (fileop::IsArchive(data)) {
    RETURN_IF_ERROR(fileop::Untar(data, ctx, ctx).WithContext("unpack the context from stdin"));
    if (!f.file.empty() && f.file[0] != '/') f.file = ctx + "/" + f.file;
  } else if (f.file.empty()) {
    f.file = holder->path() + "/Dockerfile";
    if (rename(data.c_str(), f.file.c_str()) != 0) return Status::FromErrno(errno, "rename", data);
  }
  f.context = ctx;
  return Status::OK();
}

bool Allowed(const BuildFlags& f, const std::string& entitlement) {
  return std::find(f.allow.begin(), f.allow.end(), entitlement) != f.allow.end();
}

// RUN --network=host and RUN --security=insecure need buildx's entitlements
// (--allow), checked before anything runs, as BuildKit does; the error points
// at the first RUN that needs one.
Status CheckEntitlements(const llb::Definition& def, const BuildFlags& f) {
  for (const auto& digest : def.order) {
    const auto* e = std::get_if<llb::ExecOp>(&def.ops.at(digest).kind);
    if (!e) continue;
    std::string need = e->network == llb::NetworkMode::kHost ? "network.host"
                       : e->security == llb::SecurityMode::kInsecure ? "security.insecure" : "";
    if (need.empty() || Allowed(f, need)) continue;
    Status st = Status::PermissionDenied(need + " is not allowed").WithHint("pass --allow " + need + " to kiln build");
    auto m = def.metadata.find(digest);
    if (m != def.metadata.end() && !m->second.source.empty())
      st = st.WithLocation({def.source_file, m->second.source[0].start_line, m->second.source[0].start_col});
    return st;
  }
  return Status::OK();
}

// `kiln build URL` (docker build's remote contexts): a git repository checked out
// as ADD <git URL> does (#ref:subdir picks the ref and the context directory), or
// an http(s) tarball (any compression ADD extracts; anything else is a lone
// Dockerfile), fetched into a temporary directory under ROOT/tmp that `holder`
// removes. -f is relative to the fetched context.
Status ContextFromUrl(BuildFlags& f, const std::string& root, std::optional<TempDir>& holder) {
  RETURN_IF_ERROR(MakeDirs(root + "/tmp", 0700));
  ASSIGN_OR_RETURN(TempDir t, TempDir::Create("url-context", root + "/tmp"));
  holder.emplace(std::move(t));
  std::string ctx;
  if (solver::IsGitContextUrl(f.context)) {
    ASSIGN_OR_RETURN(ctx, solver::FetchGitContext(f.context, holder->path() + "/git"));
  } else {
    std::string data = holder->path() + "/download";
    ctx = holder->path() + "/context";
    RETURN_IF_ERROR(solver::DownloadHttpFile(f.context, data));
    RETURN_IF_ERROR(MakeDirs(ctx, 0755));
    if (fileop::IsArchive(data)) {
      RETURN_IF_ERROR(fileop::Untar(data, ctx, ctx).WithContext("unpack the context from " + f.context));
    } else if (f.file.empty()) {
      f.file = holder->path() + "/Dockerfile";
      if (rename(data.c_str(), f.file.c_str()) != 0) return Status::FromErrno(errno, "rename", data);
    }
  }
  if (!f.file.empty() && f.file != "-" && f.file[0] != '/' && f.file.rfind(holder->path(), 0) != 0)
    f.file = ctx + "/" + f.file;
  f.context = ctx;
  return Status::OK();
}

int RunBuild(GlobalOptions& g, BuildFlags& f) {
  const std::string root = g.ResolvedRoot();
  PhaseTimer timer;
  // Flags that need no store.
  if (!f.platform.empty()) {
    auto p = oci::ParsePlatform(f.platform);
    if (!p) Fail(Status::InvalidArgument("--platform " + f.platform + ": not a platform").WithHint("use e.g. linux/amd64"));
    auto host = oci::HostPlatform();
    if (p->os != host.os || p->architecture != host.architecture)
      Fail(Status::Unimplemented("--platform " + f.platform + ": only the host platform (" + host.ToString() +
                                 ") can be built for now"));
  }
  runner::ProcessSpec::Network network = runner::ProcessSpec::Network::kHost;
  if (f.network == "none") network = runner::ProcessSpec::Network::kNone;
  else if (f.network != "default" && f.network != "host")
    Fail(Status::InvalidArgument("--network " + f.network + ": unknown mode").WithHint("use default, none or host"));
  for (const auto& a : f.allow)
    if (a != "network.host" && a != "security.insecure")
      Fail(Status::InvalidArgument("--allow " + a + ": unknown entitlement").WithHint("use network.host or security.insecure"));
  if (f.network == "host" && !Allowed(f, "network.host"))
    Fail(Status::PermissionDenied("--network host: network.host is not allowed").WithHint("pass --allow network.host"));
  Result<runner::Resources> resources = runner::MakeResources(f.resources);
  if (!resources.ok()) Fail(resources.status());
  auto mode = solver::ParseProgressMode(f.quiet ? "quiet" : f.progress);
  if (!mode.ok()) Fail(mode.status());
  std::vector<exporter::OutputSpec> outputs;
  for (const auto& o : f.outputs) {
    auto spec = exporter::ParseOutput(o);
    if (!spec.ok()) Fail(spec.status().WithContext("-o " + o));
    outputs.push_back(*spec);
  }
  if (outputs.empty()) outputs.push_back(exporter::OutputSpec{});  // the local image store
  if (f.push) {  // buildx: --push is -o type=registry; with -o, it pushes the image outputs
    bool any = false;
    for (auto& o : outputs)
      if (o.type == exporter::OutputType::kImage) o.push = any = true;
    if (!any) Fail(Status::InvalidArgument("--push: none of the -o outputs is an image").WithHint("add -o type=image or drop --push"));
  }
  for (const auto& o : outputs)
    if (o.push && o.names.empty() && f.tags.empty())
      Fail(Status::InvalidArgument("push: the image has no name").WithHint("name it with -t REF or -o type=image,name=REF,push=true"));
  std::vector<solver::CacheSpec> cache_to, cache_from;
  for (const auto& c : f.cache_to) {
    auto spec = solver::ParseCacheTo(c);
    if (!spec.ok()) Fail(spec.status());
    cache_to.push_back(*spec);
  }
  for (const auto& c : f.cache_from) {
    auto spec = solver::ParseCacheFrom(c);
    if (!spec.ok()) Fail(spec.status());
    cache_from.push_back(*spec);
  }
  std::map<std::string, solver::SecretSource> secrets;
  for (const auto& s : f.secrets) {
    auto sec = ParseSecret(s);
    if (!sec.ok()) Fail(sec.status());
    secrets[sec->first] = sec->second;
  }
  std::map<std::string, std::string> ssh;
  for (const auto& s : f.ssh) {
    auto eq = s.find('=');
    std::string id = s.substr(0, eq), sock = eq == std::string::npos ? "" : s.substr(eq + 1);
    if (sock.empty()) {
      const char* a = getenv("SSH_AUTH_SOCK");
      if (!a) Fail(Status::InvalidArgument("--ssh " + s + ": no socket given and SSH_AUTH_SOCK is not set"));
      sock = a;
    }
    ssh[id] = sock;
  }

  // The Dockerfile.
  static std::optional<TempDir> stdin_context;  // static: removed even when Fail() exits
  if (f.context == "-")
    if (Status st = ContextFromStdin(f, root, stdin_context); !st.ok()) Fail(st);
  if (solver::IsGitContextUrl(f.context) || solver::IsHttpContextUrl(f.context))
    if (Status st = ContextFromUrl(f, root, stdin_context); !st.ok()) Fail(st);
  struct stat cst;
  if (stat(f.context.c_str(), &cst) != 0 || !S_ISDIR(cst.st_mode))
    Fail(Status::NotFound("build context `" + f.context + "` is not a directory").WithHint("kiln build [flags] DIR"));
  std::string dockerfile_path = f.file.empty() ? f.context + "/Dockerfile" : f.file;
  // A Dockerfile inside the context is resolved inside it: a symlink to a host
  // file is "not found", as docker says, never read.
  auto in_context = dockerfile_path == "-" ? Result<std::string>(dockerfile_path) : ResolveContextFile(f.context, dockerfile_path);
  auto t = in_context.ok() ? ReadFileOrStdin(*in_context) : Result<std::string>(in_context.status());
  if (!t.ok()) Fail(t.status().WithContext("read Dockerfile").WithHint("pass its path with -f"));
  std::string text = std::move(t).value();
  if (f.file == "-") dockerfile_path = "";
  std::string display_name = f.file.empty() || f.file == "-" ? "Dockerfile" : f.file.substr(f.file.rfind('/') + 1);
  auto ast = frontend::Parse(text, display_name);
  if (!ast.ok()) {
    fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(ast.status(), text).c_str());
    return 1;
  }

  timer.Mark("parse");
  // The store, the registry and the executor.
  auto metadata = cache::MetadataStore::Open(root);
  if (!metadata.ok()) Fail(metadata.status().WithContext("open kiln's metadata at " + root));
  auto snapshotter = OpenSnapshotterRemembered(root);
  if (!snapshotter.ok()) Fail(snapshotter.status().WithContext("open kiln's snapshots at " + root));
  auto content = OpenContentStore(root, metadata->get(), snapshotter->get());
  if (!content.ok()) Fail(content.status().WithContext("open kiln's store at " + root));
  timer.Mark("open content");
  timer.Mark("open snapshotter");
  auto client_ptr = std::make_shared<registry::RegistryClient>(f.reg.Options(), root + "/registry");
  registry::RegistryClient& client = *client_ptr;
  auto images = registry::NewLocalFirstImageSource(&client, content->get(), metadata->get(), f.pull);
  timer.Mark("open registry");
  auto executor = runner::NewNamespaceExecutor();

  timer.Mark("open store");
  // Lower.
  SourceMetaResolver meta(images.get());
  frontend::LowerOptions lo;
  lo.target = f.target;
  lo.build_args = ParseBuildArgs(f.build_args);
  lo.no_cache = f.no_cache;
  lo.no_cache_filter = f.no_cache_filter;
  for (const auto& l : f.labels) {
    auto eq = l.find('=');
    lo.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  std::map<std::string, std::string> local_dirs{{"context", f.context}};
  for (const auto& bc : f.build_contexts) {
    auto eq = bc.find('=');
    if (eq == std::string::npos) Fail(Status::InvalidArgument("--build-context " + bc + ": want NAME=DIR or NAME=docker-image://REF"));
    lo.build_contexts[bc.substr(0, eq)] = bc.substr(eq + 1);
  }
  auto ignore = frontend::ReadDockerignore(f.context, dockerfile_path);
  if (!ignore.ok()) Fail(ignore.status());
  lo.dockerignore = ignore->patterns;
  lo.resolver = &meta;
  std::vector<lint::Finding> check_warnings;  // summarized at the end, as docker build does
  lint::LintOptions lopts;
  {
    lopts.build_args = lo.build_args;
    lopts.dockerignore = lo.dockerignore;
    if (f.check) {
      return CheckDockerfile(*ast, display_name, text, lopts);
    } else if (!f.quiet) {
      check_warnings = WarnBuildChecks(*ast, lopts);
    }
  }
  timer.Mark("lint");
  auto def = frontend::Lower(*ast, lo);
  if (!def.ok()) {
    fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(def.status(), text).c_str());
    return 1;
  }
  def->source_file = display_name;
  if (Status st = CheckEntitlements(*def, f); !st.ok()) {
    fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(st, text).c_str());
    return 1;
  }
  if (def->source_text.empty()) def->source_text = text;
  if (!f.quiet && !def->check_warnings.empty()) {
    // Checks only lowering can tell (a base image of another platform), through the
    // linter so that `# check=skip=...` applies.
    for (const auto& w : def->check_warnings) lopts.external_checks.push_back({w.rule, w.message, w.line});
    for (auto& x : WarnBuildChecks(*ast, lopts, [&](const lint::Finding& x) {
           return std::any_of(def->check_warnings.begin(), def->check_warnings.end(),
                              [&](const auto& w) { return w.rule == x.code && w.line == x.line; });
         }))
      check_warnings.push_back(std::move(x));
  }
  for (const auto& [k, v] : def->attrs)
    if (k.rfind("local:", 0) == 0) local_dirs[k.substr(6)] = v;
  for (const auto& [name, v] : lo.build_contexts)
    if (v.find("://") == std::string::npos) local_dirs[name] = v;

  timer.Mark("lower");
  // Solve.
  solver::BuildDeps deps;
  deps.root = root;
  deps.content = content->get();
  deps.metadata = metadata->get();
  deps.snapshotter = snapshotter->get();
  deps.images = images.get();
  deps.executor = executor.get();
  deps.local_dirs = local_dirs;
  deps.secrets = secrets;
  deps.ssh = ssh;
  deps.network = network;
  deps.resources = *resources;
  solver::BuildOpResolver resolver(deps);
  solver::SnapshotCache cache(metadata->get(), snapshotter->get());
  // --cache-from: records without snapshots; their blobs are fetched on a hit.
  solver::CacheImporter importer(metadata->get(), content->get(), &client);
  for (const auto& spec : cache_from) {
    auto n = importer.Import(spec);
    if (!n.ok()) fprintf(stderr, "WARNING: --cache-from %s: %s (building without it)\n", spec.text.c_str(), n.status().ToString().c_str());
    else spdlog::debug("build: imported {} cache records from {}", *n, spec.text);
  }
  if (!cache_from.empty())
    cache.SetImport(content->get(), [&importer](const cache::LayerRecord& l) { return importer.Fetch(l); });
  timer.Mark("cache import");
  auto progress = solver::NewProgressPrinter(*mode, stderr);
  solver::SolveOptions so;
  so.max_parallelism = f.max_parallelism;
  solver::Scheduler scheduler(&resolver, &cache, progress.get(), so);
  auto watcher = std::make_unique<SignalWatcher>(&scheduler);

  std::string snapshot;
  std::vector<std::string> solved_keys;
  if (def->output) {
    auto res = scheduler.Solve(*def, {*def->output});
    if (!res.ok()) {
      watcher.reset();
      progress->Close();
      (void)resolver.Finish();
      SummarizeBuildChecks(check_warnings);
      if (scheduler.failure()) (void)PrintFailure(*scheduler.failure(), *def);
      fprintf(stderr, "ERROR: failed to solve: %s\n", res.status().message().c_str());
      if (!res.status().hint().empty()) fprintf(stderr, "  hint: %s\n", res.status().hint().c_str());
      return 1;
    }
    auto key = solver::SnapshotKeyOfValue(res->outputs[0]);
    if (!key.ok()) Fail(key.status());
    snapshot = *key;
    for (const auto& [op, k] : res->keys) solved_keys.push_back(k);
  }
  watcher.reset();
  timer.Mark("solve");

  // --cache-to type=inline: the records of the image's own steps go into its config.
  for (const auto& spec : cache_to) {
    if (spec.type != solver::CacheSpec::Type::kInline) continue;
    auto recs = solver::CollectCacheRecords(&resolver, solved_keys, snapshot, false);
    if (!recs.ok()) Fail(recs.status().WithContext("--cache-to type=inline"));
    def->image_config[cache::kCacheExportKey] = cache::CacheRecordsToJson(*recs)[cache::kCacheExportKey];
    break;
  }

  // Export.
  solver::SnapshotBuildResult result(&resolver, snapshot, def->image_config);
  exporter::ExporterDeps ed;
  ed.content = content->get();
  ed.metadata = metadata->get();
  cache::ContentStore* content_ptr = content->get();
  cache::MetadataStore* metadata_ptr = metadata->get();
  ed.push = [client_ptr, content_ptr, metadata_ptr](const std::string& name, const oci::Descriptor& manifest) -> Status {
    ASSIGN_OR_RETURN(Reference ref, ParseReference(name));
    // Layers stored uncompressed (reused from the local store) go out as gzip.
    ASSIGN_OR_RETURN(auto conv, cache::CompressedForPush(*content_ptr, *metadata_ptr, manifest));
    ASSIGN_OR_RETURN(auto res, registry::PushImage(*client_ptr, *content_ptr, conv.target, ref));
    fprintf(stderr, "pushed %s (%s)\n", ref.Familiar().c_str(), res.digest.c_str());
    return Status::OK();
  };
  if (auto it = def->attrs.find("source_date_epoch"); it != def->attrs.end()) ed.source_date_epoch = std::stoll(it->second);
  // One progress vertex per output, named as BuildKit's exporters name theirs.
  std::vector<solver::ProgressEvent> evs;
  std::vector<exporter::ExportResult> done;
  auto fail_export = [&](const Status& st) {
    solver::ProgressEvent& ev = evs.back();
    ev.kind = solver::ProgressEvent::Kind::kError;
    ev.data = st.message();
    progress->Event(ev);
    progress->Close();
    (void)resolver.Finish();
  };
  for (const auto& spec : outputs) {
    solver::ProgressEvent ev;
    ev.vertex = "export:" + std::to_string(evs.size());
    ev.name = ExportVertexName(spec.type);
    ev.kind = solver::ProgressEvent::Kind::kStarted;
    progress->Event(ev);
    evs.push_back(ev);
    auto exp = exporter::NewExporter(spec, f.tags, ed);
    Result<exporter::ExportResult> r = exp.ok() ? (*exp)->Export(result) : Result<exporter::ExportResult>(exp.status());
    if (!r.ok()) {
      fail_export(r.status());
      fprintf(stderr, "ERROR: failed to export: %s\n", r.status().ToString().c_str());
      return 1;
    }
    done.push_back(std::move(r).value());
  }
  for (size_t i = 0; i < done.size(); i++) {
    Status st = done[i].finalize();
    if (!st.ok()) {
      evs.resize(i + 1);
      fail_export(st);
      Fail(st);
    }
  }
  for (auto& ev : evs) {
    ev.kind = solver::ProgressEvent::Kind::kDone;
    progress->Event(ev);
  }
  // --cache-to type=local / type=registry, after the image.
  for (const auto& spec : cache_to) {
    if (spec.type == solver::CacheSpec::Type::kInline) continue;
    solver::ProgressEvent ev;
    ev.vertex = "export:cache:" + spec.text;
    ev.name = std::string("exporting cache to ") + (spec.type == solver::CacheSpec::Type::kLocal ? "client directory" : "registry");
    ev.kind = solver::ProgressEvent::Kind::kStarted;
    progress->Event(ev);
    evs.push_back(ev);
    auto recs = solver::CollectCacheRecords(&resolver, solved_keys, snapshot, spec.max);
    Status st = recs.ok() ? solver::ExportCache(spec, *recs, *content_ptr, client) : recs.status();
    if (!st.ok()) {
      fail_export(st);
      fprintf(stderr, "ERROR: failed to export cache: %s\n", st.ToString().c_str());
      return 1;
    }
    ev.kind = solver::ProgressEvent::Kind::kDone;
    progress->Event(ev);
  }
  progress->Close();
  timer.Mark("export");
  Status fin = resolver.Finish();
  timer.Mark("finish");
  if (!fin.ok()) spdlog::warn("{}", fin.ToString());

  const exporter::ExportResponse* resp = nullptr;
  for (auto& d : done)
    if (!d.response.config_digest.empty()) {
      resp = &d.response;
      break;
    }
  if (!f.iidfile.empty()) {
    if (!resp) Fail(Status::FailedPrecondition("--iidfile: the outputs made no image"));
    Status st = WriteFileAtomic(f.iidfile, resp->config_digest);
    if (!st.ok()) Fail(st);
  }
  if (!f.metadata_file.empty()) {
    nlohmann::json m = nlohmann::json::object();
    if (resp) {
      m["containerimage.digest"] = resp->image_digest;
      m["containerimage.config.digest"] = resp->config_digest;
      m["containerimage.descriptor"] = {{"mediaType", resp->descriptor.media_type},
                                        {"digest", resp->descriptor.digest},
                                        {"size", resp->descriptor.size}};
      if (!resp->names.empty()) {
        std::string n;
        for (const auto& x : resp->names) n += (n.empty() ? "" : ",") + x;
        m["image.name"] = n;
      }
    }
    Status st = WriteFileAtomic(f.metadata_file, m.dump(2));
    if (!st.ok()) Fail(st);
  }
  SummarizeBuildChecks(check_warnings);
  if (f.quiet && resp) printf("%s\n", resp->config_digest.c_str());
  return 0;
}

}  // namespace

void RegisterBuild(CLI::App& app, GlobalOptions& g) {
  auto f = std::make_shared<BuildFlags>();
  auto* cmd = app.add_subcommand("build", "Build an image from a Dockerfile (docker build's flags)");
  cmd->footer(
      "Runs the Dockerfile's steps in parallel, each RUN isolated in Linux namespaces, with a\n"
      "content-addressed cache. Without -o the image goes into kiln's image store under its -t names.\n"
      "ADD downloads http(s) URLs and checks out git repositories (with the host's git) from the host.\n"
      "Examples:\n"
      "  kiln build -t app:dev .\n"
      "  kiln build --target test --progress plain .\n"
      "  kiln build -o type=local,dest=out .\n"
      "  kiln build --secret id=npmrc,src=$HOME/.npmrc -o type=oci,dest=app.tar .");
  cmd->add_option("context", f->context, "the build context: a directory; - reads a tar of it (or a lone Dockerfile) from\n"
                  "stdin; a git URL (https://host/repo.git#REF:DIR, git://..., git@host:path) is checked\n"
                  "out; an http(s) URL of a tarball (any compression) is downloaded and unpacked")->required();
  cmd->add_option("-f,--file", f->file, "the Dockerfile (default: CONTEXT/Dockerfile; - reads stdin)");
  cmd->add_option("-t,--tag", f->tags, "name the image (repeatable)");
  cmd->add_option("--build-arg", f->build_args, "set a build argument K=V (K alone: from the environment)");
  cmd->add_option("--target", f->target, "the stage to build (default: the last)");
  cmd->add_option("--platform", f->platform, "target platform (only the host's for now)");
  cmd->add_flag("--no-cache", f->no_cache, "do not use the cache");
  cmd->add_option("--no-cache-filter", f->no_cache_filter, "do not use the cache for these stages");
  cmd->add_flag("--pull", f->pull, "always look up base images in their registry");
  cmd->add_option("--allow", f->allow, "entitlements: network.host (RUN --network=host, --network host), security.insecure (RUN --security=insecure)");
  cmd->add_option("--network", f->network, "network for RUN steps: default (host), none, host");
  cmd->add_option("--memory", f->resources.memory, "memory limit of each RUN step, e.g. 512m (default: none)");
  cmd->add_option("--cpu-quota", f->resources.cpu_quota, "CPU time of each RUN step per period, in microseconds (default: none)");
  cmd->add_option("--cpu-period", f->resources.cpu_period, "the period of --cpu-quota, in microseconds (default: 100000)");
  cmd->add_option("--pids-limit", f->resources.pids_limit, "most processes (and threads) of each RUN step; -1: no limit")
      ->default_val(runner::Resources::kDefaultPidsMax);
  cmd->add_option("--secret", f->secrets, "expose a secret: id=ID,src=PATH or id=ID,env=VAR");
  cmd->add_option("--ssh", f->ssh, "expose an SSH agent socket: default or ID=SOCKET");
  cmd->add_option("--label", f->labels, "add an image label K=V");
  cmd->add_option("-o,--output", f->outputs, "output: type=image|oci|docker|local|tar[,dest=..][,name=..] or DIR");
  cmd->add_option("--progress", f->progress, "auto, tty, plain, rawjson or quiet")->default_val("auto");
  cmd->add_flag("-q,--quiet", f->quiet, "print only the image ID");
  cmd->add_option("--iidfile", f->iidfile, "write the image ID (config digest) to this file");
  cmd->add_option("--metadata-file", f->metadata_file, "write the build result's metadata (JSON) to this file");
  cmd->add_option("--cache-to", f->cache_to,
                  "export the build cache (repeatable; buildx syntax): type=registry,ref=REF[,mode=min|max]\n"
                  "(an OCI manifest of the layer blobs and kiln's cache records, pushed to REF),\n"
                  "type=local,dest=DIR[,mode=min|max] (the same as an OCI layout in DIR), or type=inline\n"
                  "(the records of the image's own steps in its config). mode=min (default): the final\n"
                  "image's steps; mode=max: every step of the build");
  cmd->add_option("--cache-from", f->cache_from,
                  "use an exported build cache (repeatable): type=registry,ref=REF, REF (the same; an image\n"
                  "pushed with --cache-to type=inline works too) or type=local,src=DIR. Layers are fetched\n"
                  "only for steps that hit; a missing or broken cache only warns");
  cmd->add_option("--build-context", f->build_contexts, "extra named context NAME=DIR or NAME=docker-image://REF");
  cmd->add_flag("--push", f->push,
                "push the image to its registry after building (= -o type=registry; with -o, every\n"
                "type=image output pushes); the names come from -t or name=");
  AddRegistryFlags(cmd, f->reg);
  cmd->add_flag("--check", f->check,
                "only run BuildKit's build checks, as docker build --check does: nothing is built; prints\n"
                "each finding with its rule URL and source lines and exits 1 when any was found. Without\n"
                "--check a build prints the same findings as WARN: Rule: message (line N) and goes on\n"
                "(`kiln lint` runs hadolint's rules too)");
  cmd->add_option("--max-parallelism", f->max_parallelism, "most steps run at once (default: cores + a few)");
  cmd->callback([&g, f] { Exit(RunBuild(g, *f)); });
}

}  // namespace kiln::cli
