// One HTTP exchange over libcurl: the transport under the registry client.
// Requests stream: uploads read from a string or a file range, downloads go to a
// sink callback (or into memory). Each thread reuses one curl handle, so
// connections stay open between requests of the same thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::registry {

// TLS settings for one host.
struct TlsConfig {
  std::string ca_pem;        // extra CA certificates (PEM), added to the system bundle
  std::string client_cert;   // path of a client certificate (PEM), optional
  std::string client_key;    // path of its key
  bool verify = true;
};

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Body: `body`, or `body_file` from `body_offset` for `body_length` bytes (-1: to the end).
  std::string body;
  std::string body_file;
  int64_t body_offset = 0;
  int64_t body_length = -1;
  // When set, the response body goes here (only for 2xx; other bodies are kept in memory
  // so errors can be reported). Return false to abort the transfer.
  std::function<bool(const char* data, size_t len)> sink;
  // Called once the final response's headers are in, before any body byte
  // (status and headers filled). Return false to abort the transfer.
  std::function<bool(const struct HttpResponse&)> on_headers;
  bool follow_redirects = true;
  long timeout_seconds = 0;  // 0: none (transfers can be long); connect timeout is fixed
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;           // unless streamed to the sink
  std::string effective_url;  // after redirects
  // First value of a header ("" when absent); name in lower case.
  std::string Header(const std::string& name) const;
  std::vector<std::string> Headers(const std::string& name) const;
};

// Performs one request. Any HTTP status is a successful Result (the caller judges it).
// Transport failures (connection refused, reset, timeouts) give Unavailable; TLS
// certificate problems give FailedPrecondition (not worth retrying); a sink that
// returns false gives Cancelled.
Result<HttpResponse> DoHttp(const HttpRequest& req, const TlsConfig& tls);

// The system CA bundle path (Debian: /etc/ssl/certs/ca-certificates.crt).
std::string SystemCaBundle();

// Percent-encodes a query-string value.
std::string UrlEncode(const std::string& s);

}  // namespace kiln::registry
