#include "registry/pull.h"

#include <atomic>
#include <thread>

#include "base/log.h"
#include "registry/manifest.h"

namespace kiln::registry {

namespace {

Status StoreBytes(cache::ContentStore& store, const std::string& bytes, const std::string& digest) {
  if (store.Has(digest)) return Status::OK();
  ASSIGN_OR_RETURN(auto w, store.NewWriter());
  RETURN_IF_ERROR(w->Write(bytes.data(), bytes.size()));
  auto r = w->Commit(digest, static_cast<int64_t>(bytes.size()));
  return r.ok() ? Status::OK() : r.status();
}

}  // namespace

Status ParallelFor(size_t n, int parallel, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  auto worker = [&] {
    for (;;) {
      if (failed) return;
      size_t i = next++;
      if (i >= n) return;
      Status st = fn(i);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = st;
        failed = true;
      }
    }
  };
  int threads = std::max(1, std::min<int>(parallel, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; t++) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return first;
}

Result<ResolvedImage> ResolveRemote(RegistryClient& client, cache::ContentStore& store, const Reference& ref,
                                    const oci::Platform& platform) {
  Repository repo = client.Repo(ref);
  ResolvedImage img;
  img.ref = ref;
  ASSIGN_OR_RETURN(FetchedManifest top, repo.GetManifest(ref.ManifestRef()));
  FetchedManifest m = top;
  if (IsIndexMediaType(top.media_type)) {
    std::string what = (ref.digest.empty() ? ref.String() : repo.Name() + "@" + ref.digest);
    ASSIGN_OR_RETURN(auto entries, ParseIndex(top.bytes, "index " + what));
    ASSIGN_OR_RETURN(oci::Descriptor chosen, SelectPlatform(entries, platform, what));
    if (IsIndexMediaType(chosen.media_type))
      return Status::Unimplemented("index " + what + " nests another index for " + platform.ToString());
    img.index_digest = top.digest;
    img.index_media_type = top.media_type;
    RETURN_IF_ERROR(StoreBytes(store, top.bytes, top.digest));
    client.RecordBlobSource(top.digest, repo.Name());
    ASSIGN_OR_RETURN(m, repo.GetManifest(chosen.digest));
    img.manifest = chosen;
    img.manifest.media_type = m.media_type;
  } else {
    img.manifest = m.Descriptor();
  }
  ASSIGN_OR_RETURN(ImageManifest parsed, ParseImageManifest(m.bytes, "manifest " + repo.Name() + "@" + m.digest));
  img.manifest_json = m.bytes;
  img.config = parsed.config;
  img.layers = parsed.layers;
  // The config: from the store when present, else from the registry (verified).
  if (store.Has(parsed.config.digest)) {
    ASSIGN_OR_RETURN(img.config_json, store.Read(parsed.config.digest));
  } else {
    ASSIGN_OR_RETURN(img.config_json, repo.ReadBlob(parsed.config));
    RETURN_IF_ERROR(StoreBytes(store, img.config_json, parsed.config.digest));
  }
  client.RecordBlobSource(parsed.config.digest, repo.Name());
  img.platform = ConfigPlatform(img.config_json);
  if (!img.manifest.platform && !img.platform.architecture.empty()) img.manifest.platform = img.platform;
  RETURN_IF_ERROR(StoreBytes(store, m.bytes, m.digest));
  client.RecordBlobSource(m.digest, repo.Name());
  return img;
}

Result<oci::Descriptor> PullAllPlatforms(RegistryClient& client, cache::ContentStore& store, const Reference& ref) {
  Repository repo = client.Repo(ref);
  ASSIGN_OR_RETURN(FetchedManifest top, repo.GetManifest(ref.ManifestRef()));
  if (!IsIndexMediaType(top.media_type)) {
    ASSIGN_OR_RETURN(ResolvedImage img, ResolveRemote(client, store, ref.WithDigest(top.digest), oci::Platform{}));
    RETURN_IF_ERROR(FetchLayers(client, store, img));
    return img.manifest;
  }
  ASSIGN_OR_RETURN(auto entries, ParseIndex(top.bytes, "index " + ref.String()));
  for (const auto& e : entries) {
    if (IsIndexMediaType(e.media_type)) return Status::Unimplemented("nested index " + e.digest + " in " + ref.String());
    ASSIGN_OR_RETURN(ResolvedImage img, ResolveRemote(client, store, ref.WithDigest(e.digest), oci::Platform{}));
    RETURN_IF_ERROR(FetchLayers(client, store, img));
  }
  RETURN_IF_ERROR(StoreBytes(store, top.bytes, top.digest));
  client.RecordBlobSource(top.digest, repo.Name());
  return top.Descriptor();
}

Status FetchLayers(RegistryClient& client, cache::ContentStore& store, const ResolvedImage& image) {
  Repository repo = client.Repo(image.ref);
  return ParallelFor(image.layers.size(), client.options().parallel, [&](size_t i) -> Status {
    const auto& l = image.layers[i];
    bool had = store.Has(l.digest);
    if (!had) {
      RETURN_IF_ERROR(repo.FetchBlob(l, store));
      client.Progress("pulled layer " + l.digest.substr(0, 19) + " (" + HumanSize(l.size) + ")");
    } else {
      client.Progress("layer " + l.digest.substr(0, 19) + " already present");
    }
    client.RecordBlobSource(l.digest, repo.Name());
    return Status::OK();
  });
}

}  // namespace kiln::registry
