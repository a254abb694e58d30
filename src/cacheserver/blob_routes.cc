// Api: blobs (HEAD/GET with ranges, DELETE) and uploads (monolithic, chunked,
// cross-repository mounts). Blobs are streamed from disk in 1 MiB pieces, never
// held whole in memory; a full GET is hashed as it goes and its last piece is sent
// only when the digest matches, so a damaged file is never served complete.
#include <fcntl.h>
#include <unistd.h>

#include "cacheserver/api.h"
#include "base/log.h"

namespace kiln::cacheserver {

namespace {

constexpr size_t kPiece = 1 << 20;

std::string Repo(const httplib::Request& req) { return req.matches[1].str(); }
std::string Second(const httplib::Request& req) { return req.matches[2].str(); }

// The state of one blob response, shared with its content provider.
struct BlobStream {
  Fd fd;
  int64_t size = 0;
  bool verify = false;
  int64_t hashed = 0;
  Sha256 sha;
  std::string buf;
};

// pread of exactly `n` bytes at `off`; false on error or a short file.
bool ReadAt(int fd, char* out, size_t n, int64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, out + done, n - done, off + static_cast<int64_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

// "start-end" of a PATCH's Content-Range (also "bytes=start-end"); -1 when absent or bad.
int64_t RangeStart(const std::string& h) {
  std::string v = h.rfind("bytes=", 0) == 0 ? h.substr(6) : h;
  size_t dash = v.find('-');
  if (dash == std::string::npos || dash == 0) return -1;
  char* end = nullptr;
  long long start = strtoll(v.c_str(), &end, 10);
  return end == v.c_str() + dash ? start : -1;
}

}  // namespace

void Api::GetBlob(const Req& req, Res& res) {
  std::string repo = Repo(req), digest = Second(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, false)) return;
  if (!IsValidDigest(digest)) return SendError(res, kDigestInvalid, "invalid digest \"" + digest + "\"");
  auto info = store_.StatBlob(repo, digest);
  metrics_.CountLookup(false, info.ok());
  if (!info.ok()) return SendStatus(res, info.status(), kBlobUnknown);
  bool head = req.method == "HEAD";
  if (!req.ranges.empty() && !head && !info->verified) {
    // A range cannot be checked as it is sent: check the whole file first.
    if (Status st = store_.VerifyBlob(*info); !st.ok()) {
      spdlog::error("cache-server: {}", st.message());
      return SendError(res, kBlobUnknown, "blob " + digest + " is not in " + repo);
    }
  }
  res.set_header("Docker-Content-Digest", digest);
  res.set_header("ETag", "\"" + digest + "\"");
  if (info->size == 0) return res.set_content("", "application/octet-stream");
  if (head) {
    res.set_content_provider(static_cast<size_t>(info->size), "application/octet-stream",
                             [](size_t, size_t, httplib::DataSink&) { return false; });
    return;
  }
  auto s = std::make_shared<BlobStream>();
  s->fd = Fd(open(info->path.c_str(), O_RDONLY | O_CLOEXEC));
  if (s->fd.get() < 0) return SendError(res, kBlobUnknown, "blob " + digest + " is not in " + repo);
  s->size = info->size;
  s->verify = req.ranges.empty();
  res.set_content_provider(
      static_cast<size_t>(info->size), "application/octet-stream",
      [this, s, digest](size_t off, size_t len, httplib::DataSink& sink) {
        size_t n = std::min(len, kPiece);
        s->buf.resize(n);
        if (!ReadAt(s->fd.get(), s->buf.data(), n, static_cast<int64_t>(off))) return false;
        if (s->verify && static_cast<int64_t>(off) == s->hashed) {
          s->sha.Update(s->buf.data(), n);
          s->hashed += static_cast<int64_t>(n);
          if (s->hashed == s->size) {
            if (s->sha.Digest() != digest) {
              spdlog::error("cache-server: blob {} is damaged on disk; dropped it", digest);
              store_.DropCorrupt(digest);
              return false;  // the client gets a short body, never a wrong blob
            }
            store_.MarkVerified(digest);
          }
        }
        metrics_.AddBytesOut(static_cast<int64_t>(n));
        return sink.write(s->buf.data(), n);
      });
}

void Api::DeleteBlob(const Req& req, Res& res) {
  std::string repo = Repo(req), digest = Second(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return;
  if (!IsValidDigest(digest)) return SendError(res, kDigestInvalid, "invalid digest \"" + digest + "\"");
  if (Status st = store_.DeleteBlob(repo, digest); !st.ok()) return SendStatus(res, st, kBlobUnknown);
  res.status = 202;
}

void Api::UploadAccepted(Res& res, const std::string& repo, const Upload& up, int status) {
  res.status = status;
  res.set_header("Location", "/v2/" + repo + "/blobs/uploads/" + up.id());
  res.set_header("Range", "0-" + std::to_string(up.offset() > 0 ? up.offset() - 1 : 0));
  res.set_header("Docker-Upload-UUID", up.id());
}

void Api::BlobCreated(Res& res, const std::string& repo, const std::string& digest) {
  res.status = 201;
  res.set_header("Location", "/v2/" + repo + "/blobs/" + digest);
  res.set_header("Docker-Content-Digest", digest);
}

void Api::ReceiveAndFinish(const Reader& reader, const std::shared_ptr<Upload>& up, Res& res, const std::string& repo,
                           const std::string& digest) {
  if (!ReceiveInto(reader, *up, res)) return store_.CancelUpload(up);
  auto info = store_.FinishUpload(up, digest);
  if (!info.ok()) {
    if (info.status().code() == Code::kCorruption) return SendError(res, kDigestInvalid, info.status().message());
    return SendStatus(res, info.status(), kBlobUploadInvalid);
  }
  BlobCreated(res, repo, digest);
}

bool Api::ReceiveInto(const Reader& reader, Upload& up, Res& res) {
  Status st;
  bool ok = reader([&](const char* data, size_t len) {
    st = up.Write(data, len);
    if (!st.ok()) return false;
    metrics_.AddBytesIn(static_cast<int64_t>(len));
    return true;
  });
  if (ok && st.ok()) return true;
  res.set_header("Connection", "close");
  if (!st.ok()) SendStatus(res, st, kBlobUploadInvalid);
  else SendError(res, kBlobUploadInvalid, "the upload's body ended early");
  return false;
}

void Api::StartUpload(const Req& req, Res& res, const Reader& reader) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return Discard(req, res);
  std::string mount = req.get_param_value("mount"), from = req.get_param_value("from");
  if (!mount.empty() && IsValidDigest(mount) && IsValidRepoName(from) && MayRead(req, from) &&
      store_.Mount(repo, from, mount).ok()) {
    return BlobCreated(res, repo, mount);
  }
  std::string digest = req.get_param_value("digest");
  if (!digest.empty() && !IsValidDigest(digest)) {
    Discard(req, res);
    return SendError(res, kDigestInvalid, "invalid digest \"" + digest + "\"");
  }
  auto up = store_.StartUpload(repo);
  if (!up.ok()) {
    Discard(req, res);
    return SendStatus(res, up.status(), kUnknown);
  }
  std::lock_guard lock((*up)->mu());
  if (digest.empty()) {
    Discard(req, res);  // a POST without ?digest= has no body
    return UploadAccepted(res, repo, **up, 202);
  }
  ReceiveAndFinish(reader, *up, res, repo, digest);
}

void Api::UploadStatus(const Req& req, Res& res) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return;
  auto up = store_.FindUpload(repo, Second(req));
  if (!up.ok()) return SendStatus(res, up.status(), kBlobUploadUnknown);
  std::lock_guard lock((*up)->mu());
  UploadAccepted(res, repo, **up, 204);
}

