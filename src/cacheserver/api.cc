// Api: routing, errors in the distribution spec's JSON form, auth, the access log,
// /v2/, the catalog and /metrics.
#include "cacheserver/api.h"

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace kiln::cacheserver {

namespace {

// What the access log says about the request this thread is serving.
struct RequestInfo {
  std::chrono::steady_clock::time_point start;
  std::string user = "-";
};
thread_local RequestInfo t_request;

std::mutex g_log_mu;

std::string Repo(const httplib::Request& req) { return req.matches[1].str(); }

// Parses n and last (tag list and catalog pagination).
void Paginate(const httplib::Request& req, const std::vector<std::string>& all, std::vector<std::string>* page,
              bool* more) {
  size_t n = all.size();
  if (req.has_param("n")) n = static_cast<size_t>(std::max(0L, std::atol(req.get_param_value("n").c_str())));
  std::string last = req.get_param_value("last");
  auto it = last.empty() ? all.begin() : std::upper_bound(all.begin(), all.end(), last);
  for (; it != all.end() && page->size() < n; ++it) page->push_back(*it);
  *more = it != all.end();
}

}  // namespace

void Api::StartRequest() {
  t_request.start = std::chrono::steady_clock::now();
  t_request.user = "-";
}

void Api::Register(httplib::Server& svr) {
  using namespace std::placeholders;
  svr.Get(R"(/v2/?)", [this](const Req& q, Res& r) { Base(q, r); });
  svr.Get(R"(/v2/_catalog)", [this](const Req& q, Res& r) { Catalog(q, r); });
  svr.Get(R"(/metrics)", [this](const Req& q, Res& r) { ServeMetrics(q, r); });
  svr.Get(R"(/v2/(.+)/tags/list)", [this](const Req& q, Res& r) { ListTags(q, r); });
  svr.Get(R"(/v2/(.+)/manifests/([^/]+))", [this](const Req& q, Res& r) { GetManifest(q, r); });
  svr.Put(R"(/v2/(.+)/manifests/([^/]+))",
          [this](const Req& q, Res& r, const Reader& rd) { PutManifest(q, r, rd); });
  svr.Delete(R"(/v2/(.+)/manifests/([^/]+))", [this](const Req& q, Res& r) { DeleteManifest(q, r); });
  svr.Post(R"(/v2/(.+)/blobs/uploads/?)", [this](const Req& q, Res& r, const Reader& rd) { StartUpload(q, r, rd); });
  svr.Get(R"(/v2/(.+)/blobs/uploads/([0-9a-f]+))", [this](const Req& q, Res& r) { UploadStatus(q, r); });
  svr.Patch(R"(/v2/(.+)/blobs/uploads/([0-9a-f]+))",
            [this](const Req& q, Res& r, const Reader& rd) { PatchUpload(q, r, rd); });
  svr.Put(R"(/v2/(.+)/blobs/uploads/([0-9a-f]+))",
          [this](const Req& q, Res& r, const Reader& rd) { PutUpload(q, r, rd); });
  svr.Delete(R"(/v2/(.+)/blobs/uploads/([0-9a-f]+))", [this](const Req& q, Res& r) { CancelUpload(q, r); });
  svr.Get(R"(/v2/(.+)/blobs/([^/]+))", [this](const Req& q, Res& r) { GetBlob(q, r); });
  svr.Delete(R"(/v2/(.+)/blobs/([^/]+))", [this](const Req& q, Res& r) { DeleteBlob(q, r); });
  svr.Post(R"(/kiln/v1/(.+)/lookup)", [this](const Req& q, Res& r, const Reader& rd) { BatchLookup(q, r, rd); });
  svr.set_error_handler([](const Req& q, Res& r) {
    if (r.status == 404 && r.body.empty()) SendError(r, kUnsupported, "no such endpoint: " + q.method + " " + q.path);
  });
}

void Api::SendError(Res& res, ApiError e, const std::string& message) {
  nlohmann::json j = {{"errors", {{{"code", e.code}, {"message", message}}}}};
  res.status = e.http;
  res.set_content(j.dump() + "\n", "application/json");
}

void Api::SendStatus(Res& res, const Status& st, ApiError not_found) {
  if (st.IsNotFound()) return SendError(res, not_found, st.message());
  if (st.IsErrno(ENOSPC) || st.IsErrno(EDQUOT) || st.message().find("database or disk is full") != std::string::npos)
    return SendError(res, {507, "UNKNOWN"}, "the cache server's disk is full: " + st.message());
  SendError(res, kUnknown, st.message());
}

void Api::Discard(const Req& req, Res& res) {
  // An unread body would be parsed as the next request on a kept-alive connection.
  if (req.has_header("Content-Length") && req.get_header_value("Content-Length") == "0") return;
  res.set_header("Connection", "close");
}

bool Api::ReadSmallBody(const Reader& reader, size_t max, std::string* out) {
  return reader([&](const char* data, size_t len) {
    if (out->size() + len > max) return false;
    out->append(data, len);
    metrics_.AddBytesIn(static_cast<int64_t>(len));
    return true;
  });
}

bool Api::CheckRepo(Res& res, const std::string& repo) {
  if (IsValidRepoName(repo)) return true;
  SendError(res, kNameInvalid, "invalid repository name \"" + repo + "\"");
  return false;
}

bool Api::Allow(const Req& req, Res& res, const std::string& repo, bool write) {
  if (!auth_.enabled()) return true;
  Principal who;
  if (auth_.Authenticate(req.get_header_value("Authorization"), &who) != AuthResult::kOk) {
    res.set_header("WWW-Authenticate", Authenticator::Challenge());
    SendError(res, kUnauthorized, "authentication required");
    return false;
  }
  t_request.user = who.name;
  if (repo.empty() || who.Can(repo, write)) return true;
  SendError(res, kDenied, who.name + " may not " + (write ? "write to " : "read from ") + repo);
  return false;
}

bool Api::MayRead(const Req& req, const std::string& repo) {
  if (!auth_.enabled()) return true;
  Principal who;
  return auth_.Authenticate(req.get_header_value("Authorization"), &who) == AuthResult::kOk && who.Can(repo, false);
}

void Api::Base(const Req& req, Res& res) {
  if (!Allow(req, res, "", false)) return;
  res.set_content("{}\n", "application/json");
}

void Api::Catalog(const Req& req, Res& res) {
  if (!Allow(req, res, "", false)) return;
  auto repos = store_.ListRepositories();
  if (!repos.ok()) return SendStatus(res, repos.status(), kNameUnknown);
  std::vector<std::string> visible, page;
  for (const auto& r : *repos)
    if (MayRead(req, r)) visible.push_back(r);
  bool more = false;
  Paginate(req, visible, &page, &more);
  if (more && !page.empty())
    res.set_header("Link", "</v2/_catalog?n=" + std::to_string(page.size()) + "&last=" + page.back() + ">; rel=\"next\"");
  res.set_content(nlohmann::json({{"repositories", page}}).dump() + "\n", "application/json");
}

void Api::ListTags(const Req& req, Res& res) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, false)) return;
  auto tags = store_.ListTags(repo);
  if (!tags.ok()) return SendStatus(res, tags.status(), kNameUnknown);
  std::vector<std::string> page;
  bool more = false;
  Paginate(req, *tags, &page, &more);
  if (more && !page.empty())
    res.set_header("Link", "</v2/" + repo + "/tags/list?n=" + std::to_string(page.size()) + "&last=" + page.back() +
                               ">; rel=\"next\"");
  res.set_content(nlohmann::json({{"name", repo}, {"tags", page}}).dump() + "\n", "application/json");
}

void Api::ServeMetrics(const Req& req, Res& res) {
  cacheserver::Metrics::Gauges g{store_.size_bytes(), store_.evictions(), store_.uploads_in_flight()};
  res.set_content(metrics_.Render(g), "text/plain; version=0.0.4");
}

void Api::LogRequest(const Req& req, const Res& res, FILE* out) {
  if (req.method.empty()) return;  // a connection closed before its request line
  metrics_.CountRequest(req.method, res.status);
  if (!out) return;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_request.start).count();
  int64_t sent = res.body.empty() ? static_cast<int64_t>(res.content_length_) : static_cast<int64_t>(res.body.size());
  if (req.method == "HEAD") sent = 0;
  char when[32];
  time_t now = time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_log_mu);
  fprintf(out, "time=%s remote=%s user=%s method=%s path=%s status=%d bytes_in=%s bytes_out=%lld ms=%.1f\n", when,
          req.remote_addr.c_str(), t_request.user.c_str(), req.method.c_str(), req.path.c_str(), res.status,
          req.has_header("Content-Length") ? req.get_header_value("Content-Length").c_str() : "0",
          static_cast<long long>(sent), ms);
  fflush(out);
}

}  // namespace kiln::cacheserver
