// kiln lint: hadolint-compatible Dockerfile linting (flags, config files,
// HADOLINT_* variables, pragmas, output formats, exit codes) plus ShellCheck
// on RUN and BuildKit's build checks. The work happens in src/lint.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <thread>

#include "base/deep_stack.h"
#include "base/fs.h"
#include "build/dockerfile.h"
#include "build/flags.h"
#include "cli/app.h"
#include "frontend/parser.h"
#include "lint/config.h"
#include "lint/format.h"
#include "lint/lint.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::cli {
namespace {

struct LintFlags {
  std::string config;
  std::vector<std::string> files, formats, errors, warnings, infos, styles, ignores, registries, labels, build_args;
  std::string output, threshold, file_path_in_report;
  bool no_fail = false, no_color = false, strict_labels = false, disable_ignore_pragma = false, verbose = false;
  bool version = false, list_rules = false, no_shellcheck = false, no_build_checks = false, build_checks = false;
};

void ListRules() {
  printf("%-32s %-8s %-20s %s\n", "CODE", "SEVERITY", "DOC", "MESSAGE");
  for (const auto& r : lint::Catalogue())
    printf("%-32s %-8s %-20s %s\n", std::string(r.code).c_str(), lint::SeverityName(r.severity),
           lint::DocPath(r.code).c_str(), std::string(r.message).c_str());
}

Result<lint::PartialConfig> FlagsToConfig(const LintFlags& f) {
  lint::PartialConfig c;
  if (f.no_fail) c.no_fail = true;
  if (f.no_color) c.no_color = true;
  if (f.strict_labels) c.strict_labels = true;
  if (f.disable_ignore_pragma) c.disable_ignore_pragma = true;
  if (f.verbose) c.verbose = true;
  c.formats = f.formats;
  if (!f.threshold.empty()) {
    auto s = lint::ParseSeverity(f.threshold);
    if (!s)
      return Status::InvalidArgument("--failure-threshold: `" + f.threshold + "` is not one of error|warning|info|style|ignore|none");
    c.failure_threshold = *s;
  }
  c.ignored = f.ignores;
  for (const auto& code : f.errors) c.overrides.emplace_back(code, lint::Severity::kError);
  for (const auto& code : f.warnings) c.overrides.emplace_back(code, lint::Severity::kWarning);
  for (const auto& code : f.infos) c.overrides.emplace_back(code, lint::Severity::kInfo);
  for (const auto& code : f.styles) c.overrides.emplace_back(code, lint::Severity::kStyle);
  c.trusted_registries = f.registries;
  for (const auto& l : f.labels) {
    ASSIGN_OR_RETURN(auto item, lint::ParseLabelSchemaItem(l));
    c.label_schema.push_back(item);
  }
  return c;
}

Result<lint::Config> ResolveConfig(const LintFlags& f) {
  auto env = [](const char* n) -> const char* { return getenv(n); };
  std::vector<lint::PartialConfig> sources;
  std::string path = f.config;
  if (path.empty()) {
    char cwd[4096];
    path = lint::FindConfigFile(getcwd(cwd, sizeof cwd) ? cwd : ".", env);
  } else if (!PathExists(path)) {
    return Status::NotFound("config file " + path + " does not exist").WithHint("check the path given to -c/--config");
  }
  if (!path.empty()) {
    ASSIGN_OR_RETURN(auto file, lint::LoadConfigFile(path));
    sources.push_back(std::move(file));
  }
  ASSIGN_OR_RETURN(auto from_env, lint::ConfigFromEnv(env));
  sources.push_back(std::move(from_env));
  ASSIGN_OR_RETURN(auto from_flags, FlagsToConfig(f));
  sources.push_back(std::move(from_flags));
  lint::Config c = lint::Merge(sources);
  if (c.verbose && !path.empty()) fprintf(stderr, "kiln lint: using config file %s\n", path.c_str());
  return c;
}

// The .dockerignore kiln build would use with the Dockerfile's directory as the
// context (build/dockerfile.h: "<Dockerfile>.dockerignore" first, looked up inside
// it); none, or unreadable, is empty (hadolint reads none).
std::vector<std::string> ReadDockerignore(const std::string& dockerfile) {
  if (dockerfile == "-") return {};
  size_t slash = dockerfile.rfind('/');
  std::string dir = slash == std::string::npos ? "." : dockerfile.substr(0, slash == 0 ? 1 : slash);
  std::string path = slash == std::string::npos ? "./" + dockerfile : dockerfile;
  auto ignore = build::ContextDockerignore(dir, path);
  return ignore.ok() ? *ignore : std::vector<std::string>{};
}

// True when every line is blank or a # comment (BuildKit's parser rejects such
// a file; hadolint finds nothing in it).
bool OnlyBlankOrComments(const std::string& text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    size_t i = text.find_first_not_of(" \t\r", pos);
    if (i != std::string::npos && i < eol && text[i] != '#') return false;
    pos = eol + 1;
  }
  return true;
}

