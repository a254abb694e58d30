#include "solver/cache_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/oci.h"
#include "base/reference.h"
#include "cache/layer_compress.h"
#include "cache/layer_writer.h"
#include "exporter/output.h"
#include "registry/push.h"
#include "registry/repository.h"
#include "solver/cache_key.h"
#include "solver/snapshot_cache.h"

namespace kiln::solver {

namespace {

Result<CacheSpec> ParseCache(const std::string& s, bool to) {
  const std::string flag = to ? "--cache-to" : "--cache-from";
  CacheSpec spec;
  spec.text = s;
  if (!to && s.find('=') == std::string::npos) {  // a bare REF
    spec.type = CacheSpec::Type::kRegistry;
    spec.ref = s;
    return spec;
  }
  auto attrs = exporter::SplitKeyValues(flag, s);
  if (!attrs.ok())
    return attrs.status().WithHint("e.g. type=registry,ref=REGISTRY/REPO:TAG or type=local,dest=DIR");
  std::string type;
  for (const auto& [k, v] : *attrs)
    if (k == "type") type = v;
  if (type == "local") spec.type = CacheSpec::Type::kLocal;
  else if (type == "registry") spec.type = CacheSpec::Type::kRegistry;
  else if (type == "inline" && to) spec.type = CacheSpec::Type::kInline;
  else if (type.empty())
    return Status::InvalidArgument(flag + " " + s + ": no type=").WithHint(to ? "use type=local, type=registry or type=inline"
                                                                             : "use type=local or type=registry");
  else
    return Status::InvalidArgument(flag + " " + s + ": unknown cache type `" + type + "`")
        .WithHint(to ? "use type=local, type=registry or type=inline" : "use type=local or type=registry (or a bare REF)");
  for (const auto& [k, v] : *attrs) {
    if (k == "type") continue;
    if (to && k == "mode" && (v == "min" || v == "max")) {
      spec.max = v == "max";
    } else if (to && k == "mode") {
      return Status::InvalidArgument(flag + " " + s + ": mode=" + v + " is not min or max");
    } else if (k == (to ? "dest" : "src") && spec.type == CacheSpec::Type::kLocal) {
      spec.dir = v;
    } else if (k == "ref" && spec.type == CacheSpec::Type::kRegistry) {
      spec.ref = v;
    } else {
      return Status::InvalidArgument(flag + " " + s + ": unknown attribute `" + k + "` for type=" + type)
          .WithHint(spec.type == CacheSpec::Type::kLocal ? (to ? "type=local takes dest=DIR and mode=min|max" : "type=local takes src=DIR")
                    : spec.type == CacheSpec::Type::kRegistry ? (to ? "type=registry takes ref=REF and mode=min|max" : "type=registry takes ref=REF")
                                                              : "type=inline takes mode=min|max");
    }
  }
  if (spec.type == CacheSpec::Type::kLocal && spec.dir.empty())
    return Status::InvalidArgument(flag + " " + s + ": type=local needs " + (to ? "dest=DIR" : "src=DIR"));
  if (spec.type == CacheSpec::Type::kRegistry && spec.ref.empty())
    return Status::InvalidArgument(flag + " " + s + ": type=registry needs ref=REF");
  if (spec.type == CacheSpec::Type::kRegistry) {
    auto r = ParseReference(spec.ref);
    if (!r.ok()) return r.status().WithContext(flag + " " + s);
  }
  return spec;
}

// A snapshot's stored layer blob: gzip first, else zstd (a pulled layer is kept as
// pulled, as the image exporter keeps it); an uncompressed or missing one is
// written anew as gzip.
Result<cache::LayerRecord> LayerOfSnapshot(const BuildDeps& d, const std::string& snapshot) {
  auto recs = d.metadata->SnapshotLayers(snapshot);
  if (recs.ok())
    for (auto want : {cache::Compression::kGzip, cache::Compression::kZstd})
      for (const auto& rec : *recs) {
        auto c = cache::CompressionOfMediaType(rec.media_type);
        if (c.ok() && *c == want && d.content->Has(rec.digest)) return rec;
      }
  ASSIGN_OR_RETURN(auto in, d.snapshotter->DiffInputs(snapshot));
  cache::LayerOptions lo;
  lo.compression = cache::Compression::kGzip;
  ASSIGN_OR_RETURN(auto rec, cache::WriteSnapshotLayer(in, *d.content, lo));
  (void)d.metadata->PutSnapshotLayer(snapshot, rec);
  return rec;
}

Result<std::vector<std::string>> ChainOf(const BuildDeps& d, const std::string& snapshot) {
  std::vector<std::string> chain;
  for (std::string s = snapshot; !s.empty();) {
    chain.insert(chain.begin(), s);
    ASSIGN_OR_RETURN(auto info, d.snapshotter->Stat(s));
    s = info.parent;
  }
  return chain;
}

int OutputsOf(const cache::CacheRecord& r, bool* scratch) {
  auto j = nlohmann::json::parse(r.metadata.empty() ? "{}" : r.metadata, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 1;
  if (scratch) *scratch = j.value("scratch", false);
  return j.value("outputs", 1);
}

// The manifest and config of an export, as blobs.
struct ExportBlobs {
  std::string config, manifest;
  std::vector<cache::LayerRecord> layers;  // unique, in first-use order
};

ExportBlobs MakeExportBlobs(const std::vector<cache::CacheRecord>& records) {
  ExportBlobs b;
  b.config = cache::CacheRecordsToJson(records).dump();
  std::set<std::string> seen;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& r : records)
    for (const auto& l : r.layers)
      if (seen.insert(l.digest).second) {
        b.layers.push_back(l);
        layers.push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.size}});
      }
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", oci::kMediaTypeManifest},
                      {"config", {{"mediaType", kCacheConfigMediaType}, {"digest", Sha256Digest(b.config)}, {"size", b.config.size()}}},
                      {"layers", layers}};
  b.manifest = m.dump();
  return b;
}