void Api::PatchUpload(const Req& req, Res& res, const Reader& reader) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return Discard(req, res);
  auto up = store_.FindUpload(repo, Second(req));
  if (!up.ok()) {
    Discard(req, res);
    return SendStatus(res, up.status(), kBlobUploadUnknown);
  }
  std::lock_guard lock((*up)->mu());
  if (req.has_header("Content-Range")) {
    int64_t start = RangeStart(req.get_header_value("Content-Range"));
    if (start != (*up)->offset()) {
      Discard(req, res);
      SendError(res, kRangeInvalid, "the chunk starts at " + req.get_header_value("Content-Range") +
                                        ", the upload is at " + std::to_string((*up)->offset()));
      res.set_header("Range", "0-" + std::to_string((*up)->offset() > 0 ? (*up)->offset() - 1 : 0));
      return;
    }
  }
  if (!ReceiveInto(reader, **up, res)) return store_.CancelUpload(*up);
  UploadAccepted(res, repo, **up, 202);
}

void Api::PutUpload(const Req& req, Res& res, const Reader& reader) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return Discard(req, res);
  std::string digest = req.get_param_value("digest");
  if (!IsValidDigest(digest)) {
    Discard(req, res);
    return SendError(res, kDigestInvalid, "the upload needs ?digest=sha256:<hex>, got \"" + digest + "\"");
  }
  auto up = store_.FindUpload(repo, Second(req));
  if (!up.ok()) {
    Discard(req, res);
    return SendStatus(res, up.status(), kBlobUploadUnknown);
  }
  std::lock_guard lock((*up)->mu());
  ReceiveAndFinish(reader, *up, res, repo, digest);
}

void Api::CancelUpload(const Req& req, Res& res) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return;
  auto up = store_.FindUpload(repo, Second(req));
  if (!up.ok()) return SendStatus(res, up.status(), kBlobUploadUnknown);
  std::lock_guard lock((*up)->mu());
  store_.CancelUpload(*up);
  res.status = 204;
}

}  // namespace kiln::cacheserver
