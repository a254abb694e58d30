#include "cache/push_layers.h"

#include "base/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <nlohmann/json.hpp>

#include "cache/layer_compress.h"

namespace kiln::cache {
namespace {

using Json = nlohmann::ordered_json;

// The gzip twin of uncompressed blob `digest` (its digest is its diff_id).
Result<LayerRecord> GzipTwin(ContentStore& store, MetadataStore& md, const std::string& digest,
                             const std::string& gz_media_type, PushConversion& conv) {
  if (auto rec = md.GetCompressedLayer(digest, gz_media_type); rec.ok() && store.Has(rec->digest)) {
    conv.layers_reused++;
    return *rec;
  }
  ASSIGN_OR_RETURN(std::string path, store.Path(digest));
  ASSIGN_OR_RETURN(auto w, store.NewWriter());
  ASSIGN_OR_RETURN(auto comp, LayerCompressor::Create(w.get(), Compression::kGzip));
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open", path);
  RETURN_IF_ERROR(ReadChunks(fd.get(), path, [&](const char* p, size_t n) { return comp->Write(p, n); }));
  RETURN_IF_ERROR(comp->Finish());
  if (comp->DiffId() != digest)
    return Status::Corruption("layer blob " + digest + " hashes to " + comp->DiffId() + " while compressing it");
  LayerRecord rec;
  rec.size = w->Written();
  ASSIGN_OR_RETURN(rec.digest, w->Commit());
  rec.media_type = gz_media_type;
  rec.diff_id = digest;
  RETURN_IF_ERROR(md.PutCompressedLayer(digest, rec));
  conv.layers_compressed++;
  return rec;
}

// Converts one manifest; returns the new descriptor (or `d` unchanged).
Result<oci::Descriptor> ConvertManifest(ContentStore& store, MetadataStore& md, const oci::Descriptor& d,
                                        const std::string& bytes, PushConversion& conv) {
  Json j = Json::parse(bytes, nullptr, false);
  if (!j.is_object() || !j.contains("layers") || !j["layers"].is_array()) return d;
  bool changed = false;
  for (auto& l : j["layers"]) {
    if (!l.is_object() || !l.contains("mediaType") || !l["mediaType"].is_string() || !l.contains("digest")) continue;
    std::string mt = l["mediaType"].get<std::string>();
    if (mt.find("nondistributable") != std::string::npos || mt.find("foreign") != std::string::npos) continue;
    auto c = CompressionOfMediaType(mt);
    if (!c.ok() || *c != Compression::kUncompressed) continue;
    bool docker = mt.find("docker") != std::string::npos;
    std::string gz = LayerMediaType(Compression::kGzip, !docker);
    ASSIGN_OR_RETURN(LayerRecord twin, GzipTwin(store, md, l["digest"].get<std::string>(), gz, conv));
    l["mediaType"] = twin.media_type;
    l["digest"] = twin.digest;
    l["size"] = twin.size;
    changed = true;
  }
  if (!changed) return d;
  std::string out = j.dump();
  ASSIGN_OR_RETURN(std::string digest, store.Put(out));
  oci::Descriptor nd = d;
  nd.digest = digest;
  nd.size = static_cast<int64_t>(out.size());
  return nd;
}

}  // namespace

Result<PushConversion> CompressedForPush(ContentStore& store, MetadataStore& md, const oci::Descriptor& target) {
  PushConversion conv;
  conv.target = target;
  ASSIGN_OR_RETURN(std::string bytes, store.Read(target.digest));
  Json j = Json::parse(bytes, nullptr, false);
  if (!j.is_object()) return conv;
  if (j.contains("manifests") && j["manifests"].is_array()) {
    bool changed = false;
    for (auto& m : j["manifests"]) {
      if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string()) continue;
      std::string cd = m["digest"].get<std::string>();
      if (!store.Has(cd)) continue;  // PushImage reports missing children
      ASSIGN_OR_RETURN(std::string child, store.Read(cd));
      oci::Descriptor d;
      d.digest = cd;
      d.media_type = m.value("mediaType", "");
      d.size = static_cast<int64_t>(child.size());
      ASSIGN_OR_RETURN(oci::Descriptor nd, ConvertManifest(store, md, d, child, conv));
      if (nd.digest != cd) {
        m["digest"] = nd.digest;
        m["size"] = nd.size;
        changed = true;
      }
    }
    if (changed) {
      std::string out = j.dump();
      ASSIGN_OR_RETURN(conv.target.digest, store.Put(out));
      conv.target.size = static_cast<int64_t>(out.size());
    }
    return conv;
  }
  ASSIGN_OR_RETURN(conv.target, ConvertManifest(store, md, target, bytes, conv));
  return conv;
}

}  // namespace kiln::cache
