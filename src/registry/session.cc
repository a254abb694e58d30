#include "registry/session.h"

#include <arpa/inet.h>
#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/fs.h"
#include "base/log.h"

namespace kiln::registry {

using nlohmann::json;

namespace {

std::string HostOnly(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    auto e = host.find(']');
    return host.substr(1, e == std::string::npos ? std::string::npos : e - 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

void Backoff(int attempt) {
  int ms = std::min(5000, 200 << std::min(attempt, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::string ScopeKey(std::vector<std::string> scopes) {
  std::sort(scopes.begin(), scopes.end());
  std::string k;
  for (const auto& s : scopes) k += s + " ";
  return k;
}

TlsConfig LoadTls(const std::string& certs_dir, const std::string& host) {
  TlsConfig t;
  std::string dir = certs_dir + "/" + host;
  DIR* d = opendir(dir.c_str());
  if (!d) return t;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    auto ends = [&](const std::string& sfx) {
      return name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0;
    };
    if (ends(".crt")) {
      auto pem = ReadFile(dir + "/" + name);
      if (pem.ok()) t.ca_pem += *pem + "\n";
    } else if (ends(".cert")) {
      std::string key = dir + "/" + name.substr(0, name.size() - 5) + ".key";
      if (PathExists(key)) {
        t.client_cert = dir + "/" + name;
        t.client_key = key;
      }
    }
  }
  closedir(d);
  return t;
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  std::string h = HostOnly(host);
  if (h == "localhost" || h == "::1") return true;
  struct in_addr a;
  if (inet_pton(AF_INET, h.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

Status RegistryError(const HttpResponse& resp, const std::string& what) {
  std::string msg;
  std::string codes;
  json j = json::parse(resp.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      if (!msg.empty()) msg += "; ";
      msg += e.value("message", "");
      if (e.contains("detail") && e["detail"].is_string() && e["detail"].get<std::string>().size() < 300 &&
          !e["detail"].get<std::string>().empty())
        msg += ": " + e["detail"].get<std::string>();
      codes += " " + e.value("code", "");
    }
  }
  if (msg.empty()) {
    std::string b = resp.body.substr(0, 200);
    while (!b.empty() && isspace(static_cast<unsigned char>(b.back()))) b.pop_back();
    msg = b.empty() ? "no details" : b;
  }
  std::string full = what + ": the registry answered \"" + msg + "\" (HTTP " + std::to_string(resp.status) + codes + ")";
  if (resp.status == 404) return Status::NotFound(full);
  if (resp.status == 401 || resp.status == 403) return Status::PermissionDenied(full);
  if (resp.status == 429 || resp.status >= 500) return Status::Unavailable(full);
  if (resp.status >= 400 && resp.status < 500) return Status::InvalidArgument(full);
  return Status::Internal(full);
}

Session::Session(std::string host, RegistryOptions opts) : host_(std::move(host)), opts_(std::move(opts)) {
  std::string certs = opts_.certs_dir;
  if (certs.empty()) {
    const char* e = getenv("KILN_CERTS_D");
    certs = e && *e ? e : "/etc/docker/certs.d";
  }
  tls_ = LoadTls(certs, host_);
  if (std::find(opts_.insecure.begin(), opts_.insecure.end(), host_) != opts_.insecure.end() ||
      std::find(opts_.insecure.begin(), opts_.insecure.end(), HostOnly(host_)) != opts_.insecure.end())
    tls_.verify = false;
}

std::string Session::Absolute(const std::string& url) const {
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return url;
  return base_ + url;
}

Result<std::string> Session::BaseUrl() {
  RETURN_IF_ERROR(EnsurePinged());
  return base_;
}

Status Session::EnsurePinged() {
  std::lock_guard<std::mutex> lock(mu_);
  if (pinged_) return Status::OK();
  std::string endpoint = host_ == "docker.io" ? "registry-1.docker.io" : host_;
  bool may_http = IsLoopbackHost(host_) || !tls_.verify;
  Status last;
  for (int attempt = 0; attempt <= opts_.max_retries; attempt++) {
    HttpRequest req;
    req.url = "https://" + endpoint + "/v2/";
    req.timeout_seconds = 60;
    auto r = DoHttp(req, tls_);
    std::string base = "https://" + endpoint;
    if (!r.ok() && may_http && r.status().code() != Code::kFailedPrecondition) {
      HttpRequest plain = req;
      plain.url = "http://" + endpoint + "/v2/";
      auto p = DoHttp(plain, tls_);
      if (p.ok() && (p->status == 200 || p->status == 401)) {
        r = std::move(p);
        base = "http://" + endpoint;
      }
    }
    if (!r.ok()) {
      last = r.status();
      if (last.code() != Code::kUnavailable) break;
      if (attempt < opts_.max_retries) Backoff(attempt);
      continue;
    }
    base_ = base;
    if (r->status == 401) {
      auto ch = ParseChallenges(r->Headers("www-authenticate"));
      for (auto& c : ch) {
        if (c.scheme == "bearer" || c.scheme == "basic") {
          challenge_ = c;
          if (c.scheme == "bearer") break;
        }
      }
    } else if (r->status >= 500 || r->status == 429) {
      last = RegistryError(*r, "registry " + host_ + " is not available");
      if (attempt < opts_.max_retries) Backoff(attempt);
      continue;
    }
    spdlog::debug("registry {}: endpoint {}, auth {}", host_, base_, challenge_ ? challenge_->scheme : "none");
    pinged_ = true;
    return Status::OK();
  }
  if (last.code() == Code::kFailedPrecondition) {
    std::string certs = opts_.certs_dir;
    if (certs.empty()) {
      const char* e = getenv("KILN_CERTS_D");
      certs = e && *e ? e : "/etc/docker/certs.d";
    }
    last = last.WithHint("the registry's TLS certificate is not trusted: put the CA that signed it in " + certs + "/" +
                         host_ + "/ca.crt (or the system CA bundle), or use --insecure-registry " + host_ +
                         " to skip verification");
  }
  return last.WithContext("cannot reach registry " + host_);
}

Result<AuthConfig> Session::Credentials() {
  if (creds_) return *creds_;
  if (opts_.auth) {
    creds_ = *opts_.auth;
  } else {
    DockerConfig cfg(opts_.docker_config_dir);
    ASSIGN_OR_RETURN(creds_, cfg.Get(host_));
  }
  return *creds_;
}

Result<std::string> Session::FetchToken(const std::vector<std::string>& scopes) {
  ASSIGN_OR_RETURN(AuthConfig creds, Credentials());
  std::string realm = challenge_->Param("realm");
  std::string service = challenge_->Param("service");
  if (realm.empty()) return Status::InvalidArgument("registry " + host_ + " asked for a bearer token without a realm");
  HttpRequest req;
  req.timeout_seconds = 60;
  if (!creds.identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=kiln&refresh_token=" + UrlEncode(creds.identity_token) +
               "&service=" + UrlEncode(service);
    for (const auto& s : scopes) req.body += "&scope=" + UrlEncode(s);
  } else {
    req.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + "service=" + UrlEncode(service);
    for (const auto& s : scopes) req.url += "&scope=" + UrlEncode(s);
    if (!creds.username.empty()) req.headers.push_back("Authorization: Basic " + Base64Encode(creds.username + ":" + creds.password));
  }
  Result<HttpResponse> r = Status::Unavailable("no attempt");
  for (int attempt = 0; attempt <= opts_.max_retries; attempt++) {
    r = DoHttp(req, tls_);
    bool transient = !r.ok() ? r.status().code() == Code::kUnavailable : (r->status >= 500 || r->status == 429);
    if (!transient) break;
    if (attempt < opts_.max_retries) Backoff(attempt);
  }
  if (!r.ok()) return r.status().WithContext("token server of " + host_);
  if (r->status == 401 || r->status == 403) {
    std::string who = creds.username.empty() ? (creds.identity_token.empty() ? "anonymous access" : "the identity token")
                                             : "user \"" + creds.username + "\"";
    return RegistryError(*r, "the token server of " + host_ + " (" + realm + ") refused " + who)
        .WithHint(creds.empty() ? "log in first: kiln login " + host_ : "check the credentials: kiln login " + host_);
  }
  if (r->status != 200) return RegistryError(*r, "token request to " + realm);
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Status::InvalidArgument("the token server of " + host_ + " answered with something that is not JSON");
  std::string token = j.value("token", "");
  if (token.empty()) token = j.value("access_token", "");
  if (token.empty()) return Status::InvalidArgument("the token server of " + host_ + " sent no token");
  int64_t expires_in = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<int64_t>() : 60;
  if (expires_in < 60) expires_in = 60;  // the distribution spec's minimum
  tokens_[ScopeKey(scopes)] = {token, std::chrono::steady_clock::now() + std::chrono::seconds(expires_in - 10)};
  return token;
}

Result<std::string> Session::AuthHeader(const std::vector<std::string>& scopes, bool force_refresh) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!challenge_) return std::string();
  if (challenge_->scheme == "basic") {
    ASSIGN_OR_RETURN(AuthConfig creds, Credentials());
    if (creds.username.empty())
      return Status::PermissionDenied("registry " + host_ + " requires a user name and password")
          .WithHint("log in first: kiln login " + host_);
    return "Basic " + Base64Encode(creds.username + ":" + creds.password);
  }
  auto it = tokens_.find(ScopeKey(scopes));
  if (!force_refresh && it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
    return "Bearer " + it->second.token;
  ASSIGN_OR_RETURN(std::string token, FetchToken(scopes));
  return "Bearer " + token;
}

Result<HttpResponse> Session::Do(HttpRequest req, const std::vector<std::string>& scopes) {
  RETURN_IF_ERROR(EnsurePinged());
  req.url = Absolute(req.url);
  bool refreshed = false;
  for (int attempt = 0;; attempt++) {
    ASSIGN_OR_RETURN(std::string auth, AuthHeader(scopes, refreshed));
    HttpRequest r = req;
    if (!auth.empty()) r.headers.push_back("Authorization: " + auth);
    auto res = DoHttp(r, tls_);
    bool can_retry = !req.sink && attempt < opts_.max_retries;
    if (!res.ok()) {
      if (res.status().code() == Code::kUnavailable && can_retry) {
        spdlog::debug("{}; retrying", res.status().message());
        Backoff(attempt);
        continue;
      }
      return res.status();
    }
    if (res->status == 401) {
      auto ch = ParseChallenges(res->Headers("www-authenticate"));
      bool bearer_now = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto& c : ch) {
          if (c.scheme == "bearer") { challenge_ = c; bearer_now = true; break; }
          if (c.scheme == "basic" && !challenge_) challenge_ = c;
        }
      }
      if (!refreshed && (bearer_now || auth.empty())) {
        refreshed = true;
        continue;
      }
      bool anon;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto creds = Credentials();
        anon = creds.ok() && creds->empty();
      }
      return RegistryError(*res, req.method + " " + req.url + ": the registry refused " +
                                     (anon ? std::string("anonymous access") : "the credentials"))
          .WithHint(anon ? "log in first: kiln login " + host_ : "check the credentials with: kiln login " + host_);
    }
    if ((res->status == 429 || res->status >= 500) && can_retry) {
      spdlog::debug("{} {}: HTTP {}; retrying", req.method, req.url, res->status);
      Backoff(attempt);
      continue;
    }
    return res;
  }
}

Status Session::CheckAuth(const std::vector<std::string>& scopes) {
  HttpRequest req;
  req.url = "/v2/";
  ASSIGN_OR_RETURN(HttpResponse r, Do(req, scopes));
  if (r.status != 200) return RegistryError(r, "checking credentials with " + host_);
  return Status::OK();
}

}  // namespace kiln::registry
