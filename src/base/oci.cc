#include "base/oci.h"

#include <sys/utsname.h>

#include <sstream>
#include <vector>

namespace kiln::oci {

Platform HostPlatform() {
  struct utsname u;
  uname(&u);
  std::string m = u.machine;
  Platform p;
  if (m == "x86_64") p.architecture = "amd64";
  else if (m == "aarch64") { p.architecture = "arm64"; }
  else if (m.rfind("armv7", 0) == 0) { p.architecture = "arm"; p.variant = "v7"; }
  else if (m == "i686" || m == "i386") p.architecture = "386";
  else p.architecture = m;
  return p;
}

std::optional<Platform> ParsePlatform(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, '/')) parts.push_back(part);
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  Platform p{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  if (p.architecture == "arm64" && p.variant == "v8") p.variant = "";
  return p;
}

nlohmann::json DescriptorToJson(const Descriptor& d) {
  nlohmann::json j{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) {
    j["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) j["platform"]["variant"] = d.platform->variant;
  }
  return j;
}

Descriptor DescriptorFromJson(const nlohmann::json& j) {
  Descriptor d;
  d.media_type = j.value("mediaType", "");
  d.digest = j.value("digest", "");
  d.size = j.value("size", int64_t{0});
  if (j.contains("annotations")) d.annotations = j["annotations"].get<std::map<std::string, std::string>>();
  if (j.contains("platform")) {
    const auto& p = j["platform"];
    d.platform = Platform{p.value("os", ""), p.value("architecture", ""), p.value("variant", "")};
  }
  return d;
}

}  // namespace kiln::oci
