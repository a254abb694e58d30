#include "solver/remote_context.h"

#include <fcntl.h>
#include <unistd.h>

#include <regex>

#include "base/strings.h"
#include "base/fs.h"
#include "registry/http.h"

namespace kiln::solver {

namespace {
}  // namespace

bool IsGitContextUrl(const std::string& s) {
  if (StartsWith(s, "git://") || StartsWith(s, "git@") || StartsWith(s, "github.com/") || StartsWith(s, "ssh://"))
    return true;
  if (!StartsWith(s, "http://") && !StartsWith(s, "https://")) return false;
  static const std::regex git_http(R"(\.git(?:#.+)?$)");
  return std::regex_search(s, git_http);
}

bool IsHttpContextUrl(const std::string& s) {
  return (StartsWith(s, "http://") || StartsWith(s, "https://")) && !IsGitContextUrl(s);
}

Status DownloadHttpFile(const std::string& url, const std::string& file) {
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create", file);
  Status write_error;
  registry::HttpRequest req;
  req.url = url;
  req.sink = [&](const char* data, size_t len) {
    write_error = WriteAll(fd, data, len, file);
    return write_error.ok();
  };
  auto resp = registry::DoHttp(req, registry::TlsConfig{});
  int close_rc = close(fd);
  if (!write_error.ok()) return write_error;
  if (!resp.ok())
    return Status(resp.status().code(), "build context " + url + ": " + resp.status().message())
        .WithHint("check the URL and that the server is reachable");
  if (resp->status < 200 || resp->status > 299) {
    std::string msg = "build context " + url + ": HTTP " + std::to_string(resp->status);
    return (resp->status == 404 || resp->status == 410 ? Status::NotFound(msg) : Status::Unavailable(msg))
        .WithHint("check the URL");
  }
  if (close_rc != 0) return Status::FromErrno(errno, "close", file);
  return Status::OK();
}

}  // namespace kiln::solver
