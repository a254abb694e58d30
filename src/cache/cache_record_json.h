// The portable form of cache records (docs/storage.md, "Exporting cache records"):
// what a cache export, an inline cache or a team cache server carries. A record's
// snapshot is local state and never exported; its layers are (with their blobs).
//
//   {"kiln.cache.v1": [{"key": "...", "description": "...", "metadata": {...},
//     "created": 1700000000, "lastUsed": 1700000000,
//     "layers": [{"digest": "...", "mediaType": "...", "size": 1, "diffID": "..."}]}]}
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cache/metadata.h"

namespace kiln::cache {

inline constexpr const char* kCacheExportKey = "kiln.cache.v1";

nlohmann::json CacheRecordsToJson(const std::vector<CacheRecord>& records);
// Validates every field (digests, sizes, JSON metadata); errors name the record.
// Imported records have no snapshot.
Result<std::vector<CacheRecord>> CacheRecordsFromJson(const nlohmann::json& doc);

}  // namespace kiln::cache
