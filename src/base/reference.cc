#include "base/reference.h"

#include <cctype>
#include <regex>

#include "base/digest.h"

namespace kiln {

namespace {

bool IsDomainLike(const std::string& first) {
  return first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost" ||
         std::any_of(first.begin(), first.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

const std::regex& PathComponent() {
  static const std::regex re("^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$");
  return re;
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
    return Status::InvalidArgument("invalid image reference \"" + input + "\": " + why);
  };
  if (input.empty()) return bad("it is empty");
  if (input.size() > 255 * 4) return bad("it is too long");
  Reference r;
  std::string rest = input;
  if (auto at = rest.find('@'); at != std::string::npos) {
    r.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsValidDigest(r.digest)) return bad("the digest must be sha256: followed by 64 lowercase hex digits");
  }
  auto slash = rest.find('/');
  std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  if (slash != std::string::npos && IsDomainLike(first)) {
    r.domain = first;
    rest = rest.substr(slash + 1);
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
    if (!std::regex_match(r.tag, tag_re)) return bad("the tag \"" + r.tag + "\" is not valid (letters, digits, _ . -, at most 128)");
  }
  if (rest.empty()) return bad("the repository name is empty");
  std::string comp;
  size_t start = 0;
  while (true) {
    auto end = rest.find('/', start);
    comp = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!std::regex_match(comp, PathComponent())) {
      if (std::any_of(comp.begin(), comp.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }))
        return bad("repository names must be lowercase");
      return bad("\"" + comp + "\" is not a valid repository name component");
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  r.path = rest;
  if (r.domain == "docker.io" && r.path.find('/') == std::string::npos) r.path = "library/" + r.path;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace kiln
