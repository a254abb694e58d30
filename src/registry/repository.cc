#include "registry/repository.h"

#include <thread>

#include "base/digest.h"
#include "base/log.h"
#include "registry/manifest.h"

namespace kiln::registry {

namespace {

constexpr size_t kWriteChunk = 1 << 20;

void Backoff(int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5000, 200 << std::min(attempt, 10))));
}

}  // namespace

Repository::Repository(std::shared_ptr<Session> session, std::string path, bool push)
    : session_(std::move(session)), path_(std::move(path)), push_(push) {}

std::vector<std::string> Repository::Scopes() const { return {RepositoryScope(path_, push_)}; }

Result<FetchedManifest> Repository::GetManifest(const std::string& ref) {
  HttpRequest req;
  req.url = "/v2/" + path_ + "/manifests/" + ref;
  req.headers.push_back(ManifestAcceptHeader());
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, Scopes()));
  std::string what = Name() + (ref.rfind("sha256:", 0) == 0 ? "@" : ":") + ref;
  if (r.status == 404) {
    Status st = RegistryError(r, "manifest " + what + " not found");
    return st.WithHint(ref.rfind("sha256:", 0) == 0 ? "check the digest; the registry does not have it in " + Name()
                                                   : "check the name and tag; `skopeo list-tags docker://" + Name() + "` lists tags");
  }
  if (r.status != 200) return RegistryError(r, "fetching manifest " + what);
  FetchedManifest m;
  m.bytes = std::move(r.body);
  m.digest = Sha256Digest(m.bytes);
  if (ref.rfind("sha256:", 0) == 0 && m.digest != ref)
    return Status::Corruption("manifest " + what + " from the registry has digest " + m.digest + ", not " + ref);
  ASSIGN_OR_RETURN(m.media_type, DetectManifestType(r.Header("content-type"), m.bytes, "manifest " + what));
  return m;
}

Result<std::optional<oci::Descriptor>> Repository::HeadManifest(const std::string& ref) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = "/v2/" + path_ + "/manifests/" + ref;
  req.headers.push_back(ManifestAcceptHeader());
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, Scopes()));
  if (r.status == 404) return std::optional<oci::Descriptor>();
  if (r.status != 200) return RegistryError(r, "checking manifest " + Name() + ":" + ref);
  oci::Descriptor d;
  d.media_type = r.Header("content-type");
  d.digest = r.Header("docker-content-digest");
  d.size = std::strtoll(r.Header("content-length").c_str(), nullptr, 10);
  return std::optional<oci::Descriptor>(d);
}

Status Repository::PutManifest(const std::string& ref, const std::string& bytes, const std::string& media_type) {
  HttpRequest req;
  req.method = "PUT";
  req.url = "/v2/" + path_ + "/manifests/" + ref;
  req.headers.push_back("Content-Type: " + media_type);
  req.body = bytes;
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, Scopes()));
  if (r.status != 201 && r.status != 200) return RegistryError(r, "pushing manifest " + Name() + ":" + ref);
  std::string got = r.Header("docker-content-digest");
  std::string want = Sha256Digest(bytes);
  if (!got.empty() && got != want)
    return Status::Corruption("the registry stored manifest " + Name() + ":" + ref + " as " + got + ", expected " + want);
  return Status::OK();
}

Status Repository::FetchBlob(const oci::Descriptor& desc, cache::ContentStore& store) {
  if (store.Has(desc.digest)) return Status::OK();
  const std::string what = "blob " + desc.digest + " of " + Name();
  ASSIGN_OR_RETURN(std::unique_ptr<cache::BlobWriter> w, store.NewWriter());
  Status last;
  int max = session_->options().max_retries;
  for (int attempt = 0; attempt <= max; attempt++) {
    bool too_big = false;
    HttpRequest req;
    req.url = "/v2/" + path_ + "/blobs/" + desc.digest;
    int64_t offset = w->Written();
    if (offset > 0) req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    Status write_error;
    req.on_headers = [&](const HttpResponse& h) {
      if (h.status == 200 && w->Written() > 0) {
        // The server ignored the Range: start over with a fresh writer.
        auto fresh = store.NewWriter();
        if (!fresh.ok()) { write_error = fresh.status(); return false; }
        w = std::move(*fresh);
      }
      return true;
    };
    // Network reads are small; the store gets 1 MiB writes.
    std::string buf;
    buf.reserve(kWriteChunk);
    auto flush = [&]() {
      if (buf.empty() || !write_error.ok()) return;
      Status st = w->Write(buf.data(), buf.size());
      if (!st.ok()) write_error = st;
      buf.clear();
    };
    req.sink = [&](const char* data, size_t len) {
      if (desc.size > 0 && w->Written() + static_cast<int64_t>(buf.size() + len) > desc.size) {
        too_big = true;
        return false;
      }
      buf.append(data, len);
      if (buf.size() >= kWriteChunk) flush();
      return write_error.ok();
    };
    auto r = session_->Do(req, Scopes());
    flush();  // what arrived before a break is good data: keep it for the resume
    if (!write_error.ok()) return write_error.WithContext("storing " + what);
    if (too_big)
      return Status::Corruption(what + " is larger than its descriptor says (" + std::to_string(desc.size) +
                                " bytes); nothing was stored");
    if (!r.ok()) {
      last = r.status();
      if (last.code() != Code::kUnavailable) return last.WithContext("fetching " + what);
      spdlog::info("fetching {}: {}; resuming at byte {}", what, last.message(), w->Written());
      if (attempt < max) Backoff(attempt);
      continue;
    }
    if (r->status == 416) {  // our offset is past the end: start over
      ASSIGN_OR_RETURN(w, store.NewWriter());
      continue;
    }
    if (r->status == 200 || r->status == 206) {
      if (desc.size > 0 && w->Written() < desc.size) {
        last = Status::Unavailable(what + ": connection closed after " + std::to_string(w->Written()) + " of " +
                                   std::to_string(desc.size) + " bytes");
        if (attempt < max) Backoff(attempt);
        continue;
      }
      auto c = w->Commit(desc.digest, desc.size > 0 ? desc.size : -1);
      if (!c.ok()) return c.status().WithContext(what + " failed verification; nothing was stored");
      return Status::OK();
    }
    if (r->status == 404) return RegistryError(*r, what + " is missing from the registry");
    last = RegistryError(*r, "fetching " + what);
    if (last.code() != Code::kUnavailable) return last;
    if (attempt < max) Backoff(attempt);
  }
  return last.WithContext("giving up after " + std::to_string(max + 1) + " attempts");
}

