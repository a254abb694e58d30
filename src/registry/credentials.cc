#include "registry/credentials.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>


#include "base/base64.h"
#include "base/fs.h"
#include "base/reference.h"

namespace kiln::registry {

using nlohmann::json;

namespace {

Result<json> LoadConfig(const std::string& path) {
  if (!PathExists(path)) return json::object();
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  if (data.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("docker config " + path + " is not valid JSON")
        .WithHint("fix or remove the file; `kiln login` rewrites it");
  return j;
}

std::string HelperFor(const json& cfg, const std::string& key, const std::string& host) {
  if (cfg.contains("credHelpers") && cfg["credHelpers"].is_object()) {
    for (auto& [k, v] : cfg["credHelpers"].items()) {
      auto norm = NormalizeRegistryHost(k);
      if ((k == key || (norm.ok() && *norm == host)) && v.is_string()) return v.get<std::string>();
    }
  }
  if (cfg.contains("credsStore") && cfg["credsStore"].is_string()) return cfg["credsStore"].get<std::string>();
  return "";
}

// The "auths" key matching `host`, or "".
std::string FindAuthKey(const json& cfg, const std::string& host) {
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return "";
  std::string key = DockerConfig::ServerKey(host);
  if (cfg["auths"].contains(key)) return key;
  for (auto& [k, v] : cfg["auths"].items()) {
    auto norm = NormalizeRegistryHost(k);
    if (norm.ok() && *norm == host) return k;
  }
  return "";
}

Status WriteConfig(const std::string& path, const json& cfg) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos) RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), 0700));
  return WriteFileAtomic(path, cfg.dump(1, '\t') + "\n", 0600);
}

}  // namespace

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return Status::FromErrno(errno, "pipe");
  // A helper that exits before reading its input must not kill kiln with
  // SIGPIPE: block it in this thread while talking to the child (the write
  // then fails with EPIPE) and drop a pending one afterwards.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    return Status::FromErrno(e, "fork");
  }
  if (pid == 0) {
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "exec %s: %s", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  ProcessOutput po;
  size_t written = 0;
  if (input.empty()) { close(in[1]); in[1] = -1; }
  bool out_open = true, err_open = true;
  while (out_open || err_open || in[1] >= 0) {
    struct pollfd fds[3];
    int nf = 0;
    int iout = -1, ierr = -1, iin = -1;
    if (out_open) { fds[nf] = {out[0], POLLIN, 0}; iout = nf++; }
    if (err_open) { fds[nf] = {err[0], POLLIN, 0}; ierr = nf++; }
    if (in[1] >= 0) { fds[nf] = {in[1], POLLOUT, 0}; iin = nf++; }
    if (poll(fds, nf, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    char buf[4096];
    auto drain = [&](int idx, int fd, std::string& dst, bool& open) {
      if (idx >= 0 && fds[idx].revents) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) dst.append(buf, n);
        else if (n == 0 || errno != EINTR) open = false;
      }
    };
    drain(iout, out[0], po.out, out_open);
    drain(ierr, err[0], po.err, err_open);
    if (iin >= 0 && fds[iin].revents) {
      ssize_t n = write(in[1], input.data() + written, input.size() - written);
      if (n > 0) written += n;
      if (n < 0 && errno != EINTR) written = input.size();
      if (written >= input.size()) { close(in[1]); in[1] = -1; }
    }
  }
  close(out[0]);
  close(err[0]);
  const struct timespec no_wait = {0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &no_wait) > 0) {}
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  po.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return po;
}

DockerConfig::DockerConfig(std::string dir) {
  if (dir.empty()) {
    if (const char* d = getenv("DOCKER_CONFIG"); d && *d) {
      dir = d;
    } else {
      const char* home = getenv("HOME");
      dir = std::string(home && *home ? home : "/root") + "/.docker";
    }
  }
  path_ = dir + "/config.json";
}

std::string DockerConfig::ServerKey(const std::string& host) {
  return host == "docker.io" ? "https://index.docker.io/v1/" : host;
}

