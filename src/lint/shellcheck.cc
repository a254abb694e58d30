#include "lint/shellcheck.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "base/fs.h"
#include "lint/rules.h"

extern char** environ;

namespace kiln::lint {

namespace {

const char* const kProxyVars[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy"};

std::string PragmaShell(const std::string& comment) {
  Pragma p = ParsePragma(comment);
  return p.kind == Pragma::kShell ? p.shell : "";
}

// hadolint excludes SC2187 and SC1090. hadolint 2.12 bundles ShellCheck 0.8.0:
// the checks later ShellCheck releases added (0.9.0: SC2316-SC2323; 0.10.0 and
// 0.11.0: SC2324-SC2332) are left out too, so Debian's newer shellcheck does
// not report what hadolint 2.12 cannot.
const char* const kExclude =
    "--exclude=SC2187,SC1090,SC2316,SC2317,SC2318,SC2319,SC2320,SC2321,SC2322,SC2323,SC2324,SC2325,SC2326,"
    "SC2327,SC2328,SC2329,SC2330,SC2331,SC2332";

Severity LevelToSeverity(const std::string& level) {
  if (level == "error") return Severity::kError;
  if (level == "warning") return Severity::kWarning;
  if (level == "info") return Severity::kInfo;
  return Severity::kStyle;
}

}  // namespace

namespace {

// hadolint's ShellCheck rule state (Hadolint/Rule/Shellcheck.hs): the shell
// and variable names in effect, and the defaults a FROM returns to. Until the
// first FROM/ARG/ENV/SHELL/pragma the state is "empty"; a `# hadolint shell=`
// pragma seen then sets the default for every stage, later ones only the
// current stage. ARG/ENV names before the first FROM do not survive it.
struct ScState {
  bool empty = true;
  std::string shell = "/bin/sh -c";
  std::set<std::string> vars{std::begin(kProxyVars), std::end(kProxyVars)};
  std::string default_shell = "/bin/sh -c";
};

void CollectPass(const Model& m, bool onbuild, std::vector<ShellScript>& out) {
  ScState st;
  const std::set<std::string> proxies(std::begin(kProxyVars), std::end(kProxyVars));
  // Comments are not ONBUILD instructions: only the main pass sees pragmas.
  std::vector<std::pair<int, std::string>> pragmas;
  if (!onbuild)
    for (const auto& c : m.comments) {
      std::string sh = PragmaShell(c.text);
      if (!sh.empty()) pragmas.emplace_back(c.line, sh);
    }
  size_t next_pragma = 0;
  auto apply_pragmas_before = [&](int line) {
    for (; next_pragma < pragmas.size() && pragmas[next_pragma].first < line; ++next_pragma) {
      st.shell = pragmas[next_pragma].second;
      if (st.empty) st.default_shell = st.shell;
      st.empty = false;
    }
  };
  for (const auto& in : m.insts) {
    if (in.onbuild != onbuild) continue;
    apply_pragmas_before(in.line);
    if (in.kw == "from") {
      st.shell = st.default_shell;
      st.vars = proxies;
      st.empty = false;
    } else if (in.kw == "arg") {
      for (const auto& a : in.args_decl) st.vars.insert(a.first);
      st.empty = false;
    } else if (in.kw == "env") {
      for (const auto& kv : in.pairs) st.vars.insert(kv.first);
      st.empty = false;
    } else if (in.kw == "shell") {
      std::string joined;
      for (const auto& w : in.ast->args) joined += (joined.empty() ? "" : " ") + w;
      st.shell = joined;
      st.empty = false;
    } else if (in.kw == "run") {
      // Both forms: hadolint checks an exec-form RUN as its words joined by spaces.
      if (IsNonPosixShell(st.shell)) continue;
      ShellScript s;
      s.line = in.line;
      s.shebang = st.shell.substr(0, st.shell.find(' '));
      s.text = "#!" + s.shebang + "\n";
      for (const auto& v : st.vars) s.text += "export " + v + "=1\n";
      s.text += in.script;
      if (s.text.empty() || s.text.back() != '\n') s.text += "\n";
      out.push_back(std::move(s));
    }
  }
}

}  // namespace

std::vector<ShellScript> CollectShellScripts(const Model& m) {
  std::vector<ShellScript> out;
  CollectPass(m, false, out);
  CollectPass(m, true, out);  // hadolint's `onbuild` pass over ONBUILD triggers
  return out;
}

bool ShellcheckAvailable(const std::string& path) {
  if (path.find('/') != std::string::npos) return access(path.c_str(), X_OK) == 0;
  static std::mutex mu;
  static std::map<std::string, bool> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  bool found = false;
  const char* env = getenv("PATH");
  std::string p = env ? env : "/usr/bin:/bin";
  size_t pos = 0;
  while (!found && pos <= p.size()) {
    size_t colon = p.find(':', pos);
    std::string dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (dir.empty()) dir = ".";
    found = access((dir + "/" + path).c_str(), X_OK) == 0;
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  cache[path] = found;
  return found;
}

Result<std::vector<Finding>> RunShellcheck(const std::vector<ShellScript>& scripts, const std::string& path,
                                           const std::string& file) {
  std::vector<Finding> out;
  if (scripts.empty()) return out;
  // One memfd per script; the child reads them as /dev/fd/N.
  std::vector<Fd> fds;
  std::map<std::string, int> line_of;  // "/dev/fd/N" -> RUN line
  std::vector<std::string> argv_s = {path, "--format=json1", "--severity=style", kExclude};
  for (const auto& s : scripts) {
    int fd = memfd_create("kiln-run", 0);
    if (fd < 0) return Status::FromErrno(errno, "memfd_create", "kiln-run");
    fds.emplace_back(fd);
    RETURN_IF_ERROR(WriteAll(fd, s.text.data(), s.text.size(), "memfd"));
    if (lseek(fd, 0, SEEK_SET) < 0) return Status::FromErrno(errno, "seek", "memfd");
    std::string name = "/dev/fd/" + std::to_string(fd);
    line_of[name] = s.line;
    argv_s.push_back(name);
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return Status::FromErrno(errno, "pipe2");
  Fd rd(pipefd[0]), wr(pipefd[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return Status::FromErrno(rc, "spawn", path);
  { Fd close_wr(std::move(wr)); }
  std::string output;
  char buf[65536];
  while (true) {
    ssize_t n = read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
  // shellcheck exits 1 when it found something; anything but 0/1 is a failure.
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) > 1)
    return Status::Internal(path + " failed (exit status " + std::to_string(WEXITSTATUS(wstatus)) + ")");
  nlohmann::json j = nlohmann::json::parse(output, nullptr, false);
  if (j.is_discarded() || !j.contains("comments")) return Status::Corruption("unreadable shellcheck output");
  // hadolint 2.12 keeps ShellCheck's comments of one RUN in a Set whose order
  // compares line numbers only, and every comment of a RUN carries the RUN's
  // line: the Set keeps just the last comment in ShellCheck's own order
  // (position, then severity error<warning<info<style, code, message). So one
  // SC finding per RUN at most, the last one.
  struct Best {
    std::tuple<int, int, int, int, std::string> key;
    Finding f;
  };
  std::map<std::string, Best> best;  // script file -> its last comment
  for (const auto& c : j["comments"]) {
    Finding f;
    int code = c.value("code", 0);
    f.code = "SC" + std::to_string(code);
    f.severity = LevelToSeverity(c.value("level", "style"));
    f.message = c.value("message", "");
    // hadolint runs ShellCheck with a mocked file system: sourced files are
    // never found, and it says so in these words.
    if (code == 1091) f.message = "Not following: File not included in mock.";
    std::string script = c.value("file", "");
    auto it = line_of.find(script);
    f.line = it == line_of.end() ? 0 : it->second;
    f.column = 1;
    f.file = file;
    auto key = std::make_tuple(c.value("line", 0), c.value("column", 0), static_cast<int>(f.severity), code, f.message);
    auto b = best.find(script);
    if (b == best.end() || !(key < b->second.key)) best[script] = Best{key, std::move(f)};
  }
  for (auto& [script, b] : best) out.push_back(std::move(b.f));
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.line < b.line; });
  return out;
}

}  // namespace kiln::lint
