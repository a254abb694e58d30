#include "base/reference.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>

#include "base/digest.h"

namespace kiln {

namespace {

bool HasUpper(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

bool IsDomainLike(const std::string& first) {
  return first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost" ||
         HasUpper(first);
}

bool IsValidDomain(const std::string& d) {
  static const std::regex re(
      "^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
      "|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$");
  return std::regex_match(d, re);
}

const std::regex& PathComponent() {
  static const std::regex re("^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$");
  return re;
}

bool IsHex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::string Reference::String() const {
  std::string s = domain + "/" + path;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::Familiar() const {
  std::string p = path;
  std::string s;
  if (domain == "docker.io") {
    if (p.rfind("library/", 0) == 0 && p.find('/', 8) == std::string::npos) p = p.substr(8);
    s = p;
  } else {
    s = domain + "/" + p;
  }
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(const std::string& input) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid image reference \"" + input + "\": " + why)
        .WithHint("write NAME[:TAG][@sha256:DIGEST], e.g. busybox:1.36 or registry.example.com:5000/team/app:v1");
  };
  if (input.empty()) return bad("it is empty");
  if (IsHex64(input)) return bad("a 64-character hexadecimal string is an image ID, not a repository name");
  Reference r;
  std::string rest = input;
  if (auto at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (r.digest.rfind("sha256:", 0) != 0) return bad("the digest must start with \"sha256:\"");
    if (!IsValidDigest(r.digest)) return bad("the digest must be sha256: followed by 64 lowercase hex digits");
  }
  auto slash = rest.find('/');
  std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  if (slash != std::string::npos && IsDomainLike(first)) {
    r.domain = first;
    rest = rest.substr(slash + 1);
    if (!IsValidDomain(r.domain)) return bad("\"" + r.domain + "\" is not a valid registry host[:port]");
  } else {
    r.domain = "docker.io";
  }
  if (r.domain == "index.docker.io") r.domain = "docker.io";
  // A tag is after the last ':' of the last path component.
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
    r.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    static const std::regex tag_re("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$");
    if (r.tag.empty()) return bad("the tag after ':' is empty");
    if (!std::regex_match(r.tag, tag_re))
      return bad("the tag \"" + r.tag + "\" is not valid (letters, digits, '_', '.', '-', not starting with '.' or '-', at most 128)");
  }
  if (rest.empty()) return bad("the repository name is empty");
  if (HasUpper(rest)) return bad("repository names must be lowercase");
  size_t start = 0;
  while (true) {
    auto end = rest.find('/', start);
    std::string comp = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (comp.empty()) return bad("the repository name has an empty path component");
    if (!std::regex_match(comp, PathComponent()))
      return bad("\"" + comp + "\" is not a valid repository name component (lowercase letters and digits, separated by '.', '_', '__' or '-')");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  r.path = rest;
  if (r.domain == "docker.io" && r.path.find('/') == std::string::npos) r.path = "library/" + r.path;
  // Docker measures the name as written (domain included when given).
  size_t name_len = (slash != std::string::npos && IsDomainLike(first) ? first.size() + 1 : 0) + rest.size();
  if (name_len > 255) return bad("the repository name is longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

Result<std::string> NormalizeRegistryHost(const std::string& s) {
  std::string h = s;
  for (const char* scheme : {"https://", "http://"}) {
    if (h.rfind(scheme, 0) == 0) h = h.substr(strlen(scheme));
  }
  while (!h.empty() && h.back() == '/') h.pop_back();
  for (const char* suffix : {"/v1", "/v2"}) {
    std::string sfx = suffix;
    if (h.size() > sfx.size() && h.compare(h.size() - sfx.size(), sfx.size(), sfx) == 0) h.resize(h.size() - sfx.size());
  }
  if (h == "index.docker.io" || h == "registry-1.docker.io") h = "docker.io";
  if (h.empty() || h.find('/') != std::string::npos || !IsValidDomain(h))
    return Status::InvalidArgument("invalid registry host \"" + s + "\"")
        .WithHint("give a host name with an optional port, e.g. registry.example.com:5000");
  return h;
}

}  // namespace kiln
