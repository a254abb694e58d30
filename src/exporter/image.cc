#include "exporter/image.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/digest.h"
#include "exporter/gojson.h"

namespace kiln::exporter {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTime(int64_t ns) {
  int64_t sec = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --sec;
  }
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    char f[16];
    snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

std::optional<int64_t> ParseTime(const std::string& s) {
  struct tm tm = {};
  int consumed = 0;
  if (sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec, &consumed) != 6 || consumed != 19) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t sec = timegm(&tm);
  size_t i = 19;
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 9) frac = frac * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 9; ++d) frac *= 10;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return sec * 1000000000 + frac;
  int oh, om;
  if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) {
    int64_t off = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    return (sec - off) * 1000000000 + frac;
  }
  return std::nullopt;
}

std::string ConvertLayerMediaType(const std::string& mt, bool oci) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {oci::kMediaTypeLayerGzip, oci::kDockerLayerGzip},
      {oci::kMediaTypeLayer, "application/vnd.docker.image.rootfs.diff.tar"},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
       "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"},
  };
  for (auto [o, d] : kPairs) {
    if (mt == o || mt == d) return oci ? o : d;
  }
  return mt;
}

nlohmann::json DescriptorJson(const oci::Descriptor& d) { return oci::DescriptorToJson(d); }

