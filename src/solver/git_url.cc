#include "solver/git_url.h"

#include <vector>

#include "base/strings.h"

namespace kiln::solver {

namespace {

// "a/./b/" -> "a/b"; error on "..".
Result<std::string> CleanSubdir(std::string_view in) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= in.size()) {
    size_t j = in.find('/', i);
    if (j == std::string_view::npos) j = in.size();
    std::string part(in.substr(i, j - i));
    if (part == "..") return Status::InvalidArgument("git subdir `" + std::string(in) + "` must not contain `..`");
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

}  // namespace

Result<GitUrl> ParseGitUrl(std::string_view url) {
  GitUrl g;
  std::string_view base = url, frag;
  if (size_t h = url.find('#'); h != std::string_view::npos) {
    base = url.substr(0, h);
    frag = url.substr(h + 1);
  }
  bool scheme_ok = StartsWith(base, "https://") || StartsWith(base, "http://") || StartsWith(base, "git://") ||
                   StartsWith(base, "ssh://");
  if (!scheme_ok) {
    // scp-like user@host:path (no scheme, a ':' before any '/').
    size_t at = base.find('@'), colon = base.find(':'), slash = base.find('/');
    scheme_ok = at != std::string_view::npos && colon != std::string_view::npos && colon > at + 1 &&
                (slash == std::string_view::npos || colon < slash) && colon + 1 < base.size();
  }
  if (!scheme_ok)
    return Status::InvalidArgument("`" + std::string(url) + "` is not a git URL")
        .WithHint("use https://HOST/PATH.git, git://HOST/PATH, ssh://HOST/PATH or USER@HOST:PATH");
  size_t host_start = base.find("://");
  host_start = host_start == std::string_view::npos ? 0 : host_start + 3;
  if (host_start >= base.size() || base[host_start] == '/')
    return Status::InvalidArgument("git URL `" + std::string(url) + "` has no host");
  g.remote = std::string(base);
  if (!frag.empty()) {
    size_t c = frag.find(':');
    g.ref = std::string(frag.substr(0, c));
    if (c != std::string_view::npos) {
      ASSIGN_OR_RETURN(g.subdir, CleanSubdir(frag.substr(c + 1)));
    }
  }
  if (!g.ref.empty() && (g.ref[0] == '-' || g.ref.find_first_of(" \t\n~^:?*[\\") != std::string::npos))
    return Status::InvalidArgument("git ref `" + g.ref + "` in `" + std::string(url) + "` is not a valid ref");
  return g;
}

bool IsCommitSha(std::string_view ref) {
  if (ref.size() != 40 && ref.size() != 64) return false;
  for (char c : ref)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string RedactGitRemote(const std::string& remote) {
  size_t scheme = remote.find("://");
  if (scheme == std::string::npos) return remote;
  size_t at = remote.find('@', scheme + 3), slash = remote.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return remote;
  size_t colon = remote.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return remote;  // user only: no secret
  return remote.substr(0, colon) + ":xxxxx" + remote.substr(at);
}

}  // namespace kiln::solver
