// kiln cache-server: an OCI distribution server for a team's build cache
// (src/cacheserver, docs/CACHE_SERVER.md).
#include <memory>

#include "cache/gc.h"
#include "cacheserver/server.h"
#include "cli/app.h"

namespace kiln::cli {

void RegisterCacheServer(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "cache-server",
      "Serve a build cache (an OCI registry) for a team: kiln, docker and skopeo push and pull to it");
  auto o = std::make_shared<cacheserver::ServerOptions>();
  auto max_size = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--listen", o->listen, "ADDR:PORT to listen on, e.g. 127.0.0.1:5000 or 0.0.0.0:5443")->required();
  cmd->add_option("--root", o->root, "directory of the store: blobs, index.db, uploads (created)")->required();
  cmd->add_option("--max-size", *max_size,
                  "evict least-recently-used manifests, then blobs no manifest names, to stay under SIZE "
                  "(e.g. 50GB, 512MiB; default: no limit)");
  cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this PEM certificate (chain); needs --tls-key");
  cmd->add_option("--tls-key", o->tls_key, "the PEM private key of --tls-cert");
  cmd->add_option("--htpasswd", o->htpasswd,
                  "Basic auth: lines `USER:BCRYPT-HASH [RIGHT...]` (htpasswd -nB USER); RIGHT is r:PREFIX or "
                  "rw:PREFIX, PREFIX a repository, `team/*` or `*`; no rights = rw:*");
  cmd->add_option("--tokens", o->tokens,
                  "static tokens: lines `TOKEN [RIGHT...]`, sent as `Authorization: Bearer TOKEN` or as the "
                  "password of Basic auth (any user name)");
  cmd->add_option("--threads", o->threads, "connections served at once")->default_val(64)->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-access-log", *quiet, "do not print one line per request to stderr");
  cmd->footer(
      "Without --htpasswd and --tokens anyone who can connect may read and write. Unauthenticated requests get "
      "401 with WWW-Authenticate; a principal without the right gets 403 DENIED. GET /metrics is Prometheus "
      "text; POST /kiln/v1/REPO/lookup looks up many tags at once (docs/CACHE_SERVER.md).");
  cmd->callback([o, max_size, quiet] {
    if (!max_size->empty()) {
      auto n = cache::ParseSize(*max_size);
      if (!n.ok()) Fail(n.status().WithContext("--max-size"));
      o->max_size = *n;
    }
    if (*quiet) o->access_log = nullptr;
    auto server = cacheserver::CacheServer::Create(*o);
    if (!server.ok()) Fail(server.status());
    if (Status st = (*server)->Run(); !st.ok()) Fail(st);
  });
  (void)g;
}

}  // namespace kiln::cli
