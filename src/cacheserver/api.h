// The HTTP API of `kiln cache-server`: the OCI distribution endpoints (/v2/...),
// kiln's batch lookup (/kiln/v1/...) and /metrics, on a cpp-httplib server.
// Routing, errors and auth are in api.cc; blob and upload handlers in
// blob_routes.cc; manifests, tags and the batch lookup in manifest_routes.cc.
#pragma once

#include <httplib.h>

#include <string>

#include "cacheserver/auth.h"
#include "cacheserver/metrics.h"
#include "cacheserver/store.h"

namespace kiln::cacheserver {

// Distribution-spec error codes (and their HTTP statuses).
struct ApiError {
  int http;
  const char* code;
};
inline constexpr ApiError kBlobUnknown{404, "BLOB_UNKNOWN"};
inline constexpr ApiError kBlobUploadInvalid{400, "BLOB_UPLOAD_INVALID"};
inline constexpr ApiError kBlobUploadUnknown{404, "BLOB_UPLOAD_UNKNOWN"};
inline constexpr ApiError kDigestInvalid{400, "DIGEST_INVALID"};
inline constexpr ApiError kManifestBlobUnknown{400, "MANIFEST_BLOB_UNKNOWN"};
inline constexpr ApiError kManifestInvalid{400, "MANIFEST_INVALID"};
inline constexpr ApiError kManifestUnknown{404, "MANIFEST_UNKNOWN"};
inline constexpr ApiError kNameInvalid{400, "NAME_INVALID"};
inline constexpr ApiError kNameUnknown{404, "NAME_UNKNOWN"};
inline constexpr ApiError kSizeInvalid{400, "SIZE_INVALID"};
inline constexpr ApiError kUnauthorized{401, "UNAUTHORIZED"};
inline constexpr ApiError kDenied{403, "DENIED"};
inline constexpr ApiError kRangeInvalid{416, "BLOB_UPLOAD_INVALID"};
inline constexpr ApiError kUnsupported{405, "UNSUPPORTED"};
inline constexpr ApiError kUnknown{500, "UNKNOWN"};

class Api {
 public:
  Api(Store& store, const Authenticator& auth, Metrics& metrics) : store_(store), auth_(auth), metrics_(metrics) {}
  void Register(httplib::Server& svr);
  // One access-log line (logfmt) per request; `out` is written to under a lock.
  void LogRequest(const httplib::Request& req, const httplib::Response& res, FILE* out);
  // Marks the start of a request (for the access log's duration).
  static void StartRequest();

 private:
  using Req = httplib::Request;
  using Res = httplib::Response;
  using Reader = httplib::ContentReader;

  // Auth: false when the response (401/403) was written.
  bool Allow(const Req& req, Res& res, const std::string& repo, bool write);
  bool MayRead(const Req& req, const std::string& repo);
  // Validates the repository name (NAME_INVALID when not).
  bool CheckRepo(Res& res, const std::string& repo);
  static void SendError(Res& res, ApiError e, const std::string& message);
  // A Status from the store as an API error: NotFound -> `not_found`, full disk -> 507, else 500.
  static void SendStatus(Res& res, const Status& st, ApiError not_found);
  // Reads a request body of at most `max` bytes into `out`.
  bool ReadSmallBody(const Reader& reader, size_t max, std::string* out);
  // The request body is not read: tell the client to close the connection.
  static void Discard(const Req& req, Res& res);

  void Base(const Req& req, Res& res);
  void Catalog(const Req& req, Res& res);
  void ServeMetrics(const Req& req, Res& res);

  // blob_routes.cc
  void GetBlob(const Req& req, Res& res);
  void DeleteBlob(const Req& req, Res& res);
  void StartUpload(const Req& req, Res& res, const Reader& reader);
  void UploadStatus(const Req& req, Res& res);
  void PatchUpload(const Req& req, Res& res, const Reader& reader);
  void PutUpload(const Req& req, Res& res, const Reader& reader);
  void CancelUpload(const Req& req, Res& res);
  // Appends the body to `up`; false (and the error written) on failure.
  bool ReceiveInto(const Reader& reader, Upload& up, Res& res);
  void UploadAccepted(Res& res, const std::string& repo, const Upload& up, int status);
  void BlobCreated(Res& res, const std::string& repo, const std::string& digest);
  // The last body of an upload (POST ?digest= or PUT): receive, verify, commit, reply 201.
  void ReceiveAndFinish(const Reader& reader, const std::shared_ptr<Upload>& up, Res& res, const std::string& repo,
                        const std::string& digest);

  // manifest_routes.cc
  void GetManifest(const Req& req, Res& res);
  void PutManifest(const Req& req, Res& res, const Reader& reader);
  void DeleteManifest(const Req& req, Res& res);
  void ListTags(const Req& req, Res& res);
  void BatchLookup(const Req& req, Res& res, const Reader& reader);

  Store& store_;
  const Authenticator& auth_;
  cacheserver::Metrics& metrics_;
};

}  // namespace kiln::cacheserver
