#include "registry/manifest.h"

#include <nlohmann/json.hpp>

namespace kiln::registry {

using nlohmann::json;

namespace {

std::string NormVariant(const std::string& arch, const std::string& v) {
  if (arch == "arm64" && (v.empty() || v == "v8")) return "v8";
  if (arch == "arm" && v.empty()) return "v7";
  return v;
}

Status Schema1(const std::string& what) {
  return Status::Unimplemented(what + " is a Docker schema 1 manifest, a format deprecated since 2017 that kiln does not read")
      .WithHint("push the image again with a current docker, skopeo or kiln; they write schema 2 or OCI manifests");
}

}  // namespace

std::string ManifestAcceptHeader() {
  return std::string("Accept: ") + oci::kMediaTypeManifest + ", " + oci::kMediaTypeIndex + ", " + oci::kDockerManifest +
         ", " + oci::kDockerManifestList;
}

bool IsIndexMediaType(const std::string& mt) { return mt == oci::kMediaTypeIndex || mt == oci::kDockerManifestList; }
bool IsManifestMediaType(const std::string& mt) { return mt == oci::kMediaTypeManifest || mt == oci::kDockerManifest; }

Result<std::string> DetectManifestType(const std::string& content_type, const std::string& body, const std::string& what) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == oci::kDockerManifestV1Signed || ct == "application/vnd.docker.distribution.manifest.v1+json") return Schema1(what);
  if (IsIndexMediaType(ct) || IsManifestMediaType(ct)) return ct;
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(what + " is not a JSON manifest");
  if (j.value("schemaVersion", 0) == 1) return Schema1(what);
  std::string mt = j.value("mediaType", "");
  if (IsIndexMediaType(mt) || IsManifestMediaType(mt)) return mt;
  if (j.contains("manifests")) return std::string(oci::kMediaTypeIndex);
  if (j.contains("config") && j.contains("layers")) return std::string(oci::kMediaTypeManifest);
  return Status::InvalidArgument(what + " has an unsupported media type \"" + (mt.empty() ? ct : mt) + "\"");
}

Result<ImageManifest> ParseImageManifest(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(what + " is not valid JSON");
  if (j.value("schemaVersion", 0) == 1) return Schema1(what);
  if (!j.contains("config") || !j["config"].is_object() || !j.contains("layers") || !j["layers"].is_array())
    return Status::InvalidArgument(what + " is not an image manifest (no config or layers)");
  ImageManifest m;
  m.media_type = j.value("mediaType", std::string(oci::kMediaTypeManifest));
  try {
    m.config = oci::DescriptorFromJson(j["config"]);
    for (const auto& l : j["layers"]) m.layers.push_back(oci::DescriptorFromJson(l));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(what + ": malformed descriptor: " + e.what());
  }
  return m;
}

Result<std::vector<oci::Descriptor>> ParseIndex(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("manifests") || !j["manifests"].is_array())
    return Status::InvalidArgument(what + " is not an image index");
  std::vector<oci::Descriptor> out;
  try {
    for (const auto& m : j["manifests"]) out.push_back(oci::DescriptorFromJson(m));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(what + ": malformed descriptor: " + e.what());
  }
  return out;
}

bool PlatformMatches(const oci::Platform& have, const oci::Platform& want) {
  if (have.os != want.os || have.architecture != want.architecture) return false;
  if (want.variant.empty() && want.architecture != "arm" && want.architecture != "arm64") return true;
  std::string hv = NormVariant(have.architecture, have.variant);
  std::string wv = NormVariant(want.architecture, want.variant);
  if (want.architecture == "arm" && want.variant.empty()) return true;  // any arm variant; best chosen by caller
  return hv == wv;
}

Result<oci::Descriptor> SelectPlatform(const std::vector<oci::Descriptor>& manifests, const oci::Platform& want,
                                       const std::string& what) {
  const oci::Descriptor* best = nullptr;
  std::string available;
  for (const auto& d : manifests) {
    if (!d.platform) continue;
    if (d.platform->os == "unknown" || d.platform->architecture == "unknown") continue;
    if (!available.empty()) available += ", ";
    available += d.platform->ToString();
    if (!PlatformMatches(*d.platform, want)) continue;
    if (!best) {
      best = &d;
      continue;
    }
    // Prefer an exact variant match, then (arm without a variant) the highest variant.
    const std::string& bv = best->platform->variant;
    const std::string& dv = d.platform->variant;
    if (!want.variant.empty()) continue;
    if (want.architecture == "arm" ? dv > bv : (dv.empty() && !bv.empty())) best = &d;
  }
  if (!best) {
    // An index with one unlabelled manifest: take it.
    std::vector<const oci::Descriptor*> unlabelled;
    for (const auto& d : manifests)
      if (!d.platform && IsManifestMediaType(d.media_type)) unlabelled.push_back(&d);
    if (unlabelled.size() == 1 && available.empty()) return *unlabelled[0];
    return Status::NotFound(what + " has no image for platform " + want.ToString() +
                            (available.empty() ? "" : " (available: " + available + ")"))
        .WithHint("choose one of the available platforms with --platform");
  }
  return *best;
}

oci::Platform ConfigPlatform(const std::string& config_json) {
  oci::Platform p;
  json j = json::parse(config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return p;
  p.os = j.value("os", "");
  p.architecture = j.value("architecture", "");
  p.variant = j.value("variant", "");
  return p;
}

}  // namespace kiln::registry
