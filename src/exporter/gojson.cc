#include "exporter/gojson.h"

#include <algorithm>
#include <cstdio>

namespace kiln::exporter {

const KeyOrder* KeyOrder::Child(const std::string& key) const {
  if (map_values) return items;
  for (const auto& [k, o] : children) {
    if (k == key) return o;
  }
  return nullptr;
}

std::string GoJsonQuote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '<': case '>': case '&': {
        char buf[8];
        snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
        continue;
      }
      default: break;
    }
    if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

namespace {

std::vector<std::string> OrderedKeys(const nlohmann::json& obj, const KeyOrder* order) {
  std::vector<std::string> keys;
  if (order && !order->map_values) {
    for (const auto& f : order->fields) {
      if (obj.contains(f)) keys.push_back(f);
    }
  }
  std::vector<std::string> rest;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) rest.push_back(it.key());
  }
  std::sort(rest.begin(), rest.end());
  keys.insert(keys.end(), rest.begin(), rest.end());
  return keys;
}

void Write(const nlohmann::json& j, const KeyOrder* order, bool indent, int depth, std::string& out) {
  auto newline = [&](int d) {
    if (!indent) return;
    out += '\n';
    out.append(static_cast<size_t>(d) * 2, ' ');
  };
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      if (j.empty()) { out += "{}"; return; }
      out += '{';
      bool first = true;
      for (const auto& k : OrderedKeys(j, order)) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        out += GoJsonQuote(k);
        out += indent ? ": " : ":";
        Write(j.at(k), order ? order->Child(k) : nullptr, indent, depth + 1, out);
      }
      newline(depth);
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      if (j.empty()) { out += "[]"; return; }
      out += '[';
      bool first = true;
      for (const auto& v : j) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        Write(v, order ? order->items : nullptr, indent, depth + 1, out);
      }
      newline(depth);
      out += ']';
      return;
    }
    case nlohmann::json::value_t::string:
      out += GoJsonQuote(j.get<std::string>());
      return;
    default:
      out += j.dump();
      return;
  }
}

}  // namespace

std::string GoMarshal(const nlohmann::json& j, const KeyOrder* order) {
  std::string out;
  Write(j, order, false, 0, out);
  return out;
}

std::string GoMarshalIndent(const nlohmann::json& j, const KeyOrder* order) {
  std::string out;
  Write(j, order, true, 0, out);
  return out;
}

namespace {

const KeyOrder kPlatform{{"architecture", "os", "os.version", "os.features", "variant"}, {}};
const KeyOrder kDescriptor{{"mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType"},
                           {{"platform", &kPlatform}}};
const KeyOrder kDescriptorList{{}, {}, &kDescriptor};
const KeyOrder kHealthcheck{{"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"}, {}};
// ocispec.ImageConfig (image-spec 1.0) followed by the Docker extensions, as the
// ImageConfig struct of dockerd 20.10's BuildKit orders them.
const KeyOrder kConfig{{"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
                        "StopSignal", "Healthcheck", "ArgsEscaped", "OnBuild", "StopTimeout", "Shell"},
                       {{"Healthcheck", &kHealthcheck}}};
const KeyOrder kHistory{{"created", "created_by", "author", "comment", "empty_layer"}, {}};
const KeyOrder kHistoryList{{}, {}, &kHistory};
const KeyOrder kRootfs{{"type", "diff_ids"}, {}};
// BuildKit patches the config as map[string]json.RawMessage: top-level keys sorted.
const KeyOrder kImageConfig{{}, {{"config", &kConfig}, {"history", &kHistoryList}, {"rootfs", &kRootfs}}};
const KeyOrder kManifest{{"schemaVersion", "mediaType", "artifactType", "config", "layers", "subject", "annotations"},
                         {{"config", &kDescriptor}, {"layers", &kDescriptorList}, {"subject", &kDescriptor}}};
const KeyOrder kIndex{{"schemaVersion", "mediaType", "artifactType", "manifests", "subject", "annotations"},
                      {{"manifests", &kDescriptorList}, {"subject", &kDescriptor}}};

}  // namespace

const KeyOrder& ImageConfigOrder() { return kImageConfig; }
const KeyOrder& ManifestOrder() { return kManifest; }
const KeyOrder& IndexOrder() { return kIndex; }
const KeyOrder& DescriptorOrder() { return kDescriptor; }

}  // namespace kiln::exporter