std::string BlobPath(const std::string& dir, const std::string& digest) {
  return dir + "/blobs/sha256/" + std::string(DigestHex(digest));
}

// Copies a file (hard link when possible) to `dst` atomically.
Status CopyBlobFile(const std::string& src, const std::string& dst) {
  if (PathExists(dst)) return Status::OK();
  if (link(src.c_str(), dst.c_str()) == 0) return Status::OK();
  ASSIGN_OR_RETURN(std::string data, ReadFile(src));
  return WriteFileAtomic(dst, data);
}

Status ExportLocal(const std::string& dir, const ExportBlobs& b, cache::ContentStore& content) {
  RETURN_IF_ERROR(MakeDirs(dir + "/blobs/sha256", 0755));
  for (const auto& l : b.layers) {
    ASSIGN_OR_RETURN(std::string p, content.Path(l.digest));
    RETURN_IF_ERROR(CopyBlobFile(p, BlobPath(dir, l.digest)).WithContext("copy blob " + l.digest));
  }
  RETURN_IF_ERROR(WriteFileAtomic(BlobPath(dir, Sha256Digest(b.config)), b.config));
  std::string md = Sha256Digest(b.manifest);
  RETURN_IF_ERROR(WriteFileAtomic(BlobPath(dir, md), b.manifest));
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", oci::kMediaTypeIndex},
                          {"manifests", {{{"mediaType", oci::kMediaTypeManifest},
                                          {"digest", md},
                                          {"size", b.manifest.size()},
                                          {"annotations", {{"org.opencontainers.image.ref.name", "latest"}}}}}}};
  return WriteFileAtomic(dir + "/index.json", index.dump());  // last: the export is complete
}

Status ExportRegistry(const std::string& ref_s, const ExportBlobs& b, cache::ContentStore& content,
                      registry::RegistryClient& client) {
  ASSIGN_OR_RETURN(Reference ref, ParseReference(ref_s));
  RETURN_IF_ERROR(content.Put(b.config).status());
  ASSIGN_OR_RETURN(std::string md, content.Put(b.manifest));
  oci::Descriptor desc{oci::kMediaTypeManifest, md, static_cast<int64_t>(b.manifest.size()), {}, {}};
  ASSIGN_OR_RETURN(auto res, registry::PushImage(client, content, desc, ref));
  (void)res;
  return Status::OK();
}

// Streams the file `src` into the content store, verified.
Status IngestFile(cache::ContentStore& content, const std::string& src, const oci::Descriptor& d) {
  Fd fd(open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open", src);
  ASSIGN_OR_RETURN(auto w, content.NewWriter());
  RETURN_IF_ERROR(ReadChunks(fd.get(), src, [&](const char* p, size_t n) { return w->Write(p, n); }));
  return w->Commit(d.digest, d.size).status();
}

}  // namespace