Result<std::string> Repository::ReadBlob(const oci::Descriptor& desc) {
  const std::string what = "blob " + desc.digest + " of " + Name();
  if (desc.size > (64 << 20)) return Status::InvalidArgument(what + " is too large to read into memory");
  HttpRequest req;
  req.url = "/v2/" + path_ + "/blobs/" + desc.digest;
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, Scopes()));
  if (r.status != 200) return RegistryError(r, "fetching " + what);
  std::string got = Sha256Digest(r.body);
  if (got != desc.digest) return Status::Corruption(what + " has digest " + got + "; the registry's copy is damaged");
  return std::move(r.body);
}

Result<bool> Repository::HasBlob(const std::string& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = "/v2/" + path_ + "/blobs/" + digest;
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, Scopes()));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return RegistryError(r, "checking blob " + digest + " in " + Name());
}

Result<std::string> Repository::ResolveLocation(const HttpResponse& r) {
  std::string loc = r.Header("location");
  if (loc.empty()) return Status::Internal("the registry " + session_->host() + " sent no upload Location");
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  ASSIGN_OR_RETURN(std::string base, session_->BaseUrl());
  if (loc[0] != '/') loc = "/" + loc;
  return base + loc;
}

Result<std::string> Repository::StartUpload(const std::string& query, bool* mounted, const std::vector<std::string>& scopes) {
  HttpRequest req;
  req.method = "POST";
  req.url = "/v2/" + path_ + "/blobs/uploads/" + query;
  ASSIGN_OR_RETURN(HttpResponse r, session_->Do(req, scopes));
  if (mounted) *mounted = r.status == 201;
  if (r.status == 201) return std::string();
  if (r.status != 202) return RegistryError(r, "starting an upload to " + Name());
  return ResolveLocation(r);
}

Result<bool> Repository::MountBlob(const std::string& digest, const std::string& from) {
  bool mounted = false;
  std::vector<std::string> scopes = Scopes();
  scopes.push_back(RepositoryScope(from, false));
  auto loc = StartUpload("?mount=" + UrlEncode(digest) + "&from=" + UrlEncode(from), &mounted, scopes);
  if (!loc.ok()) return loc.status();
  if (!mounted && !loc->empty()) {
    // The registry opened an upload instead: cancel it, the caller uploads normally.
    HttpRequest del;
    del.method = "DELETE";
    del.url = *loc;
    (void)session_->Do(del, Scopes());
  }
  return mounted;
}

Status Repository::UploadBlob(const oci::Descriptor& desc, const std::string& file, int64_t chunk_size) {
  const std::string what = "blob " + desc.digest + " to " + Name();
  Status last;
  for (int attempt = 0; attempt < 3; attempt++) {
    auto loc = StartUpload("", nullptr, Scopes());
    if (!loc.ok()) return loc.status().WithContext("uploading " + what);
    std::string location = *loc;
    Status st;
    if (chunk_size > 0 && desc.size > 0) {
      for (int64_t off = 0; off < desc.size && st.ok(); off += chunk_size) {
        int64_t n = std::min(chunk_size, desc.size - off);
        HttpRequest req;
        req.method = "PATCH";
        req.url = location;
        req.headers.push_back("Content-Type: application/octet-stream");
        req.headers.push_back("Content-Range: " + std::to_string(off) + "-" + std::to_string(off + n - 1));
        req.body_file = file;
        req.body_offset = off;
        req.body_length = n;
        auto r = session_->Do(req, Scopes());
        if (!r.ok()) { st = r.status(); break; }
        if (r->status != 202) { st = RegistryError(*r, "uploading a chunk of " + what); break; }
        auto next = ResolveLocation(*r);
        if (!next.ok()) { st = next.status(); break; }
        location = *next;
      }
      if (st.ok()) {
        HttpRequest req;
        req.method = "PUT";
        req.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + UrlEncode(desc.digest);
        req.headers.push_back("Content-Type: application/octet-stream");
        auto r = session_->Do(req, Scopes());
        if (!r.ok()) st = r.status();
        else if (r->status != 201) st = RegistryError(*r, "finishing the upload of " + what);
      }
    } else {
      HttpRequest req;
      req.method = "PUT";
      req.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + UrlEncode(desc.digest);
      req.headers.push_back("Content-Type: application/octet-stream");
      req.body_file = file;
      req.body_length = desc.size;
      auto r = session_->Do(req, Scopes());
      if (!r.ok()) st = r.status();
      else if (r->status != 201) st = RegistryError(*r, "uploading " + what);
    }
    if (st.ok()) return st;
    last = st;
    if (st.code() != Code::kUnavailable && st.code() != Code::kNotFound) return st;
    Backoff(attempt);
  }
  return last;
}

}  // namespace kiln::registry
