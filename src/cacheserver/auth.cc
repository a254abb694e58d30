#include "cacheserver/auth.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <sstream>

#include "base/base64.h"
#include "base/fs.h"
#include "base/strings.h"

namespace kiln::cacheserver {

namespace {


// Splits a file into (line number, trimmed non-empty non-comment line).
std::vector<std::pair<int, std::string>> Lines(const std::string& text) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); n++) {
    line = Trim(line, " \t\r");
    if (!line.empty() && line[0] != '#') out.emplace_back(n, line);
  }
  return out;
}

Result<std::vector<Right>> ParseRights(std::istringstream& words, const std::string& where) {
  std::vector<Right> rights;
  std::string w;
  while (words >> w) {
    ASSIGN_OR_RETURN(Right r, ParseRight(w, where));
    rights.push_back(r);
  }
  if (rights.empty()) rights.push_back(Right{"*", true});
  return rights;
}

bool ConstantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool Right::Covers(const std::string& repo) const {
  if (prefix == "*") return true;
  if (prefix.size() >= 2 && prefix.compare(prefix.size() - 2, 2, "/*") == 0) {
    std::string base = prefix.substr(0, prefix.size() - 1);  // "team/"
    return repo.compare(0, base.size(), base) == 0;
  }
  return repo == prefix;
}

bool Principal::Can(const std::string& repo, bool write) const {
  for (const auto& r : rights) {
    if (r.Covers(repo) && (r.write || !write)) return true;
  }
  return false;
}

Result<Right> ParseRight(const std::string& s, const std::string& where) {
  size_t colon = s.find(':');
  std::string mode = s.substr(0, colon);
  if (colon == std::string::npos || (mode != "r" && mode != "rw") || colon + 1 == s.size()) {
    return Status::InvalidArgument(where + ": invalid right \"" + s + "\"")
        .WithHint("write r:PREFIX or rw:PREFIX, e.g. rw:team/app/main r:team/*");
  }
  return Right{s.substr(colon + 1), mode == "rw"};
}

bool CheckPassword(const std::string& password, const std::string& hash) {
  struct crypt_data data {};
  const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
  return out != nullptr && out[0] != '*' && ConstantTimeEqual(out, hash);
}

Result<Authenticator> Authenticator::Load(const std::string& htpasswd, const std::string& tokens) {
  Authenticator a;
  if (!htpasswd.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(htpasswd));
    for (const auto& [n, line] : Lines(text)) {
      std::string where = htpasswd + ":" + std::to_string(n);
      std::istringstream words(line);
      std::string entry;
      words >> entry;
      size_t colon = entry.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size())
        return Status::InvalidArgument(where + ": expected user:hash").WithHint("make lines with `htpasswd -nB USER`");
      std::string user = entry.substr(0, colon);
      ASSIGN_OR_RETURN(auto rights, ParseRights(words, where));
      a.users_[user] = User{entry.substr(colon + 1), Principal{user, rights}};
    }
  }
  if (!tokens.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(tokens));
    for (const auto& [n, line] : Lines(text)) {
      std::string where = tokens + ":" + std::to_string(n);
      std::istringstream words(line);
      std::string token;
      words >> token;
      if (token.size() < 8)
        return Status::InvalidArgument(where + ": the token is shorter than 8 characters")
            .WithHint("make one with `openssl rand -hex 32`");
      ASSIGN_OR_RETURN(auto rights, ParseRights(words, where));
      a.tokens_[token] = Principal{"token:" + token.substr(0, 4), rights};
    }
  }
  return a;
}

AuthResult Authenticator::Authenticate(const std::string& authorization, Principal* who) const {
  if (!enabled()) {
    *who = Principal{"anonymous", {Right{"*", true}}};
    return AuthResult::kOk;
  }
  auto find_token = [&](const std::string& t) {
    for (const auto& [token, p] : tokens_) {
      if (ConstantTimeEqual(token, t)) {
        *who = p;
        return true;
      }
    }
    return false;
  };
  if (authorization.rfind("Bearer ", 0) == 0) {
    return find_token(Trim(authorization.substr(7), " \t\r")) ? AuthResult::kOk : AuthResult::kUnauthenticated;
  }
  if (authorization.rfind("Basic ", 0) != 0) return AuthResult::kUnauthenticated;
  auto pair = Base64Decode(Trim(authorization.substr(6), " \t\r"));
  size_t colon = pair.ok() ? pair->find(':') : std::string::npos;
  if (colon == std::string::npos) return AuthResult::kUnauthenticated;
  std::string user = pair->substr(0, colon), password = pair->substr(colon + 1);
  auto it = users_.find(user);
  if (it != users_.end() && CheckPassword(password, it->second.hash)) {
    *who = it->second.principal;
    return AuthResult::kOk;
  }
  return find_token(password) ? AuthResult::kOk : AuthResult::kUnauthenticated;
}

}  // namespace kiln::cacheserver
