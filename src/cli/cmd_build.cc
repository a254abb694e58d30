// kiln build: docker build's flags -> a build::BuildRequest -> build::Build
// (src/build), printing its progress, warnings and errors as docker build does.
// The one place where the build's collaborators are chosen: the local store
// (content, metadata, snapshots), the registry's image source and the namespace
// executor.
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/fs.h"
#include "build/build.h"
#include "build/context.h"
#include "build/flags.h"
#include "cli/app.h"
#include "cli/registry_cli.h"
#include "cli/stores.h"
#include "frontend/diagnostic.h"
#include "lint/catalogue.h"
#include "lint/format.h"
#include "lint/lint.h"
#include "registry/client.h"
#include "registry/image_source.h"
#include "runner/executor.h"
#include "runner/resources.h"
#include "solver/progress_printer.h"

namespace kiln::cli {
namespace {

struct BuildFlags {
  build::DockerfileFlags dockerfile;
  std::vector<std::string> tags, secrets, ssh, outputs, cache_to, cache_from;
  std::string network = "default", progress = "auto", iidfile, metadata_file;
  std::vector<std::string> allow;  // --allow network.host|security.insecure (buildx's entitlements)
  bool pull = false, quiet = false, check = false, push = false;
  RegistryFlags reg;
  runner::ResourceFlags resources;  // --memory, --cpu-quota, --cpu-period, --pids-limit
  int max_parallelism = 0;
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
  explicit SignalWatcher(std::function<void()> cancel) {
    sem_init(&g_signal_sem, 0, 0);
    thread_ = std::thread([cancel = std::move(cancel)] {
      sem_wait(&g_signal_sem);
      if (g_signalled.load()) cancel();
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
int CheckDockerfile(const build::LoadedDockerfile& l) {
  std::vector<lint::Finding> found = build::BuildChecks(l);
  if (found.empty()) {
    printf("Check complete, no warnings found.\n");
    return 0;
  }
  printf("Check complete, %zu %s been found!\n", found.size(),
         found.size() == 1 ? "warning has" : "warnings have");
  for (const auto& x : found) {
    printf("\nWARNING: %s - %s\n%s\n", x.code.c_str(), lint::BuildCheckUrl(x.code).c_str(), x.message.c_str());
    fflush(stdout);
    PrintSourceSnippet(stdout, l.display_name, l.text, x.line, x.line);
  }
  fflush(stdout);
  return 1;
}

// The summary docker build (buildx) prints once the build is over.
void SummarizeBuildChecks(const std::vector<lint::Finding>& found) {
  if (found.empty()) return;
  fprintf(stderr, " %zu %s found (use kiln build --check to expand):\n", found.size(),
          found.size() == 1 ? "warning" : "warnings");
  for (const auto& x : found) fprintf(stderr, " - %s: %s (line %d)\n", x.code.c_str(), x.message.c_str(), x.line);
}

void PrintFailure(const solver::SolveFailure& f, const build::BuildResult& r) {
  if (f.description.empty()) return;  // cancelled, or not an op's failure
  fprintf(stderr, "------\n > %s:\n", f.description.c_str());
  for (const auto& l : f.last_lines) fprintf(stderr, "%s\n", l.c_str());
  fprintf(stderr, "------\n");
  if (!f.source.empty() && f.source[0].start_line > 0) {
    PrintSourceSnippet(stderr, r.source_file, r.source_text, f.source[0].start_line, f.source[0].end_line);
  }
}

// The build's events as docker build prints them: WARN lines for build checks,
// progress from the solve on (the printer starts with it), pushes.
class CliSink : public build::BuildSink {
 public:
  CliSink(solver::ProgressMode mode, bool quiet) : mode_(mode), quiet_(quiet) {}
  void Event(const solver::ProgressEvent& ev) override {
    if (!printer_) printer_ = solver::NewProgressPrinter(mode_, stderr);
    printer_->Event(ev);
  }
  void Close() override {
    if (printer_) printer_->Close();
  }
  void CheckWarning(size_t, const lint::Finding& x) override {
    if (!quiet_) fprintf(stderr, "WARN: %s: %s (line %d)\n", x.code.c_str(), x.message.c_str(), x.line);
  }
  void SolveStarted(std::function<void()> cancel) override {
    if (!printer_) printer_ = solver::NewProgressPrinter(mode_, stderr);
    watcher_ = std::make_unique<SignalWatcher>(std::move(cancel));
  }
  void SolveEnded() override { watcher_.reset(); }
  void Warn(const std::string& message) override { fprintf(stderr, "WARNING: %s\n", message.c_str()); }
  void Pushed(const std::string& name, const std::string& digest) override {
    fprintf(stderr, "pushed %s (%s)\n", name.c_str(), digest.c_str());
  }

 private:
  solver::ProgressMode mode_;
  bool quiet_;
  std::unique_ptr<solver::ProgressSink> printer_;
  std::unique_ptr<SignalWatcher> watcher_;
};

// -o, --push, --cache-*, --secret, --ssh; the rest is checked by the build.
build::BuildRequest RequestFromFlags(const BuildFlags& f) {
  build::BuildRequest req;
  build::BuildTarget t;
  t.dockerfile = f.dockerfile;
  t.tags = f.tags;
  t.network = f.network;
  t.allow = f.allow;
  Result<runner::Resources> resources = runner::MakeResources(f.resources);
  if (!resources.ok()) Fail(resources.status());
  t.resources = *resources;
  t.build_checks = !f.quiet;
  t.iidfile = f.iidfile;
  t.metadata_file = f.metadata_file;
  for (const auto& o : f.outputs) {
    auto spec = exporter::ParseOutput(o);
    if (!spec.ok()) Fail(spec.status().WithContext("-o " + o));
    t.outputs.push_back(*spec);
  }
  if (t.outputs.empty()) t.outputs.push_back(exporter::OutputSpec{});  // the local image store
  if (f.push) {  // buildx: --push is -o type=registry; with -o, it pushes the image outputs
    bool any = false;
    for (auto& o : t.outputs)
      if (o.type == exporter::OutputType::kImage) o.push = any = true;
    if (!any) Fail(Status::InvalidArgument("--push: none of the -o outputs is an image").WithHint("add -o type=image or drop --push"));
  }
  for (const auto& o : t.outputs)
    if (o.push && o.names.empty() && f.tags.empty())
      Fail(Status::InvalidArgument("push: the image has no name").WithHint("name it with -t REF or -o type=image,name=REF,push=true"));
  for (const auto& c : f.cache_to) {
    auto spec = solver::ParseCacheTo(c);
    if (!spec.ok()) Fail(spec.status());
    req.cache_to.push_back(*spec);
  }
  for (const auto& c : f.cache_from) {
    auto spec = solver::ParseCacheFrom(c);
    if (!spec.ok()) Fail(spec.status());
    req.cache_from.push_back(*spec);
  }
  for (const auto& s : f.secrets) {
    auto sec = build::ParseSecret(s);
    if (!sec.ok()) Fail(sec.status());
    t.secrets[sec->first] = sec->second;
  }
  for (const auto& s : f.ssh) {
    auto ssh = build::ParseSsh(s);
    if (!ssh.ok()) Fail(ssh.status());
    t.ssh[ssh->first] = ssh->second;
  }
  req.max_parallelism = f.max_parallelism;
  req.targets.push_back(std::move(t));
  return req;
}

// kiln build --check: the build checks of the loaded Dockerfile, nothing built.
int RunCheck(const GlobalOptions& g, const BuildFlags& f) {
  build::DockerfileFlags df = f.dockerfile;
  std::optional<TempDir> holder;
  if (Status st = build::LocalizeContext(df, g.ResolvedRoot(), holder); !st.ok()) Fail(st);
  std::string text;
  auto l = build::LoadDockerfile(df, &text);
  if (!l.ok()) {
    fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(l.status(), text).c_str());
    return 1;
  }
  return CheckDockerfile(*l);
}

// A failed build's report, worded after where it stopped.
int PrintBuildFailure(const build::BuildResult& r) {
  const Status& st = r.status;
  switch (r.failed) {
    case build::BuildPhase::kSolve:
      SummarizeBuildChecks(r.warnings);
      if (r.solve_failure) PrintFailure(*r.solve_failure, r);
      fprintf(stderr, "ERROR: failed to solve: %s\n", st.message().c_str());
      if (!st.hint().empty()) fprintf(stderr, "  hint: %s\n", st.hint().c_str());
      break;
    case build::BuildPhase::kExport:
      fprintf(stderr, "ERROR: failed to export: %s\n", st.ToString().c_str());
      break;
    case build::BuildPhase::kCacheExport:
      fprintf(stderr, "ERROR: failed to export cache: %s\n", st.ToString().c_str());
      break;
    default:  // loading, lowering (with the Dockerfile's line), pushes, metadata files
      fprintf(stderr, "error: %s\n", frontend::FormatDiagnostic(st, r.source_text).c_str());
  }
  return 1;
}

int RunBuild(GlobalOptions& g, BuildFlags& f) {
  const std::string root = g.ResolvedRoot();
  auto mode = solver::ParseProgressMode(f.quiet ? "quiet" : f.progress);
  if (!mode.ok()) Fail(mode.status());
  build::BuildRequest req = RequestFromFlags(f);
  if (f.check) return RunCheck(g, f);
  // The store, the registry and the executor.
  auto metadata = cache::MetadataStore::Open(root);
  if (!metadata.ok()) Fail(metadata.status().WithContext("open kiln's metadata at " + root));
  auto snapshotter = OpenSnapshotterRemembered(root);
  if (!snapshotter.ok()) Fail(snapshotter.status().WithContext("open kiln's snapshots at " + root));
  auto content = OpenContentStore(root, metadata->get(), snapshotter->get());
  if (!content.ok()) Fail(content.status().WithContext("open kiln's store at " + root));
  registry::RegistryClient client(f.reg.Options(), root + "/registry");
  auto images = registry::NewLocalFirstImageSource(&client, content->get(), metadata->get(), f.pull);
  auto executor = runner::NewNamespaceExecutor();
  build::BuildEnv env{root, content->get(), metadata->get(), snapshotter->get(), &client, images.get(), executor.get()};

  CliSink sink(*mode, f.quiet);
  build::BuildResult r = build::Build(env, req, sink);
  if (!r.status.ok()) return PrintBuildFailure(r);
  SummarizeBuildChecks(r.warnings);
  const exporter::ExportResponse* image = r.targets[0].Image();
  if (f.quiet && image) printf("%s\n", image->config_digest.c_str());
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
  cmd->add_option("context", f->dockerfile.context, "the build context: a directory; - reads a tar of it (or a lone Dockerfile) from\n"
                  "stdin; a git URL (https://host/repo.git#REF:DIR, git://..., git@host:path) is checked\n"
                  "out; an http(s) URL of a tarball (any compression) is downloaded and unpacked")->required();
  cmd->add_option("-f,--file", f->dockerfile.file, "the Dockerfile (default: CONTEXT/Dockerfile; - reads stdin)");
  cmd->add_option("-t,--tag", f->tags, "name the image (repeatable)");
  cmd->add_option("--build-arg", f->dockerfile.build_args, "set a build argument K=V (K alone: from the environment)");
  cmd->add_option("--target", f->dockerfile.target, "the stage to build (default: the last)");
  cmd->add_option("--platform", f->dockerfile.platform, "target platform (only the host's for now)");
  cmd->add_flag("--no-cache", f->dockerfile.no_cache, "do not use the cache");
  cmd->add_option("--no-cache-filter", f->dockerfile.no_cache_filter, "do not use the cache for these stages");
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
  cmd->add_option("--label", f->dockerfile.labels, "add an image label K=V");
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
  cmd->add_option("--build-context", f->dockerfile.build_contexts, "extra named context NAME=DIR or NAME=docker-image://REF");
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