Result<AuthConfig> DockerConfig::Get(const std::string& host) const {
  ASSIGN_OR_RETURN(json cfg, LoadConfig(path_));
  std::string key = ServerKey(host);
  std::string helper = HelperFor(cfg, key, host);
  AuthConfig a;
  if (!helper.empty()) {
    std::string prog = "docker-credential-" + helper;
    auto r = RunProcess({prog, "get"}, key);
    if (!r.ok()) return r.status().WithContext("credential helper " + prog);
    if (r->exit_code != 0) {
      std::string msg = r->out + r->err;
      if (msg.find("credentials not found") != std::string::npos) return a;
      while (!msg.empty() && isspace(static_cast<unsigned char>(msg.back()))) msg.pop_back();
      return Status::PermissionDenied("credential helper " + prog + " failed for " + key + " (exit " +
                                      std::to_string(r->exit_code) + "): " + msg)
          .WithHint("check `" + prog + " list`, or remove the helper from " + path_);
    }
    json j = json::parse(r->out, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return Status::InvalidArgument("credential helper " + prog + " printed something that is not JSON");
    std::string user = j.value("Username", "");
    std::string secret = j.value("Secret", "");
    if (user == "<token>") {
      a.identity_token = secret;
    } else {
      a.username = user;
      a.password = secret;
    }
    return a;
  }
  std::string k = FindAuthKey(cfg, host);
  if (k.empty()) return a;
  const json& e = cfg["auths"][k];
  if (!e.is_object()) return a;
  if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
    std::string enc;  // config.json may wrap the value
    for (char c : e["auth"].get<std::string>())
      if (!isspace(static_cast<unsigned char>(c))) enc.push_back(c);
    auto dec = Base64Decode(enc);
    if (!dec.ok()) return Status::InvalidArgument("the \"auth\" entry for " + k + " in " + path_ + " is not valid base64");
    auto colon = dec->find(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("the \"auth\" entry for " + k + " in " + path_ + " is not base64(user:password)");
    a.username = dec->substr(0, colon);
    a.password = dec->substr(colon + 1);
  }
  if (e.contains("username") && a.username.empty()) a.username = e.value("username", "");
  if (e.contains("password") && a.password.empty()) a.password = e.value("password", "");
  a.identity_token = e.value("identitytoken", "");
  return a;
}

Status DockerConfig::Store(const std::string& host, const AuthConfig& auth) const {
  ASSIGN_OR_RETURN(json cfg, LoadConfig(path_));
  std::string key = ServerKey(host);
  std::string helper = HelperFor(cfg, key, host);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
  if (!helper.empty()) {
    std::string prog = "docker-credential-" + helper;
    json rec{{"ServerURL", key},
             {"Username", auth.identity_token.empty() ? auth.username : "<token>"},
             {"Secret", auth.identity_token.empty() ? auth.password : auth.identity_token}};
    ASSIGN_OR_RETURN(auto r, RunProcess({prog, "store"}, rec.dump()));
    if (r.exit_code != 0) return Status::IOError("credential helper " + prog + " could not store credentials: " + r.out + r.err);
    cfg["auths"][key] = json::object();  // docker records the host with an empty entry
    return WriteConfig(path_, cfg);
  }
  std::string existing = FindAuthKey(cfg, host);
  if (!existing.empty() && existing != key) cfg["auths"].erase(existing);
  json e = json::object();
  if (!auth.username.empty() || !auth.password.empty()) e["auth"] = Base64Encode(auth.username + ":" + auth.password);
  if (!auth.identity_token.empty()) e["identitytoken"] = auth.identity_token;
  cfg["auths"][key] = e;
  return WriteConfig(path_, cfg);
}

Status DockerConfig::Erase(const std::string& host) const {
  ASSIGN_OR_RETURN(json cfg, LoadConfig(path_));
  std::string key = ServerKey(host);
  std::string helper = HelperFor(cfg, key, host);
  bool found = false;
  if (!helper.empty()) {
    std::string prog = "docker-credential-" + helper;
    auto r = RunProcess({prog, "erase"}, key);
    if (r.ok() && r->exit_code == 0) found = true;
  }
  std::string k = FindAuthKey(cfg, host);
  if (!k.empty()) {
    cfg["auths"].erase(k);
    found = true;
    RETURN_IF_ERROR(WriteConfig(path_, cfg));
  }
  if (!found) return Status::NotFound("not logged in to " + host + " (no credentials in " + path_ + ")");
  return Status::OK();
}

}  // namespace kiln::registry
