#include "exporter/image_store.h"

#include <algorithm>
#include <map>

#include "base/digest.h"
#include "base/reference.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "exporter/gojson.h"
#include "exporter/image.h"
#include "exporter/layout.h"
#include "exporter/tar_writer.h"

namespace kiln::exporter {
namespace {

Result<nlohmann::json> ReadJsonBlob(cache::ContentStore& cs, const std::string& digest) {
  ASSIGN_OR_RETURN(std::string data, cs.Read(digest));
  try {
    return nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("blob " + digest + " is not JSON: " + e.what());
  }
}

bool IsIndex(const std::string& mt) { return mt == oci::kMediaTypeIndex || mt == oci::kDockerManifestList; }

Status NoSuchImage(const std::string& what) {
  return Status::NotFound("no such image: " + what).WithHint("`kiln images` lists the images in kiln's store; `kiln inspect --remote REF` looks in a registry");
}

bool IsHex(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos; }

}  // namespace

Result<LocalImage> ImageStore::Load(const oci::Descriptor& target) {
  LocalImage img;
  img.target = target;
  oci::Descriptor m = target;
  ASSIGN_OR_RETURN(nlohmann::json doc, ReadJsonBlob(cs_, target.digest));
  if (IsIndex(doc.value("mediaType", target.media_type)) || doc.contains("manifests")) {
    oci::Platform host = oci::HostPlatform();
    std::optional<oci::Descriptor> pick;
    for (const auto& jd : doc.value("manifests", nlohmann::json::array())) {
      oci::Descriptor d = oci::DescriptorFromJson(jd);
      if (!cs_.Has(d.digest)) continue;
      if (!pick) pick = d;
      if (d.platform && d.platform->os == host.os && d.platform->architecture == host.architecture) {
        pick = d;
        break;
      }
    }
    if (!pick) return Status::NotFound("image index " + target.digest + " has no manifest in the store");
    m = *pick;
    ASSIGN_OR_RETURN(doc, ReadJsonBlob(cs_, m.digest));
  }
  img.manifest = m;
  img.manifest_json = doc;
  if (!doc.contains("config") || !doc["config"].is_object()) {
    return Status::Corruption("manifest " + m.digest + " has no config");
  }
  img.id = doc["config"].value("digest", "");
  img.size = doc["config"].value("size", int64_t{0});
  for (const auto& l : doc.value("layers", nlohmann::json::array())) img.size += l.value("size", int64_t{0});
  ASSIGN_OR_RETURN(img.config, ReadJsonBlob(cs_, img.id));
  if (img.config.contains("created") && img.config["created"].is_string()) {
    img.created_ns = ParseTime(img.config["created"].get<std::string>()).value_or(0);
  }
  return img;
}

Result<std::vector<LocalImage>> ImageStore::List() {
  ASSIGN_OR_RETURN(auto records, md_.ListImages());
  std::map<std::string, LocalImage> by_target;
  for (const auto& r : records) {
    auto it = by_target.find(r.target.digest);
    if (it == by_target.end()) {
      auto img = Load(r.target);
      if (!img.ok()) continue;  // a name whose blobs are gone is skipped, not fatal
      it = by_target.emplace(r.target.digest, std::move(*img)).first;
    }
    it->second.names.push_back(r.name);
    it->second.updated = std::max(it->second.updated, r.updated);
  }
  std::vector<LocalImage> out;
  for (auto& [_, img] : by_target) {
    std::sort(img.names.begin(), img.names.end());
    out.push_back(std::move(img));
  }
  std::sort(out.begin(), out.end(), [](const LocalImage& a, const LocalImage& b) {
    if (a.created_ns != b.created_ns) return a.created_ns > b.created_ns;
    return a.names < b.names;
  });
  return out;
}

Result<LocalImage> ImageStore::Resolve(const std::string& arg) {
  if (arg.empty()) return NoSuchImage("\"\"");
  ASSIGN_OR_RETURN(auto images, List());
  // By name first.
  if (auto ref = ParseReference(arg); ref.ok()) {
    for (auto& img : images) {
      if (std::find(img.names.begin(), img.names.end(), ref->String()) != img.names.end()) return img;
    }
  }
  std::string hex = arg.rfind("sha256:", 0) == 0 ? arg.substr(7) : arg;
  if (!IsHex(hex) || hex.size() < 4) return NoSuchImage(arg);
  std::vector<LocalImage*> hits;
  for (auto& img : images) {
    if (std::string(DigestHex(img.id)).rfind(hex, 0) == 0 || std::string(DigestHex(img.target.digest)).rfind(hex, 0) == 0) {
      hits.push_back(&img);
    }
  }
  if (hits.empty()) return NoSuchImage(arg);
  if (hits.size() > 1) return Status::InvalidArgument("image ID prefix " + arg + " is ambiguous: give more digits");
  return *hits[0];
}

Status ImageStore::Tag(const std::string& source, const std::string& target) {
  ASSIGN_OR_RETURN(LocalImage img, Resolve(source));
  ASSIGN_OR_RETURN(Reference ref, ParseReference(target));
  if (!ref.digest.empty()) return Status::InvalidArgument("cannot tag with a digest reference: " + target);
  cache::ImageRecord rec;
  rec.name = ref.String();
  rec.target = img.target;
  return md_.PutImage(rec);
}

Result<std::vector<std::string>> ImageStore::Remove(const std::string& arg, bool force) {
  if (auto ref = ParseReference(arg); ref.ok()) {
    if (md_.GetImage(ref->String()).ok()) {
      RETURN_IF_ERROR(md_.DeleteImage(ref->String()));
      return std::vector<std::string>{ref->String()};
    }
  }
  ASSIGN_OR_RETURN(LocalImage img, Resolve(arg));
  if (img.names.size() > 1 && !force) {
    return Status::FailedPrecondition("image " + std::string(DigestHex(img.id)).substr(0, 12) + " has " +
                                      std::to_string(img.names.size()) + " names")
        .WithHint("remove it by name, or use --force to remove every name");
  }
  for (const auto& n : img.names) RETURN_IF_ERROR(md_.DeleteImage(n));
  return img.names;
}

Status ImageStore::Save(const std::vector<std::string>& refs, bool docker_format, const std::string& dest,
                        int stdout_fd) {
  if (refs.empty()) return Status::InvalidArgument("kiln save needs at least one image");
  LayoutContent c;
  nlohmann::json docker_entries = nlohmann::json::array();
  for (const auto& r : refs) {
    ASSIGN_OR_RETURN(LocalImage img, Resolve(r));
    // Names: the one given when it is a name, else every name of the image.
    std::vector<std::string> names;
    if (auto ref = ParseReference(r); ref.ok() &&
        std::find(img.names.begin(), img.names.end(), ref->String()) != img.names.end()) {
      names.push_back(ref->String());
    } else {
      names = img.names;
    }
    oci::Descriptor m = img.manifest;
    m.platform.reset();
    m.annotations.clear();
    for (auto& d : NamedDescriptors(m, names, "")) c.index_manifests.push_back(d);
    c.blobs.push_back(img.manifest.digest);
    c.blobs.push_back(img.id);
    std::vector<std::string> layers;
    for (const auto& l : img.manifest_json.value("layers", nlohmann::json::array())) {
      std::string d = l.value("digest", "");
      if (!cs_.Has(d)) return Status::NotFound("layer " + d + " of " + r + " is not in the store");
      c.blobs.push_back(d);
      layers.push_back(d);
    }
    if (docker_format) {
      for (auto& e : nlohmann::json::parse(DockerManifestJson(img.id, layers, names))) docker_entries.push_back(e);
    }
  }
  if (docker_format) {
    static const KeyOrder kEntry{{"Config", "RepoTags", "Layers"}, {}};
    static const KeyOrder kList{{}, {}, &kEntry};
    c.docker_manifest = GoMarshal(docker_entries, &kList);
  }
  ASSIGN_OR_RETURN(auto out, OutputFile::Create(dest, stdout_fd));
  RETURN_IF_ERROR(WriteLayoutTar(out->fd(), cs_, c).WithContext("write " + dest));
  return out->Commit();
}

nlohmann::json ImageStore::Inspect(const LocalImage& img) {
  nlohmann::json j = nlohmann::json::object();
  std::string name;
  nlohmann::json tags = nlohmann::json::array();
  for (const auto& n : img.names) {
    auto ref = ParseReference(n);
    if (!ref.ok()) continue;
    if (name.empty()) name = ref->Repository();
    if (!ref->tag.empty()) tags.push_back(ref->tag);
  }
  const auto& cfg = img.config;
  j["Name"] = name;
  j["Names"] = img.names;
  j["Digest"] = img.target.digest;
  j["Id"] = img.id;
  j["RepoTags"] = tags;
  j["Created"] = cfg.value("created", nlohmann::json(nullptr));
  j["Architecture"] = cfg.value("architecture", "");
  j["Os"] = cfg.value("os", "");
  if (cfg.contains("variant")) j["Variant"] = cfg["variant"];
  const auto& c = cfg.contains("config") && cfg["config"].is_object() ? cfg["config"] : nlohmann::json::object();
  j["Labels"] = c.value("Labels", nlohmann::json(nullptr));
  j["Env"] = c.value("Env", nlohmann::json(nullptr));
  nlohmann::json layers = nlohmann::json::array(), data = nlohmann::json::array();
  for (const auto& l : img.manifest_json.value("layers", nlohmann::json::array())) {
    layers.push_back(l.value("digest", ""));
    data.push_back({{"MIMEType", l.value("mediaType", "")},
                    {"Digest", l.value("digest", "")},
                    {"Size", l.value("size", int64_t{0})},
                    {"Annotations", l.value("annotations", nlohmann::json(nullptr))}});
  }
  j["Layers"] = layers;
  j["LayersData"] = data;
  j["Size"] = img.size;
  j["ManifestMediaType"] = img.manifest.media_type;
  j["Config"] = c;
  j["RootFS"] = cfg.value("rootfs", nlohmann::json(nullptr));
  j["History"] = cfg.value("history", nlohmann::json(nullptr));
  return j;
}

}  // namespace kiln::exporter
