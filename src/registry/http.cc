#include "registry/http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "base/strings.h"
#include "base/fs.h"

namespace kiln::registry {

namespace {

std::once_flag g_curl_init;

struct Handle {
  CURL* curl = nullptr;
  Handle() { curl = curl_easy_init(); }
  ~Handle() { if (curl) curl_easy_cleanup(curl); }
};

CURL* ThreadHandle() {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_ALL); });
  static thread_local Handle h;
  curl_easy_reset(h.curl);
  return h.curl;
}

struct Ctx {
  const HttpRequest* req;
  HttpResponse* resp;
  // upload
  int fd = -1;
  int64_t up_pos = 0;
  int64_t up_end = 0;
  // download
  bool sink_aborted = false;
  std::string read_error;
};

size_t OnHeader(char* buf, size_t size, size_t n, void* ud) {
  auto* ctx = static_cast<Ctx*>(ud);
  std::string line(buf, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    ctx->resp->headers.clear();  // a new response (redirect or 100 Continue)
    auto sp = line.find(' ');
    if (sp != std::string::npos) ctx->resp->status = std::strtol(line.c_str() + sp + 1, nullptr, 10);
    return size * n;
  }
  if (line.empty()) {
    long st = ctx->resp->status;
    bool final = st >= 200 && !(st >= 300 && st < 400 && ctx->req->follow_redirects && ctx->resp->headers.count("location"));
    if (final && ctx->req->on_headers && !ctx->req->on_headers(*ctx->resp)) {
      ctx->sink_aborted = true;
      return 0;
    }
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string v = line.substr(colon + 1);
    size_t b = v.find_first_not_of(" \t");
    v = b == std::string::npos ? "" : v.substr(b);
    ctx->resp->headers.emplace(Lower(line.substr(0, colon)), v);
  }
  return size * n;
}

size_t OnWrite(char* buf, size_t size, size_t n, void* ud) {
  auto* ctx = static_cast<Ctx*>(ud);
  size_t len = size * n;
  // Only successful bodies are streamed; error bodies are kept for the message.
  long code = ctx->resp->status;
  if (ctx->req->sink && code >= 200 && code < 300) {
    if (!ctx->req->sink(buf, len)) {
      ctx->sink_aborted = true;
      return 0;
    }
    return len;
  }
  if (ctx->resp->body.size() < (64u << 20)) ctx->resp->body.append(buf, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* ud) {
  auto* ctx = static_cast<Ctx*>(ud);
  size_t want = size * n;
  int64_t left = ctx->up_end - ctx->up_pos;
  if (left <= 0) return 0;
  if (static_cast<int64_t>(want) > left) want = static_cast<size_t>(left);
  if (ctx->fd >= 0) {
    ssize_t got;
    do {
      got = pread(ctx->fd, buf, want, ctx->up_pos);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      ctx->read_error = got < 0 ? std::string("read: ") + strerror(errno) : "file shorter than expected";
      return CURL_READFUNC_ABORT;
    }
    ctx->up_pos += got;
    return static_cast<size_t>(got);
  }
  memcpy(buf, ctx->req->body.data() + ctx->up_pos, want);
  ctx->up_pos += static_cast<int64_t>(want);
  return want;
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::vector<std::string> HttpResponse::Headers(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string SystemCaBundle() {
  for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"}) {
    if (PathExists(p)) return p;
  }
  return "";
}

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<HttpResponse> DoHttp(const HttpRequest& req, const TlsConfig& tls) {
  CURL* c = ThreadHandle();
  HttpResponse resp;
  Ctx ctx{&req, &resp};
  bool has_body = !req.body.empty() || !req.body_file.empty() || req.method == "PUT" || req.method == "PATCH" ||
                  req.method == "POST";
  if (!req.body_file.empty()) {
    ctx.fd = open(req.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (ctx.fd < 0) return Status::FromErrno(errno, "open", req.body_file);
    int64_t end = req.body_length;
    if (end < 0) {
      off_t sz = lseek(ctx.fd, 0, SEEK_END);
      end = sz - req.body_offset;
    }
    ctx.up_pos = req.body_offset;
    ctx.up_end = req.body_offset + end;
  } else {
    ctx.up_end = static_cast<int64_t>(req.body.size());
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { if (fd >= 0) close(fd); }
  } closer{ctx.fd};

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  if (req.timeout_seconds > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, req.timeout_seconds);
  // Abort a stalled transfer: less than 1 byte/s for 60 s.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "kiln/0.1");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");

  struct curl_slist* hdrs = nullptr;
  for (const auto& h : req.headers) hdrs = curl_slist_append(hdrs, h.c_str());
  hdrs = curl_slist_append(hdrs, "Expect:");

  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (has_body && req.method != "DELETE") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &ctx);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(ctx.up_end - ctx.up_pos));
    if (req.method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

  std::string bundle;
  if (!tls.verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!tls.ca_pem.empty()) {
    static const std::string system_pem = [] {
      std::string sys = SystemCaBundle();
      auto data = sys.empty() ? Result<std::string>(Status::NotFound("")) : ReadFile(sys);
      return data.ok() ? *data + "\n" : std::string();
    }();
    bundle = system_pem + tls.ca_pem;
    struct curl_blob blob{bundle.data(), bundle.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls.client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, tls.client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, tls.client_key.c_str());
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(hdrs);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  char* eff = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
  if (eff) resp.effective_url = eff;
  if (rc != CURLE_OK) {
    if (ctx.sink_aborted) return Status::Cancelled(req.method + " " + req.url + ": transfer aborted by the receiver");
    std::string msg = req.method + " " + req.url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (!ctx.read_error.empty()) return Status::IOError(msg + " (" + req.body_file + ": " + ctx.read_error + ")");
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM)
      return Status::FailedPrecondition(msg).WithHint(
          "the registry's TLS certificate is not trusted: put its CA in /etc/docker/certs.d/<host:port>/ca.crt, "
          "or use --insecure-registry for a registry without TLS");
    return Status::Unavailable(msg);
  }
  resp.status = code;
  return resp;
}

}  // namespace kiln::registry
