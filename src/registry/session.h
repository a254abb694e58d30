// A session with one registry host: endpoint discovery (https, or http for
// loopback/insecure registries), TLS trust, authentication and bounded retries.
//
// Endpoint: docker.io is served by registry-1.docker.io. Every other host is tried
// over https first, with the system CA bundle plus every *.crt in
// $KILN_CERTS_D/<host[:port]>/ (default /etc/docker/certs.d, docker's convention; a
// client.cert/client.key pair there is sent as the client certificate). Plain http is
// used only when https fails on a loopback host (localhost, 127.0.0.0/8, ::1) or a host
// named in RegistryOptions::insecure (whose TLS certificate is then not verified), and
// only when the http endpoint answers like a registry.
//
// Authentication: the first request pings /v2/; a 401 names the scheme. Basic sends
// the stored credentials; Bearer fetches a token from the challenge's realm for the
// request's scopes (GET with Basic credentials, or POST grant_type=refresh_token with
// an identity token), caches it per scope set until it expires, and fetches a new one
// once if the registry still answers 401. A refusal after that is PermissionDenied with
// the registry's message: never a retry loop.
//
// Retries: connection failures, 429 and 5xx are retried up to `max_retries` times with
// exponential backoff (200 ms doubling, at most 5 s); other statuses are returned.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "registry/auth.h"
#include "registry/credentials.h"
#include "registry/http.h"

namespace kiln::registry {

struct RegistryOptions {
  std::vector<std::string> insecure;  // hosts ("host" or "host:port") allowed over http / unverified TLS
  std::string docker_config_dir;      // "" = $DOCKER_CONFIG or ~/.docker
  std::string certs_dir;              // "" = $KILN_CERTS_D or /etc/docker/certs.d
  int max_retries = 4;
  int parallel = 4;                   // blobs transferred at once
  int64_t chunk_size = 0;             // >0: push blobs in PATCH chunks of this size
  std::optional<AuthConfig> auth;     // explicit credentials (kiln login), instead of the config file
};

bool IsLoopbackHost(const std::string& host);

class Session {
 public:
  // No network traffic happens until the first request.
  Session(std::string host, RegistryOptions opts);
  const std::string& host() const { return host_; }
  const RegistryOptions& options() const { return opts_; }

  // Performs `req` whose url is a path ("/v2/...") or an absolute URL (upload locations),
  // authorising for `scopes` (token flow). Retries transient failures unless `req.sink` is set
  // (streaming callers resume themselves). Any HTTP status comes back as a value except 401
  // after re-authentication, which is PermissionDenied.
  Result<HttpResponse> Do(HttpRequest req, const std::vector<std::string>& scopes);

  // Pings /v2/ and authenticates for `scopes` (used by login to verify credentials).
  Status CheckAuth(const std::vector<std::string>& scopes);

  // The base URL: "https://host" or "http://host".
  Result<std::string> BaseUrl();

 private:
  Status EnsurePinged();
  Result<std::string> AuthHeader(const std::vector<std::string>& scopes, bool force_refresh);
  Result<std::string> FetchToken(const std::vector<std::string>& scopes);
  Result<AuthConfig> Credentials();
  std::string Absolute(const std::string& url) const;

  std::string host_;
  RegistryOptions opts_;
  TlsConfig tls_;
  std::mutex mu_;
  bool pinged_ = false;
  std::string base_;  // scheme://endpoint
  std::optional<Challenge> challenge_;
  std::optional<AuthConfig> creds_;
  struct Token {
    std::string token;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;  // key: sorted scopes
};

// Turns a registry error response into a Status in plain words:
// "<what>: <registry message> (HTTP 404 MANIFEST_UNKNOWN)". 404 -> NotFound,
// 401/403 -> PermissionDenied, 429/5xx -> Unavailable, others InvalidArgument/Internal.
Status RegistryError(const HttpResponse& resp, const std::string& what);

}  // namespace kiln::registry
