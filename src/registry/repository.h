// Operations on one repository of a registry (the OCI distribution API):
// manifests, blob fetch into the content store, blob upload, cross-repository mount.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/oci.h"
#include "base/status.h"
#include "cache/content_store.h"
#include "registry/session.h"

namespace kiln::registry {

struct FetchedManifest {
  std::string media_type;  // detected (schema 1 is refused before this exists)
  std::string digest;      // sha256 of the bytes
  std::string bytes;
  oci::Descriptor Descriptor() const { return {media_type, digest, static_cast<int64_t>(bytes.size()), {}, {}}; }
};

class Repository {
 public:
  // `path` is the repository inside the registry ("library/busybox").
  Repository(std::shared_ptr<Session> session, std::string path, bool push = false);
  const std::string& path() const { return path_; }
  Session& session() { return *session_; }
  std::string Name() const { return session_->host() + "/" + path_; }

  // GET /v2/<path>/manifests/<ref> (a tag or digest). A digest ref is verified
  // against the bytes (Corruption on mismatch). A missing manifest is NotFound with
  // the registry's message, in plain words.
  Result<FetchedManifest> GetManifest(const std::string& ref);
  // HEAD of a manifest: its descriptor, or nullopt when absent.
  Result<std::optional<oci::Descriptor>> HeadManifest(const std::string& ref);
  // PUT a manifest under a tag or its digest.
  Status PutManifest(const std::string& ref, const std::string& bytes, const std::string& media_type);

  // Streams a blob into `store` unless it is there: verified against the digest and size
  // (a mismatch stores nothing and names the blob), resumed with Range after a broken
  // connection, retried with backoff at most RegistryOptions::max_retries times.
  Status FetchBlob(const oci::Descriptor& desc, cache::ContentStore& store);
  // Reads a small blob (a config) into memory, verified.
  Result<std::string> ReadBlob(const oci::Descriptor& desc);

  Result<bool> HasBlob(const std::string& digest);
  // Tries to mount `digest` from repository `from` of the same registry. true: mounted.
  Result<bool> MountBlob(const std::string& digest, const std::string& from);
  // Uploads a blob from a file: monolithic PUT, or PATCH chunks of `chunk_size` when > 0.
  Status UploadBlob(const oci::Descriptor& desc, const std::string& file, int64_t chunk_size = 0);

 private:
  std::vector<std::string> Scopes() const;
  Result<std::string> StartUpload(const std::string& query, bool* mounted, const std::vector<std::string>& scopes);
  Result<std::string> ResolveLocation(const HttpResponse& r);

  std::shared_ptr<Session> session_;
  std::string path_;
  bool push_;
};

}  // namespace kiln::registry