void Run(const LintFlags& f) {
  if (f.version) {  // hadolint's words first: tools read the version they match from it
    printf("Haskell Dockerfile Linter %s (kiln lint %s)\n", lint::kHadolintVersion, KILN_VERSION);
    return;
  }
  if (f.list_rules) {
    ListRules();
    return;
  }
  auto cfg = ResolveConfig(f);
  if (!cfg.ok()) Fail(cfg.status());
  lint::LintOptions opts = cfg->ToLintOptions();
  opts.shellcheck = !f.no_shellcheck;
  // hadolint's rules plus BuildKit's build checks in the same pass;
  // --no-build-checks gives exactly hadolint's findings.
  opts.build_checks = !f.no_build_checks;
  auto args = build::ParseBuildArgs(f.build_args);
  if (!args.ok()) Fail(args.status());
  opts.build_args = *args;
  std::vector<std::string> files = f.files;
  if (files.empty()) files.push_back("Dockerfile");

  // Read every file first (a missing one fails before any work), then parse and
  // lint them in parallel, one worker per core; results keep the input order.
  std::vector<std::string> texts;
  for (const auto& file : files) {
    auto data = ReadFileOrStdin(file);
    if (!data.ok()) Fail(data.status().WithHint("give the path of a Dockerfile, or - to read standard input"));
    texts.push_back(std::move(*data));
  }
  std::vector<lint::FileResult> results(files.size());
  std::vector<std::vector<std::string>> file_notices(files.size());
  auto lint_one = [&](size_t i) {
    const std::string& file = files[i];
    const std::string& text = texts[i];
    std::string report_name = f.file_path_in_report.empty() ? file : f.file_path_in_report;
    lint::FileResult& r = results[i];
    r.file = report_name;
    auto ast = frontend::Parse(text, file);
    if (!ast.ok()) {
      // hadolint reads an empty or comment-only Dockerfile without complaint.
      if (!OnlyBlankOrComments(text)) r.findings.push_back(lint::ParseErrorFinding(ast.status(), report_name));
    } else {
      lint::LintOptions file_opts = opts;
      file_opts.dockerignore = ReadDockerignore(file);
      r.findings = lint::Lint(*ast, file_opts, &file_notices[i]);
      for (auto& x : r.findings) x.file = report_name;
    }
  };
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files.size();) lint_one(i);
  };
  // Workers get the deep stack kiln's own thread has (base/deep_stack.h).
  size_t n_workers = std::min<size_t>(files.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<pthread_t> pool;
  auto run = [](void* w) -> void* {
    (*static_cast<decltype(worker)*>(w))();
    return nullptr;
  };
  for (size_t w = 1; w < n_workers; ++w) {
    pthread_t t;
    if (!StartDeepStackThread(&t, run, &worker)) break;  // fewer workers: still correct
    pool.push_back(t);
  }
  worker();
  for (auto t : pool) pthread_join(t, nullptr);
  std::set<std::string> notices;
  for (const auto& n : file_notices) notices.insert(n.begin(), n.end());
  for (const auto& n : notices) fprintf(stderr, "kiln lint: %s\n", n.c_str());

  std::vector<std::string> formats = cfg->formats.empty() ? std::vector<std::string>{"tty"} : cfg->formats;
  lint::FormatOptions fo;
  fo.color = !cfg->no_color && f.output.empty() && isatty(1);
  std::string report;
  for (const auto& fmt : formats) report += lint::FormatReport(fmt, results, fo);
  if (f.output.empty()) {
    fwrite(report.data(), 1, report.size(), stdout);
    fflush(stdout);
  } else {
    Status st = WriteFileAtomic(f.output, report);
    if (!st.ok()) Fail(st);
  }
  // hadolint exits 0 for its codeclimate and codacy formats, whatever it found.
  bool skip_status = std::all_of(formats.begin(), formats.end(),
                                 [](const std::string& x) { return x == "codeclimate" || x == "codacy"; });
  std::vector<lint::Finding> all;
  for (const auto& r : results) all.insert(all.end(), r.findings.begin(), r.findings.end());
  if (!cfg->no_fail && !skip_status && lint::ShouldFail(all, cfg->failure_threshold)) Exit(1);
}

}  // namespace