Result<CacheSpec> ParseCacheTo(const std::string& s) { return ParseCache(s, true); }
Result<CacheSpec> ParseCacheFrom(const std::string& s) { return ParseCache(s, false); }

Result<std::vector<cache::CacheRecord>> CollectCacheRecords(BuildOpResolver* r, const std::vector<std::string>& keys,
                                                            const std::string& final_snapshot, bool max) {
  const BuildDeps& d = r->deps();
  std::set<std::string> final_chain;
  if (!final_snapshot.empty()) {
    ASSIGN_OR_RETURN(auto c, ChainOf(d, final_snapshot));
    final_chain.insert(c.begin(), c.end());
  }
  std::vector<cache::CacheRecord> out;
  std::set<std::string> done;
  for (const auto& key : keys) {
    if (!done.insert(key).second) continue;
    auto first = d.metadata->GetCacheRecord(key);
    if (!first.ok()) continue;  // not cacheable (e.g. the context)
    int outputs = OutputsOf(*first, nullptr);
    std::vector<cache::CacheRecord> recs;
    bool usable = true, in_final = false;
    for (int i = 0; i < outputs && usable; i++) {
      auto rec = i == 0 ? first : d.metadata->GetCacheRecord(OutputKey(key, i));
      if (!rec.ok()) {
        usable = false;
        break;
      }
      bool scratch = false;
      OutputsOf(*rec, &scratch);
      if (rec->snapshot.empty()) {
        if (!(i == 0 && scratch)) usable = false;
        recs.push_back(*rec);
        continue;
      }
      auto st = d.snapshotter->Stat(rec->snapshot);
      if (!st.ok() || !st->committed) {
        usable = false;
        break;
      }
      if (final_chain.count(rec->snapshot)) in_final = true;
      ASSIGN_OR_RETURN(auto chain, ChainOf(d, rec->snapshot));
      rec->layers.clear();
      int image_layers = 0;
      for (const auto& s : chain) {
        ASSIGN_OR_RETURN(auto lr, LayerOfSnapshot(d, s));
        rec->layers.push_back(lr);
        if (s.rfind("layer-", 0) == 0 && image_layers == static_cast<int>(rec->layers.size()) - 1) image_layers++;
      }
      auto m = nlohmann::json::parse(rec->metadata.empty() ? "{}" : rec->metadata, nullptr, false);
      if (m.is_discarded() || !m.is_object()) m = nlohmann::json::object();
      if (image_layers > 0) m[kImageLayersField] = image_layers;
      rec->metadata = m.dump();
      recs.push_back(std::move(*rec));
    }
    if (!usable || (!max && !in_final)) continue;
    for (auto& x : recs) out.push_back(std::move(x));
  }
  return out;
}

Status ExportCache(const CacheSpec& spec, const std::vector<cache::CacheRecord>& records, cache::ContentStore& content,
                   registry::RegistryClient& client) {
  ExportBlobs b = MakeExportBlobs(records);
  if (spec.type == CacheSpec::Type::kLocal)
    return ExportLocal(spec.dir, b, content).WithContext("export cache to " + spec.dir);
  if (spec.type == CacheSpec::Type::kRegistry)
    return ExportRegistry(spec.ref, b, content, client).WithContext("export cache to " + spec.ref);
  return Status::InvalidArgument("--cache-to " + spec.text + ": inline caches are written into the image config");
}

Status CacheImporter::AddRecords(const std::string& config_json,
                                 const std::function<Status(const oci::Descriptor&)>& fetch, int* count) {
  auto doc = nlohmann::json::parse(config_json, nullptr, false);
  if (doc.is_discarded()) return Status::Corruption("the cache config is not JSON");
  if (!doc.contains(cache::kCacheExportKey)) return Status::NotFound("no kiln cache records (kiln.cache.v1) in it");
  ASSIGN_OR_RETURN(auto records, cache::CacheRecordsFromJson(doc));
  for (auto& rec : records) {
    {
      std::lock_guard l(mu_);
      for (const auto& lr : rec.layers) sources_.emplace(lr.digest, fetch);
    }
    auto have = md_->GetCacheRecord(rec.key);
    if (have.ok() && !have->snapshot.empty()) continue;  // a local result wins
    rec.snapshot.clear();
    RETURN_IF_ERROR(md_->PutCacheRecord(rec));
    (*count)++;
  }
  return Status::OK();
}

