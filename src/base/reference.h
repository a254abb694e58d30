// Image references exactly as docker (distribution/reference) reads them:
//   busybox                  -> docker.io/library/busybox:latest
//   index.docker.io/x/y      -> docker.io/x/y:latest
//   localhost:5000/a/b       -> localhost:5000/a/b:latest
//   name:tag@sha256:...      (both kept; the digest wins when pulling)
// The first path component is a registry domain when it contains '.' or ':',
// is "localhost", or has an upper-case letter (as docker's splitDockerDomain).
// Domains: dot-separated labels of [A-Za-z0-9-] (no leading/trailing '-'), an
// optional ":port", or a bracketed IPv6 address "[::1]:5000".
// Path components: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'.
// Tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Digests: sha256:<64 lowercase hex>.
// The name (domain/path) is at most 255 characters; a bare 64-hex string is refused
// (it would be ambiguous with an image ID), as docker refuses it.
#pragma once

#include <string>

#include "base/status.h"

namespace kiln {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "127.0.0.1:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // "" when absent (and a digest is given)
  std::string digest;  // "sha256:..." or ""

  // "docker.io/library/busybox:latest" (with "@digest" when present).
  std::string String() const;
  // The repository: domain + "/" + path.
  std::string Repository() const { return domain + "/" + path; }
  // Short form as docker prints it ("busybox:latest" for docker.io/library/...).
  std::string Familiar() const;
  // "tag" or "digest" as used in a /v2/<path>/manifests/<ref> URL (digest wins).
  std::string ManifestRef() const { return digest.empty() ? tag : digest; }
  // The same repository with another tag (and no digest) / with a digest (tag kept).
  Reference WithTag(const std::string& t) const { Reference r = *this; r.tag = t; r.digest.clear(); return r; }
  Reference WithDigest(const std::string& d) const { Reference r = *this; r.digest = d; return r; }
  bool operator==(const Reference&) const = default;
};

// Parses and normalises; adds ":latest" when neither tag nor digest is given.
// Invalid references give InvalidArgument saying what is wrong.
Result<Reference> ParseReference(const std::string& s);

// Validates a registry host as used by `kiln login HOST` ("docker.io", "host:5000").
// Accepts and strips a scheme ("https://host/") and a trailing "/v1/" or "/v2/" path, as docker does.
Result<std::string> NormalizeRegistryHost(const std::string& s);

}  // namespace kiln