void RegisterLint(CLI::App& app, GlobalOptions& g) {
  static LintFlags f;
  auto* cmd = app.add_subcommand(
      "lint",
      "Lint Dockerfiles as hadolint 2.15.1 does: its rules (DL*) and ShellCheck on RUN (SC*),\n"
      "with hadolint's flags, config files (.hadolint.yaml), HADOLINT_* variables,\n"
      "pragmas (# hadolint ignore=...) and output formats, plus BuildKit's build checks\n"
      "(--no-build-checks: hadolint's findings only).\n"
      "Exit status: 1 when a finding is at or above the failure threshold (default info)\n"
      "or a file cannot be read, else 0. Rules: kiln lint --list-rules; docs/lint/.");
  cmd->add_option("DOCKERFILE", f.files, "Dockerfiles to lint (- for stdin; default ./Dockerfile)");
  cmd->add_option("-c,--config", f.config, "path to a hadolint config file (default: hadolint's search order)");
  std::vector<std::string> formats;
  for (int i = 0; lint::kFormats[i]; ++i) formats.push_back(lint::kFormats[i]);
  cmd->add_option("-f,--format", f.formats, "output format, repeatable: tty json checkstyle codeclimate "
                                            "gitlab_codeclimate gnu codacy sarif sonarqube junit")->allow_extra_args(false)
      ->check(CLI::IsMember(formats));
  cmd->add_flag("-v,--version", f.version, "print the hadolint version kiln lint matches, and kiln's");
  cmd->add_option("-o,--output", f.output, "write the report to FILE instead of stdout");
  cmd->add_flag("--no-fail", f.no_fail, "exit 0 even when rules are violated");
  cmd->add_flag("--no-color", f.no_color, "do not colorize output");
  cmd->add_flag("-V,--verbose", f.verbose, "say which config file is used");
  cmd->add_option("-t,--failure-threshold", f.threshold, "fail only on findings at or above: error|warning|info|style|ignore|none");
  cmd->add_option("--ignore", f.ignores, "a rule to ignore (repeatable)")->allow_extra_args(false);
  cmd->add_option("--error", f.errors, "make RULE an error (repeatable)")->allow_extra_args(false);
  cmd->add_option("--warning", f.warnings, "make RULE a warning (repeatable)")->allow_extra_args(false);
  cmd->add_option("--info", f.infos, "make RULE info (repeatable)")->allow_extra_args(false);
  cmd->add_option("--style", f.styles, "make RULE style (repeatable)")->allow_extra_args(false);
  cmd->add_option("--trusted-registry", f.registries, "a registry allowed in FROM (DL3026; repeatable)")->allow_extra_args(false);
  cmd->add_option("--require-label", f.labels, "LABEL:FORMAT a label must have (text url semver hash rfc3339 spdx email)")->allow_extra_args(false);
  cmd->add_flag("--strict-labels", f.strict_labels, "report labels not in the label schema (DL3050)");
  cmd->add_flag("--disable-ignore-pragma", f.disable_ignore_pragma, "ignore `# hadolint ignore=...` pragmas");
  cmd->add_option("--file-path-in-report", f.file_path_in_report, "the file path to print in reports");
  cmd->add_option("--build-arg", f.build_args, "K=V build argument seen by BuildKit's checks "
                                               "(BUILDKIT_DOCKERFILE_CHECK=... turns them on)")->allow_extra_args(false);
  cmd->add_flag("--list-rules", f.list_rules, "list every rule: code, default severity, doc page, message");
  cmd->add_flag("--no-shellcheck", f.no_shellcheck, "do not run ShellCheck on RUN");
  cmd->add_flag("--build-checks", f.build_checks, "run BuildKit's build checks too (the default)");
  cmd->add_flag("--no-build-checks", f.no_build_checks, "leave BuildKit's build checks out: hadolint's findings only");
  cmd->callback([] { Run(f); });
  (void)g;
}

}  // namespace kiln::cli
