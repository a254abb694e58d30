#include "cacheserver/server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "base/log.h"
#include "cacheserver/api.h"

namespace kiln::cacheserver {

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  char c = 1;
  ssize_t r = write(g_signal_pipe[1], &c, 1);
  (void)r;
}

}  // namespace

Result<std::pair<std::string, int>> ParseListen(const std::string& s) {
  size_t colon = s.rfind(':');
  std::string host = colon == std::string::npos ? "" : s.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : s.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long p = port.empty() ? -1 : strtol(port.c_str(), &end, 10);
  if (host.empty() || p < 0 || p > 65535 || *end != '\0')
    return Status::InvalidArgument("--listen \"" + s + "\" is not ADDR:PORT")
        .WithHint("e.g. --listen 127.0.0.1:5000 or --listen 0.0.0.0:5443");
  return std::make_pair(host, static_cast<int>(p));
}

struct CacheServer::Impl {
  ServerOptions opts;
  std::unique_ptr<Store> store;
  Authenticator auth;
  cacheserver::Metrics metrics;
  std::unique_ptr<Api> api;
  std::unique_ptr<httplib::Server> http;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;

  void Housekeeping() {
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; })) {
      lock.unlock();
      if (Status st = store->FlushUses(); !st.ok()) spdlog::error("cache-server: {}", st.ToString());
      if (Status st = store->EvictIfNeeded(); !st.ok()) spdlog::error("cache-server: eviction: {}", st.ToString());
      lock.lock();
    }
  }
};

CacheServer::CacheServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CacheServer::~CacheServer() = default;

Result<std::unique_ptr<CacheServer>> CacheServer::Create(ServerOptions opts) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(impl->auth, Authenticator::Load(opts.htpasswd, opts.tokens));
  if (opts.tls_cert.empty() != opts.tls_key.empty())
    return Status::InvalidArgument("--tls-cert and --tls-key go together").WithHint("give both, or neither");
  if (opts.tls_cert.empty()) {
    impl->http = std::make_unique<httplib::Server>();
  } else {
    auto ssl = std::make_unique<httplib::SSLServer>(opts.tls_cert.c_str(), opts.tls_key.c_str());
    if (!ssl->is_valid())
      return Status::InvalidArgument("cannot load the TLS certificate " + opts.tls_cert + " and key " + opts.tls_key)
          .WithHint("both must be PEM files, the key unencrypted and matching the certificate");
    impl->http = std::move(ssl);
  }
  StoreOptions so;
  so.root = opts.root;
  so.max_size = opts.max_size;
  ASSIGN_OR_RETURN(impl->store, Store::Open(so));
  impl->api = std::make_unique<Api>(*impl->store, impl->auth, impl->metrics);
  impl->opts = std::move(opts);
  return std::unique_ptr<CacheServer>(new CacheServer(std::move(impl)));
}

void CacheServer::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->http->stop();
}

Status CacheServer::Run() {
  Impl& m = *impl_;
  ASSIGN_OR_RETURN(auto hp, ParseListen(m.opts.listen));
  httplib::Server& svr = *m.http;
  int threads = m.opts.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_keep_alive_max_count(1000);
  svr.set_read_timeout(60);
  svr.set_write_timeout(60);
  svr.set_payload_max_length(std::numeric_limits<size_t>::max());
  svr.set_default_headers({{"Docker-Distribution-API-Version", "registry/2.0"}});
  svr.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    Api::StartRequest();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  FILE* log = m.opts.access_log;
  svr.set_logger([&m, log](const httplib::Request& q, const httplib::Response& r) { m.api->LogRequest(q, r, log); });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& r, std::exception_ptr) {
    r.status = 500;
    r.set_content("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"internal error\"}]}\n", "application/json");
  });
  m.api->Register(svr);
  if (!svr.bind_to_port(hp.first, hp.second))
    return Status::FromErrno(errno, "listen on", m.opts.listen).WithHint("is another server using the port?");

  signal(SIGPIPE, SIG_IGN);
  if (pipe2(g_signal_pipe, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe2");
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread watcher([this] {
    struct pollfd p {g_signal_pipe[0], POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    char c;
    if (read(g_signal_pipe[0], &c, 1) == 1 && c == 1) {
      fprintf(stderr, "kiln cache-server: shutting down; finishing the requests in flight\n");
    }
    Stop();
  });
  std::thread housekeeping([&m] { m.Housekeeping(); });
  fprintf(stderr, "kiln cache-server: serving %s on %s://%s (%s)\n", m.opts.root.c_str(),
          m.opts.tls_cert.empty() ? "http" : "https", m.opts.listen.c_str(),
          m.auth.enabled() ? "auth required" : "no auth");
  bool ok = svr.listen_after_bind();
  // Ends the watcher if Stop() came from elsewhere.
  char c = 0;
  ssize_t w = write(g_signal_pipe[1], &c, 1);
  (void)w;
  watcher.join();
  Stop();
  housekeeping.join();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  close(g_signal_pipe[0]);
  close(g_signal_pipe[1]);
  RETURN_IF_ERROR(m.store->FlushUses());
  fprintf(stderr, "kiln cache-server: stopped\n");
  if (!ok) return Status::IOError("the listener on " + m.opts.listen + " failed");
  return Status::OK();
}

}  // namespace kiln::cacheserver
