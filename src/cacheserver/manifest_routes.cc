// Api: manifests by tag or digest, and kiln's batch lookup of many tags in one
// request (docs/CACHE_SERVER.md, "Batch lookup").
#include <nlohmann/json.hpp>

#include "cacheserver/api.h"

namespace kiln::cacheserver {

namespace {

constexpr size_t kMaxManifest = 4 << 20;  // distribution's limit
constexpr size_t kMaxLookupBody = 4 << 20;
constexpr size_t kMaxLookupTags = 10000;

std::string Repo(const httplib::Request& req) { return req.matches[1].str(); }

// The media type a manifest declares in its body ("mediaType"), or "".
std::string DeclaredMediaType(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) return j["mediaType"];
  return "";
}

}  // namespace

void Api::GetManifest(const Req& req, Res& res) {
  std::string repo = Repo(req), ref = req.matches[2].str();
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, false)) return;
  auto m = store_.GetManifest(repo, ref);
  metrics_.CountLookup(true, m.ok());
  if (!m.ok()) return SendStatus(res, m.status(), kManifestUnknown);
  std::string type = m->media_type;
  if (type.empty()) type = DeclaredMediaType(m->body);
  if (type.empty()) type = "application/vnd.oci.image.manifest.v1+json";
  res.set_header("Docker-Content-Digest", m->digest);
  res.set_header("ETag", "\"" + m->digest + "\"");
  if (req.method != "HEAD") metrics_.AddBytesOut(static_cast<int64_t>(m->body.size()));
  res.set_content(m->body, type);
}

void Api::PutManifest(const Req& req, Res& res, const Reader& reader) {
  std::string repo = Repo(req), ref = req.matches[2].str();
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return Discard(req, res);
  std::string body;
  if (!ReadSmallBody(reader, kMaxManifest, &body)) {
    res.set_header("Connection", "close");
    return SendError(res, kManifestInvalid, "the manifest is larger than 4 MiB or its body ended early");
  }
  std::string type = req.get_header_value("Content-Type");
  if (size_t semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  if (type.empty() || type == "application/json") {
    if (std::string declared = DeclaredMediaType(body); !declared.empty()) type = declared;
  }
  auto digest = store_.PutManifest(repo, ref, type, body);
  if (!digest.ok()) {
    const Status& st = digest.status();
    if (st.code() == Code::kFailedPrecondition) return SendError(res, kManifestBlobUnknown, st.message());
    if (st.code() == Code::kInvalidArgument) return SendError(res, kManifestInvalid, st.message());
    if (st.code() == Code::kCorruption) return SendError(res, kDigestInvalid, st.message());
    return SendStatus(res, st, kManifestUnknown);
  }
  (void)store_.EvictIfNeeded();
  res.status = 201;
  res.set_header("Location", "/v2/" + repo + "/manifests/" + *digest);
  res.set_header("Docker-Content-Digest", *digest);
}

void Api::DeleteManifest(const Req& req, Res& res) {
  std::string repo = Repo(req), ref = req.matches[2].str();
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, true)) return;
  if (Status st = store_.DeleteManifest(repo, ref); !st.ok()) return SendStatus(res, st, kManifestUnknown);
  res.status = 202;
}

// POST /kiln/v1/<repo>/lookup {"tags": ["a", "b"]} ->
// {"manifests": {"a": {"digest": ..., "mediaType": ..., "size": N}}}: the tags whose
// manifest and every blob it names are present; the others are misses.
void Api::BatchLookup(const Req& req, Res& res, const Reader& reader) {
  std::string repo = Repo(req);
  if (!CheckRepo(res, repo) || !Allow(req, res, repo, false)) return Discard(req, res);
  std::string body;
  if (!ReadSmallBody(reader, kMaxLookupBody, &body)) {
    res.set_header("Connection", "close");
    return SendError(res, {400, "LOOKUP_INVALID"}, "the lookup body is larger than 4 MiB or ended early");
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("tags") || !j["tags"].is_array() || j["tags"].size() > kMaxLookupTags)
    return SendError(res, {400, "LOOKUP_INVALID"},
                     "the lookup body must be {\"tags\": [TAG, ...]} with at most 10000 tags");
  std::vector<std::string> tags;
  for (const auto& t : j["tags"]) {
    if (!t.is_string() || !IsValidTag(t.get<std::string>()))
      return SendError(res, {400, "LOOKUP_INVALID"}, "the lookup names an invalid tag: " + t.dump());
    tags.push_back(t.get<std::string>());
  }
  auto found = store_.LookupTags(repo, tags);
  if (!found.ok()) return SendStatus(res, found.status(), kNameUnknown);
  nlohmann::json out = {{"manifests", nlohmann::json::object()}};
  for (const auto& [tag, m] : *found)
    out["manifests"][tag] = {{"digest", m.digest}, {"mediaType", m.media_type}, {"size", m.size}};
  for (size_t i = 0; i < tags.size(); i++) metrics_.CountLookup(true, found->count(tags[i]) > 0);
  std::string text = out.dump() + "\n";
  metrics_.AddBytesOut(static_cast<int64_t>(text.size()));
  res.set_content(text, "application/json");
}

}  // namespace kiln::cacheserver
