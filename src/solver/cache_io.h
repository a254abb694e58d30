// kiln build --cache-to / --cache-from (docker buildx's flags): moving solver
// cache records between kiln roots (docs/storage.md, "Exporting cache records").
//
// An export is the kiln.cache.v1 JSON (cache/cache_record_json.h) in a config blob
// of media type kCacheConfigMediaType, plus the layer blobs of every record, tied
// together by an OCI image manifest (config = the records, layers = the blobs), as
// BuildKit's registry cache does with image-manifest=true, so any registry stores it:
//   type=local,dest=DIR    an OCI layout in DIR: blobs first, index.json (naming the
//                          manifest) last, written atomically
//   type=registry,ref=REF  the manifest and its blobs pushed under REF
//   type=inline            the records of the image's own layers in its config, under
//                          the key "kiln.cache.v1" (BuildKit's inline cache)
// An import reads the records into the metadata database without snapshots and
// remembers where their blobs are; SnapshotCache fetches them only on a hit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/cache_record_json.h"
#include "cache/content_store.h"
#include "cache/metadata.h"
#include "registry/client.h"
#include "solver/ops.h"

namespace kiln::solver {

inline constexpr const char* kCacheConfigMediaType = "application/vnd.kiln.cache.config.v1+json";

struct CacheSpec {
  enum class Type { kLocal, kRegistry, kInline };
  Type type = Type::kRegistry;
  std::string dir;   // type=local: dest= (export) or src= (import)
  std::string ref;   // type=registry
  bool max = false;  // mode=max: every step of the build, not only the final image's
  std::string text;  // as given, for messages
};

// buildx syntax: type=local,dest=DIR[,mode=min|max] | type=registry,ref=REF[,mode=..] | type=inline.
Result<CacheSpec> ParseCacheTo(const std::string& s);
// type=local,src=DIR | type=registry,ref=REF | REF (= type=registry,ref=REF).
Result<CacheSpec> ParseCacheFrom(const std::string& s);

// The records to export after a solve: those of `keys` (the solve's cache keys) whose
// result is a committed snapshot (or scratch), each with its whole layer chain (gzip
// blobs, computed and remembered as the image exporter does). Without `max`, only the
// ops with an output in `final_snapshot`'s chain (the final image's own steps).
Result<std::vector<cache::CacheRecord>> CollectCacheRecords(BuildOpResolver* r, const std::vector<std::string>& keys,
                                                            const std::string& final_snapshot, bool max);

// Writes `records` to a type=local or type=registry destination.
Status ExportCache(const CacheSpec& spec, const std::vector<cache::CacheRecord>& records, cache::ContentStore& content,
                   registry::RegistryClient& client);

// Reads cache records from --cache-from sources into the metadata database and
// fetches their blobs on demand (Fetch, for SnapshotCache::SetImport).
class CacheImporter {
 public:
  CacheImporter(cache::MetadataStore* md, cache::ContentStore* content, registry::RegistryClient* client)
      : md_(md), content_(content), client_(client) {}
  // Reads the records of `spec` (a local layout, a cache manifest or an image with
  // inline records). Records with a usable local snapshot are kept as they are.
  // Returns how many records were imported.
  Result<int> Import(const CacheSpec& spec);
  // Makes `layer`'s blob present in the content store, from the source that listed it.
  Status Fetch(const cache::LayerRecord& layer);

 private:
  Status AddRecords(const std::string& config_json, const std::function<Status(const oci::Descriptor&)>& fetch,
                    int* count);

  cache::MetadataStore* md_;
  cache::ContentStore* content_;
  registry::RegistryClient* client_;
  std::mutex mu_;
  std::map<std::string, std::function<Status(const oci::Descriptor&)>> sources_;  // blob digest -> fetch
};

}  // namespace kiln::solver