Result<int> CacheImporter::Import(const CacheSpec& spec) {
  int count = 0;
  if (spec.type == CacheSpec::Type::kLocal) {
    const std::string dir = spec.dir;
    ASSIGN_OR_RETURN(std::string idx_s, ReadFile(dir + "/index.json"));
    auto idx = nlohmann::json::parse(idx_s, nullptr, false);
    if (idx.is_discarded() || !idx.contains("manifests") || !idx["manifests"].is_array() || idx["manifests"].empty())
      return Status::Corruption(dir + "/index.json: not an OCI index with a manifest");
    oci::Descriptor md = oci::DescriptorFromJson(idx["manifests"][0]);
    if (!IsValidDigest(md.digest)) return Status::Corruption(dir + "/index.json: bad manifest digest");
    ASSIGN_OR_RETURN(std::string man_s, ReadFile(BlobPath(dir, md.digest)));
    if (Sha256Digest(man_s) != md.digest) return Status::Corruption("manifest " + md.digest + " does not match its digest");
    auto man = nlohmann::json::parse(man_s, nullptr, false);
    if (man.is_discarded() || !man.contains("config")) return Status::Corruption("manifest " + md.digest + ": no config");
    oci::Descriptor cd = oci::DescriptorFromJson(man["config"]);
    if (!IsValidDigest(cd.digest)) return Status::Corruption("manifest " + md.digest + ": bad config digest");
    ASSIGN_OR_RETURN(std::string cfg, ReadFile(BlobPath(dir, cd.digest)));
    if (Sha256Digest(cfg) != cd.digest) return Status::Corruption("cache config " + cd.digest + " does not match its digest");
    cache::ContentStore* content = content_;
    RETURN_IF_ERROR(AddRecords(cfg, [dir, content](const oci::Descriptor& d) {
      return IngestFile(*content, BlobPath(dir, d.digest), d);
    }, &count));
    return count;
  }
  if (spec.type != CacheSpec::Type::kRegistry) return Status::InvalidArgument("--cache-from: not a cache source");
  ASSIGN_OR_RETURN(Reference ref, ParseReference(spec.ref));
  auto repo = std::make_shared<registry::Repository>(client_->Repo(ref));
  ASSIGN_OR_RETURN(auto fm, repo->GetManifest(ref.ManifestRef()));
  auto man = nlohmann::json::parse(fm.bytes, nullptr, false);
  if (man.is_discarded()) return Status::Corruption(spec.ref + ": the manifest is not JSON");
  if (man.contains("manifests")) {  // an index: an image's (inline records); take the host's platform
    if (!man["manifests"].is_array() || man["manifests"].empty()) return Status::NotFound(spec.ref + ": an empty index");
    oci::Descriptor pick = oci::DescriptorFromJson(man["manifests"][0]);
    auto host = oci::HostPlatform();
    for (const auto& m : man["manifests"]) {
      auto dsc = oci::DescriptorFromJson(m);
      if (dsc.platform && dsc.platform->os == host.os && dsc.platform->architecture == host.architecture) {
        pick = dsc;
        break;
      }
    }
    ASSIGN_OR_RETURN(fm, repo->GetManifest(pick.digest));
    man = nlohmann::json::parse(fm.bytes, nullptr, false);
    if (man.is_discarded()) return Status::Corruption(spec.ref + ": the manifest is not JSON");
  }
  if (!man.contains("config")) return Status::Corruption(spec.ref + ": the manifest has no config");
  oci::Descriptor cd = oci::DescriptorFromJson(man["config"]);
  ASSIGN_OR_RETURN(std::string cfg, repo->ReadBlob(cd));
  cache::ContentStore* content = content_;
  RETURN_IF_ERROR(AddRecords(cfg, [repo, content](const oci::Descriptor& d) { return repo->FetchBlob(d, *content); },
                             &count));
  return count;
}

Status CacheImporter::Fetch(const cache::LayerRecord& layer) {
  std::function<Status(const oci::Descriptor&)> fetch;
  {
    std::lock_guard l(mu_);
    auto it = sources_.find(layer.digest);
    if (it == sources_.end()) return Status::NotFound("blob " + layer.digest + " is in no --cache-from source");
    fetch = it->second;
  }
  oci::Descriptor d{layer.media_type, layer.digest, layer.size, {}, {}};
  return fetch(d).WithContext("fetch cache blob " + layer.digest);
}

}  // namespace kiln::solver
