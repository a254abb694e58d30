// Who may read or write which repositories (docs/cache-server.md, "Auth").
//
// --htpasswd FILE: Apache htpasswd lines "user:HASH" (bcrypt, as `htpasswd -B`
// writes), optionally followed by rights. --tokens FILE: lines "TOKEN RIGHTS...".
// RIGHTS are space-separated "r:PREFIX" (read) or "rw:PREFIX" (read and write);
// PREFIX is a repository ("team/app/main"), a prefix ending in "/*" ("team/*"), or
// "*" for every repository. A line without rights grants rw:*. '#' starts a comment.
// A token is sent as "Authorization: Bearer TOKEN", or as the password of Basic auth
// (any user name), so `docker login` works with it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::cacheserver {

struct Right {
  std::string prefix;  // "team/app/main", "team/*" or "*"
  bool write = false;
  bool Covers(const std::string& repo) const;
};

struct Principal {
  std::string name;  // user name, or "token:<first 4 chars>"
  std::vector<Right> rights;
  bool Can(const std::string& repo, bool write) const;
};

enum class AuthResult { kOk, kUnauthenticated, kDenied };

class Authenticator {
 public:
  // Empty paths: no auth (everyone may read and write).
  static Result<Authenticator> Load(const std::string& htpasswd, const std::string& tokens);
  bool enabled() const { return !users_.empty() || !tokens_.empty(); }
  // Checks the Authorization header. *who is set when the credentials are valid.
  AuthResult Authenticate(const std::string& authorization, Principal* who) const;
  // The WWW-Authenticate challenge for a 401.
  static std::string Challenge() { return "Basic realm=\"kiln-cache-server\""; }

 private:
  struct User {
    std::string hash;
    Principal principal;
  };
  std::map<std::string, User> users_;
  std::map<std::string, Principal> tokens_;
};

// Parses "r:PREFIX" / "rw:PREFIX"; `where` ("FILE:LINE") prefixes errors.
Result<Right> ParseRight(const std::string& s, const std::string& where);
// crypt(3) check of `password` against an htpasswd hash ($2y$/$2b$ bcrypt, and the
// other schemes libcrypt knows).
bool CheckPassword(const std::string& password, const std::string& hash);

}  // namespace kiln::cacheserver
