// `kiln cache-server`: the store, auth and API on an HTTP(S) listener, with a
// housekeeping thread (last-use times, eviction) and graceful shutdown on SIGTERM
// or SIGINT: the listener closes, requests in flight finish, uploads not finished by
// then are discarded whole (docs/CACHE_SERVER.md).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "base/status.h"

namespace kiln::cacheserver {

struct ServerOptions {
  std::string listen;  // ADDR:PORT
  std::string root;
  int64_t max_size = 0;  // bytes; 0 = unbounded
  std::string tls_cert, tls_key;
  std::string htpasswd, tokens;
  int threads = 64;  // connections served at once
  FILE* access_log = stderr;  // nullptr: no access log
};

// Splits "ADDR:PORT" ("[::1]:5000" for IPv6).
Result<std::pair<std::string, int>> ParseListen(const std::string& s);

class CacheServer {
 public:
  static Result<std::unique_ptr<CacheServer>> Create(ServerOptions opts);
  ~CacheServer();
  // Listens and serves until SIGTERM/SIGINT or Stop(); returns when every request
  // in flight has finished.
  Status Run();
  void Stop();

 private:
  struct Impl;
  explicit CacheServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::cacheserver
