// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kiln::registry {

struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-case names
  std::string Param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? "" : it->second;
  }
};

// Parses one or more header values; several challenges may share one value.
std::vector<Challenge> ParseChallenges(const std::vector<std::string>& values);

// Scope strings for the token flow: "repository:<path>:pull" or ":pull,push".
std::string RepositoryScope(const std::string& path, bool push);

}  // namespace kiln::registry
