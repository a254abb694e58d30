// The http(s):// source (ADD <URL>): one file, `/<http.filename>`, mode 0600,
// mtime from Last-Modified, in a snapshot of its own. Like BuildKit's http
// source:
//  - with http.checksum the cache key is the checksum: a cached rebuild sends
//    no request; a download that does not match fails;
//  - without one every build asks the server (If-None-Match with the ETag and
//    If-Modified-Since with the Last-Modified kept from the last download of
//    the URL) and keys on the content's digest, so an unchanged file hits the
//    cache and a changed one invalidates it.
// The kept validators live in ROOT/http/<sha256(url)[:32]>.json.
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "registry/http.h"
#include "solver/ops_internal.h"

namespace kiln::solver {

namespace {

struct Validators {
  std::string etag, last_modified, digest;
};

std::string HttpReason(long status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

class HttpSourceOp : public OpImpl {
 public:
  HttpSourceOp(BuildOpResolver* r, const llb::SourceOp& src) : r_(r), url_(src.identifier) {
    if (auto it = src.attrs.find("http.filename"); it != src.attrs.end()) filename_ = it->second;
    if (auto it = src.attrs.find("http.checksum"); it != src.attrs.end()) checksum_ = it->second;
    state_file_ = r_->deps().root + "/http/" + Sha256Hex(url_).substr(0, 32) + ".json";
  }
  ~HttpSourceOp() override {
    if (!tmp_.empty()) unlink(tmp_.c_str());
  }

  Result<CacheMap> GetCacheMap(const OpContext& ctx) override {
    if (filename_.empty() || filename_.find('/') != std::string::npos || filename_ == "." || filename_ == "..")
      return Status::InvalidArgument("ADD " + url_ + ": invalid file name `" + filename_ + "`");
    CacheMap cm;
    if (!checksum_.empty()) {
      if (checksum_.rfind("sha256:", 0) != 0 || !IsValidDigest(checksum_))
        return Status::InvalidArgument("ADD " + url_ + ": --checksum `" + checksum_ + "` is not a digest")
            .WithHint("use --checksum=sha256:<64 hex digits>");
      cm.extra = "http\nchecksum " + checksum_;
      return cm;
    }
    Validators kept = LoadValidators();
    RETURN_IF_ERROR(Fetch(ctx, kept.digest.empty() ? nullptr : &kept));
    cm.extra = "http\ndigest " + digest_ + "\nlast-modified " + last_modified_;
    return cm;
  }

  Result<std::vector<ValuePtr>> Exec(const OpContext& ctx) override {
    if (tmp_.empty()) {
      std::string want = digest_;
      RETURN_IF_ERROR(Fetch(ctx, nullptr));
      if (!want.empty() && want != digest_)
        return Status::Unavailable("ADD " + url_ + ": the content changed during the build (" + want + ", then " +
                                   digest_ + ")")
            .WithHint("build again");
    }
    if (!checksum_.empty() && checksum_ != digest_)
      return Status::InvalidArgument("ADD " + url_ + ": checksum mismatch: expected " + checksum_ + ", got " + digest_)
          .WithHint("the file at the URL changed, or --checksum is wrong");
    ASSIGN_OR_RETURN(auto active, ActiveSnapshot::Prepare(r_, ""));
    ASSIGN_OR_RETURN(std::string dir, active->Dir());
    RETURN_IF_ERROR(Place(dir + "/" + filename_));
    ASSIGN_OR_RETURN(std::string key, active->Commit());
    return std::vector<ValuePtr>{std::make_shared<SnapshotValue>(key)};
  }

 private:
  Validators LoadValidators() {
    Validators v;
    auto data = ReadFile(state_file_);
    if (!data.ok()) return v;
    try {
      auto j = nlohmann::json::parse(*data);
      if (j.value("url", "") != url_) return v;
      v.etag = j.value("etag", "");
      v.last_modified = j.value("last_modified", "");
      v.digest = j.value("digest", "");
    } catch (...) {
    }
    return v;
  }

  void SaveValidators(const std::string& etag) {
    nlohmann::json j{{"url", url_}, {"etag", etag}, {"last_modified", last_modified_}, {"digest", digest_}};
    if (MakeDirs(r_->deps().root + "/http", 0700).ok()) (void)WriteFileAtomic(state_file_, j.dump() + "\n", 0600);
  }

  // GETs the URL into a temporary file (digest_, last_modified_, tmp_). With
  // `kept`, asks conditionally; a 304 fills digest_/last_modified_ from it and
  // leaves tmp_ empty.
  Status Fetch(const OpContext& ctx, const Validators* kept) {
    std::string scratch = r_->Scratch();
    RETURN_IF_ERROR(MakeDirs(scratch, 0700));
    std::string tmp = scratch + "/" + r_->NewKey("http");
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(errno, "create", tmp);
    Sha256 hash;
    Status write_error;
    registry::HttpRequest req;
    req.url = url_;
    if (kept) {
      if (!kept->etag.empty()) req.headers.push_back("If-None-Match: " + kept->etag);
      if (!kept->last_modified.empty()) req.headers.push_back("If-Modified-Since: " + kept->last_modified);
    }
    req.sink = [&](const char* data, size_t len) {
      if (ctx.cancel->cancelled()) return false;
      hash.Update(data, len);
      write_error = WriteAll(fd, data, len, tmp);
      return write_error.ok();
    };
    ctx.log("GET " + url_ + "\n");
    auto resp = registry::DoHttp(req, registry::TlsConfig{});
    int close_rc = close(fd);
    auto drop = [&] { unlink(tmp.c_str()); };
    if (!write_error.ok()) return drop(), write_error;
    if (!resp.ok()) {
      drop();
      if (ctx.cancel->cancelled()) return Status::Cancelled("build cancelled");
      return Status(resp.status().code(), "ADD " + url_ + ": " + resp.status().message())
          .WithHint("check the URL and that the server is reachable");
    }
    if (resp->status == 304 && kept) {
      drop();
      ctx.log("not modified (HTTP 304)\n");
      digest_ = kept->digest;
      last_modified_ = kept->last_modified;
      return Status::OK();
    }
    if (resp->status < 200 || resp->status > 299) {
      drop();
      std::string reason = HttpReason(resp->status);
      std::string msg = "ADD " + url_ + ": HTTP " + std::to_string(resp->status) + (reason.empty() ? "" : " " + reason);
      if (resp->effective_url != url_ && !resp->effective_url.empty()) msg += " (from " + resp->effective_url + ")";
      return (resp->status == 404 || resp->status == 410 ? Status::NotFound(msg) : Status::Unavailable(msg))
          .WithHint("check the URL");
    }
    if (close_rc != 0) return drop(), Status::FromErrno(errno, "close", tmp);
    if (!tmp_.empty()) unlink(tmp_.c_str());
    tmp_ = tmp;
    digest_ = hash.Digest();
    last_modified_ = resp->Header("last-modified");
    ctx.log("downloaded " + digest_ + "\n");
    if (checksum_.empty()) SaveValidators(resp->Header("etag"));
    return Status::OK();
  }

  static Status CopyFile(const std::string& src, const std::string& dst) {
    Fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return Status::FromErrno(errno, "open", src);
    int out = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return Status::FromErrno(errno, "create", dst);
    Status st = CopyData(in.get(), out, src, dst);
    if (close(out) != 0 && st.ok()) st = Status::FromErrno(errno, "close", dst);
    return st;
  }

  // Moves (or copies) the download to `dst` with mode 0600 and its mtime.
  Status Place(const std::string& dst) {
    if (rename(tmp_.c_str(), dst.c_str()) != 0) {
      if (errno != EXDEV) return Status::FromErrno(errno, "rename", tmp_ + " -> " + dst);
      RETURN_IF_ERROR(CopyFile(tmp_, dst));
      unlink(tmp_.c_str());
    }
    tmp_.clear();
    if (chmod(dst.c_str(), 0600) != 0) return Status::FromErrno(errno, "chmod", dst);
    if (!last_modified_.empty()) {
      time_t t = curl_getdate(last_modified_.c_str(), nullptr);
      if (t >= 0) {
        struct timespec ts[2] = {{t, 0}, {t, 0}};
        if (utimensat(AT_FDCWD, dst.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
          return Status::FromErrno(errno, "set times of", dst);
      }
    }
    return Status::OK();
  }

  BuildOpResolver* r_;
  std::string url_, filename_ = "__unnamed__", checksum_, state_file_;
  std::string tmp_, digest_, last_modified_;
};

}  // namespace

Result<std::unique_ptr<OpImpl>> NewHttpSourceOp(BuildOpResolver* r, const llb::SourceOp& src) {
  return std::unique_ptr<OpImpl>(new HttpSourceOp(r, src));
}

}  // namespace kiln::solver
