#include "registry/inspect.h"

#include "registry/manifest.h"

namespace kiln::registry {

using nlohmann::json;

namespace {

json Desc(const oci::Descriptor& d) {
  json j{{"digest", d.digest}, {"mediaType", d.media_type}, {"size", d.size}};
  if (d.platform) j["platform"] = d.platform->ToString();
  return j;
}

}  // namespace

Result<json> InspectRemote(RegistryClient& client, const Reference& ref, const oci::Platform& platform) {
  Repository repo = client.Repo(ref);
  ASSIGN_OR_RETURN(FetchedManifest top, repo.GetManifest(ref.ManifestRef()));
  json out{{"name", ref.String()}, {"digest", top.digest}, {"mediaType", top.media_type}};
  FetchedManifest m = top;
  if (IsIndexMediaType(top.media_type)) {
    std::string what = ref.String();
    ASSIGN_OR_RETURN(auto entries, ParseIndex(top.bytes, "index " + what));
    json list = json::array();
    for (const auto& e : entries) list.push_back(Desc(e));
    out["manifests"] = list;
    ASSIGN_OR_RETURN(oci::Descriptor chosen, SelectPlatform(entries, platform, what));
    ASSIGN_OR_RETURN(m, repo.GetManifest(chosen.digest));
  }
  ASSIGN_OR_RETURN(ImageManifest parsed, ParseImageManifest(m.bytes, "manifest " + repo.Name() + "@" + m.digest));
  out["manifest"] = Desc(m.Descriptor());
  ASSIGN_OR_RETURN(std::string config, repo.ReadBlob(parsed.config));
  out["platform"] = ConfigPlatform(config).ToString();
  out["config"] = Desc(parsed.config);
  json layers = json::array();
  int64_t total = parsed.config.size;
  for (const auto& l : parsed.layers) {
    layers.push_back(Desc(l));
    total += l.size;
  }
  out["layers"] = layers;
  out["size"] = total;
  json cfg = json::parse(config, nullptr, false);
  if (!cfg.is_discarded()) out["image"] = cfg;
  return out;
}

}  // namespace kiln::registry