namespace {

struct HistoryItem {
  nlohmann::json entry;               // the original object (its fields other than "created" kept)
  std::optional<int64_t> created_ns;  // parsed
  bool created_changed = false;       // created must be re-rendered
  bool empty_layer() const { return entry.value("empty_layer", false); }
};

Result<std::vector<HistoryItem>> ReadHistory(const nlohmann::json& config) {
  std::vector<HistoryItem> out;
  if (!config.contains("history") || config["history"].is_null()) return out;
  if (!config["history"].is_array()) return Status::InvalidArgument("image config: \"history\" is not an array");
  for (const auto& h : config["history"]) {
    if (!h.is_object()) return Status::InvalidArgument("image config: a history entry is not an object");
    HistoryItem item{h, std::nullopt};
    if (h.contains("created") && h["created"].is_string()) {
      item.created_ns = ParseTime(h["created"].get<std::string>());
      if (!item.created_ns) {
        return Status::InvalidArgument("image config: bad history time " + h["created"].dump());
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

// BuildKit's normalizeLayersAndHistory.
void NormalizeHistory(std::vector<HistoryItem>& history, const std::vector<Layer>& layers) {
  size_t history_layers = 0;
  for (const auto& h : history) history_layers += h.empty_layer() ? 0 : 1;
  if (history_layers > layers.size()) {
    size_t l = 0;
    for (auto& h : history) {
      if (l >= layers.size()) h.entry["empty_layer"] = true;
      if (!h.empty_layer()) ++l;
    }
    history_layers = layers.size();
  }
  for (size_t i = history_layers; i < layers.size(); ++i) {
    HistoryItem item;
    item.entry = nlohmann::json::object();
    item.entry["created_by"] = layers[i].description;
    item.entry["comment"] = "buildkit.exporter.image.v0";
    if (layers[i].created_ns) {
      item.created_ns = layers[i].created_ns;
      item.created_changed = true;
    }
    if (layers[i].description.empty()) item.entry.erase("created_by");
    history.push_back(std::move(item));
  }
  size_t layer_index = 0;
  for (auto& h : history) {
    if (h.empty_layer()) continue;
    if (!h.created_ns && layer_index < layers.size() && layers[layer_index].created_ns) {
      h.created_ns = layers[layer_index].created_ns;
      h.created_changed = true;
    }
    ++layer_index;
  }
  // The first new layer's time (or the last known time) for entries without one.
  std::optional<int64_t> created;
  bool missing = false;
  for (const auto& h : history) {
    if (h.created_ns) {
      created = h.created_ns;
      if (missing) break;
    } else {
      missing = true;
    }
  }
  missing = false;
  for (auto& h : history) {
    if (h.created_ns) {
      if (missing) created = h.created_ns;
    } else {
      missing = true;
      if (created) {
        h.created_ns = created;
        h.created_changed = true;
      }
    }
  }
}

bool IsEmptyValue(const nlohmann::json& v) {
  return v.is_null() || (v.is_string() && v.get<std::string>().empty()) || (v.is_boolean() && !v.get<bool>()) ||
         ((v.is_array() || v.is_object()) && v.empty()) || (v.is_number_integer() && v.get<int64_t>() == 0);
}

// Go's omitempty on the struct fields BuildKit marshals: the frontend's JSON may
// carry "Cmd": null or "empty_layer": false that Go would never write.
void OmitEmpty(nlohmann::json& obj, std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return;
  for (const char* k : keys) {
    if (obj.contains(k) && IsEmptyValue(obj[k])) obj.erase(k);
  }
}

}  // namespace

Result<AssembledImage> AssembleImage(const nlohmann::json& image_config, const std::vector<Layer>& layers,
                                     const ImageOptions& opts) {
  if (!image_config.is_object()) return Status::InvalidArgument("image config is not a JSON object");
  nlohmann::json config = image_config;
  ASSIGN_OR_RETURN(std::vector<HistoryItem> history, ReadHistory(config));
  NormalizeHistory(history, layers);

  std::optional<int64_t> epoch_ns;
  if (opts.source_date_epoch) epoch_ns = *opts.source_date_epoch * 1000000000;
  if (epoch_ns) {
    for (auto& h : history) {
      if (!h.created_ns || *h.created_ns > *epoch_ns) {
        h.created_ns = epoch_ns;
        h.created_changed = true;
      }
    }
  }

  nlohmann::json hist = nlohmann::json::array();
  for (auto& h : history) {
    if (h.created_changed || (!h.entry.contains("created") && h.created_ns)) {
      h.entry["created"] = FormatTime(*h.created_ns);
    }
    OmitEmpty(h.entry, {"created", "created_by", "author", "comment", "empty_layer"});
    hist.push_back(h.entry);
  }
  OmitEmpty(config, {"author", "variant", "os.version", "os.features"});
  if (config.contains("config") && config["config"].is_object()) {
    OmitEmpty(config["config"], {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels",
                                 "StopSignal", "ArgsEscaped", "Healthcheck", "Shell"});
    // OnBuild has no omitempty in BuildKit's ImageConfig: an empty one is null.
    auto& onbuild = config["config"]["OnBuild"];
    if (IsEmptyValue(onbuild)) onbuild = nullptr;
  }
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : layers) {
    if (!IsValidDigest(l.diff_id)) return Status::InvalidArgument("layer " + l.blob.digest + ": bad diffID \"" + l.diff_id + "\"");
    diff_ids.push_back(l.diff_id);
  }
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  config["history"] = hist;

  if (!config.contains("created") || config["created"].is_null()) {
    std::optional<int64_t> last;
    for (const auto& h : history) {
      if (h.created_ns) last = h.created_ns;
    }
    config["created"] = last ? nlohmann::json(FormatTime(*last)) : nlohmann::json(nullptr);
  }
  if (epoch_ns) {
    std::optional<int64_t> created;
    if (config["created"].is_string()) created = ParseTime(config["created"].get<std::string>());
    if (!created || *created > *epoch_ns) config["created"] = FormatTime(*epoch_ns);
  }

  AssembledImage out;
  out.config = GoMarshal(config, &ImageConfigOrder());
  out.config_desc.media_type = opts.oci_mediatypes ? oci::kMediaTypeConfig : oci::kDockerConfig;
  out.config_desc.digest = Sha256Digest(out.config);
  out.config_desc.size = static_cast<int64_t>(out.config.size());

  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", opts.oci_mediatypes ? oci::kMediaTypeManifest : oci::kDockerManifest},
      {"config", DescriptorJson(out.config_desc)},
  };
  nlohmann::json jl = nlohmann::json::array();
  for (const auto& l : layers) {
    oci::Descriptor d;
    d.media_type = ConvertLayerMediaType(l.blob.media_type, opts.oci_mediatypes);
    d.digest = l.blob.digest;
    d.size = l.blob.size;
    out.layers.push_back(d);
    jl.push_back(DescriptorJson(d));
  }
  manifest["layers"] = jl;
  if (!opts.manifest_annotations.empty()) manifest["annotations"] = opts.manifest_annotations;
  out.manifest = GoMarshalIndent(manifest, &ManifestOrder());
  out.manifest_desc.media_type = manifest["mediaType"];
  out.manifest_desc.digest = Sha256Digest(out.manifest);
  out.manifest_desc.size = static_cast<int64_t>(out.manifest.size());
  return out;
}

std::string IndexJson(const std::vector<oci::Descriptor>& manifests, bool oci_mediatypes) {
  nlohmann::json idx = {{"schemaVersion", 2},
                        {"mediaType", oci_mediatypes ? oci::kMediaTypeIndex : oci::kDockerManifestList}};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : manifests) list.push_back(DescriptorJson(m));
  idx["manifests"] = list;
  return GoMarshalIndent(idx, &IndexOrder());
}

}  // namespace kiln::exporter
