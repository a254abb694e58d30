#include "build/flags.h"

#include <cstdlib>

#include "base/fs.h"
#include "exporter/output.h"

namespace kiln::build {

Result<std::map<std::string, std::string>> ParseBuildArgs(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == 0 || a.empty())
      return Status::InvalidArgument("--build-arg " + a + ": no argument name").WithHint("write --build-arg NAME=VALUE");
    if (eq != std::string::npos) {
      out[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (const char* v = getenv(a.c_str())) {
      out[a] = v;
    }
  }
  return out;
}

std::map<std::string, std::string> ParseLabels(const std::vector<std::string>& labels) {
  std::map<std::string, std::string> out;
  for (const auto& l : labels) {
    auto eq = l.find('=');
    out[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseBuildContexts(const std::vector<std::string>& contexts) {
  std::map<std::string, std::string> out;
  for (const auto& bc : contexts) {
    auto eq = bc.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument("--build-context " + bc + ": want NAME=DIR or NAME=docker-image://REF")
          .WithHint("write --build-context NAME=DIR or NAME=docker-image://REF");
    out[bc.substr(0, eq)] = bc.substr(eq + 1);
  }
  return out;
}

Result<std::optional<oci::Platform>> ParsePlatformFlag(const std::string& platform) {
  if (platform.empty()) return std::optional<oci::Platform>();
  auto p = oci::ParsePlatform(platform);
  if (!p)
    return Status::InvalidArgument("--platform " + platform + ": not a platform")
        .WithHint("use os/arch[/variant], e.g. linux/amd64");
  return std::optional<oci::Platform>(*p);
}

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

Result<std::pair<std::string, std::string>> ParseSsh(const std::string& s) {
  auto eq = s.find('=');
  std::string id = s.substr(0, eq), sock = eq == std::string::npos ? "" : s.substr(eq + 1);
  if (sock.empty()) {
    const char* a = getenv("SSH_AUTH_SOCK");
    if (!a) return Status::InvalidArgument("--ssh " + s + ": no socket given and SSH_AUTH_SOCK is not set");
    sock = a;
  }
  return std::make_pair(id, sock);
}

}  // namespace kiln::build
