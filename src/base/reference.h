// Image references exactly as docker reads them:
//   busybox              -> docker.io/library/busybox:latest
//   localhost:5000/a/b   -> localhost:5000/a/b:latest
//   name:tag@sha256:...  (the digest wins when pulling)
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
};

// Parses and normalises; adds ":latest" when neither tag nor digest is given.
// Invalid references give InvalidArgument saying what is wrong.
Result<Reference> ParseReference(const std::string& s);

}  // namespace kiln
