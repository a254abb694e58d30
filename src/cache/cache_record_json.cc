#include "cache/cache_record_json.h"

#include "base/digest.h"

namespace kiln::cache {

nlohmann::json CacheRecordsToJson(const std::vector<CacheRecord>& records) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : records) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : r.layers)
      layers.push_back({{"digest", l.digest}, {"mediaType", l.media_type}, {"size", l.size}, {"diffID", l.diff_id}});
    auto meta = nlohmann::json::parse(r.metadata.empty() ? "{}" : r.metadata, nullptr, false);
    if (meta.is_discarded()) meta = nlohmann::json::object();
    list.push_back({{"key", r.key},
                    {"description", r.description},
                    {"metadata", meta},
                    {"created", r.created},
                    {"lastUsed", r.last_used},
                    {"layers", layers}});
  }
  return {{kCacheExportKey, list}};
}

Result<std::vector<CacheRecord>> CacheRecordsFromJson(const nlohmann::json& doc) {
  if (!doc.is_object() || !doc.contains(kCacheExportKey) || !doc[kCacheExportKey].is_array())
    return Status::InvalidArgument(std::string("cache export: expected an object with a `") + kCacheExportKey +
                                   "` array");
  std::vector<CacheRecord> out;
  const auto& list = doc[kCacheExportKey];
  for (size_t i = 0; i < list.size(); i++) {
    const auto& j = list[i];
    std::string where = "cache export record " + std::to_string(i);
    if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || j["key"].get<std::string>().empty())
      return Status::InvalidArgument(where + ": missing `key`");
    CacheRecord r;
    r.key = j["key"].get<std::string>();
    where += " (`" + r.key + "`)";
    r.description = j.value("description", "");
    r.metadata = j.contains("metadata") && j["metadata"].is_object() ? j["metadata"].dump() : "{}";
    r.created = j.value("created", int64_t{0});
    r.last_used = j.value("lastUsed", r.created);
    if (j.contains("layers")) {
      if (!j["layers"].is_array()) return Status::InvalidArgument(where + ": `layers` is not an array");
      for (const auto& l : j["layers"]) {
        LayerRecord lr;
        lr.digest = l.value("digest", "");
        lr.media_type = l.value("mediaType", "");
        lr.size = l.value("size", int64_t{-1});
        lr.diff_id = l.value("diffID", "");
        if (!IsValidDigest(lr.digest) || !IsValidDigest(lr.diff_id) || lr.size < 0 || lr.media_type.empty())
          return Status::InvalidArgument(where + ": layer " + std::to_string(r.layers.size()) +
                                         " needs a sha256 `digest` and `diffID`, a `mediaType` and a `size`");
        r.layers.push_back(std::move(lr));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace kiln::cache
