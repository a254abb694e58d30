// Registry credentials as docker keeps them: $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json) with
//   "auths":       {"<host>": {"auth": base64("user:pass"), "identitytoken": "..."}}
//   "credsStore":  "<helper>"                 (all hosts)
//   "credHelpers": {"<host>": "<helper>"}      (per host, wins over credsStore)
// Helpers are run as `docker-credential-<helper> get|store|erase` with the server URL
// (or a JSON record) on stdin, docker's credential-helper protocol.
// Docker Hub's key is "https://index.docker.io/v1/"; other keys are matched by host
// after stripping a scheme and path ("https://host:5000/v2/" matches "host:5000").
#pragma once

#include <string>
#include <vector>

#include "base/base64.h"
#include "base/status.h"

namespace kiln::registry {

struct AuthConfig {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token (docker's "identitytoken")
  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

class DockerConfig {
 public:
  // dir: "" = $DOCKER_CONFIG, else ~/.docker.
  explicit DockerConfig(std::string dir = "");
  const std::string& path() const { return path_; }

  // Credentials for `host` ("docker.io", "localhost:5000"); empty when none are stored.
  // A missing config file means no credentials; a malformed one is an error.
  Result<AuthConfig> Get(const std::string& host) const;
  // Saves credentials (through the helper when one applies, else in "auths"),
  // writing config.json atomically with mode 0600 and keeping its other fields.
  Status Store(const std::string& host, const AuthConfig& auth) const;
  // Removes stored credentials; NotFound when there were none.
  Status Erase(const std::string& host) const;

  // The key docker uses for a host in "auths" and helper calls.
  static std::string ServerKey(const std::string& host);

 private:
  std::string path_;
};

// Runs argv with `input` on stdin; returns stdout. Non-zero exit gives an error
// carrying stdout/stderr text. Used for credential helpers.
struct ProcessOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, const std::string& input);

}  // namespace kiln::registry
