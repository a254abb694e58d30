#include "registry/image_source.h"

#include "cache/metadata.h"
#include "registry/manifest.h"
#include "registry/pull.h"

namespace kiln::registry {

Result<ResolvedImage> ResolveFromStore(cache::ContentStore& store, const Reference& ref, const oci::Descriptor& target,
                                       const oci::Platform& platform) {
  ResolvedImage img;
  img.ref = ref;
  img.from_local_store = true;
  ASSIGN_OR_RETURN(std::string top, store.Read(target.digest));
  std::string what = ref.String() + " (local " + target.digest + ")";
  ASSIGN_OR_RETURN(std::string mt, DetectManifestType(target.media_type, top, "manifest " + what));
  oci::Descriptor mdesc{mt, target.digest, static_cast<int64_t>(top.size()), {}, target.platform};
  std::string mbytes = top;
  if (IsIndexMediaType(mt)) {
    ASSIGN_OR_RETURN(auto entries, ParseIndex(top, "index " + what));
    ASSIGN_OR_RETURN(mdesc, SelectPlatform(entries, platform, what));
    if (!store.Has(mdesc.digest))
      return Status::NotFound("the manifest for " + platform.ToString() + " of " + what + " is not in the local store");
    ASSIGN_OR_RETURN(mbytes, store.Read(mdesc.digest));
    img.index_digest = target.digest;
    img.index_media_type = mt;
  }
  ASSIGN_OR_RETURN(ImageManifest m, ParseImageManifest(mbytes, "manifest " + what));
  if (!store.Has(m.config.digest))
    return Status::NotFound("the config " + m.config.digest + " of " + what + " is not in the local store");
  ASSIGN_OR_RETURN(img.config_json, store.Read(m.config.digest));
  img.manifest = mdesc;
  if (mdesc.media_type.empty()) img.manifest.media_type = m.media_type;
  img.manifest_json = mbytes;
  img.config = m.config;
  img.layers = m.layers;
  img.platform = ConfigPlatform(img.config_json);
  if (!img.manifest.platform) img.manifest.platform = img.platform;
  if (img.index_digest.empty() && !img.platform.architecture.empty() && !PlatformMatches(img.platform, platform))
    return Status::NotFound("local image " + what + " is for " + img.platform.ToString() + ", not " + platform.ToString());
  return img;
}

namespace {

class RegistryImageSource : public ImageSource {
 public:
  RegistryImageSource(RegistryClient* client, cache::ContentStore* store) : client_(client), store_(store) {}
  Result<ResolvedImage> Resolve(const Reference& ref, const oci::Platform& platform) override {
    return ResolveRemote(*client_, *store_, ref, platform);
  }
  Status Fetch(const ResolvedImage& image) override { return FetchLayers(*client_, *store_, image); }

 private:
  RegistryClient* client_;
  cache::ContentStore* store_;
};

class LocalFirstImageSource : public ImageSource {
 public:
  LocalFirstImageSource(RegistryClient* client, cache::ContentStore* store, cache::MetadataStore* md, bool always_pull)
      : remote_(client, store), store_(store), md_(md), always_pull_(always_pull) {}

  Result<ResolvedImage> Resolve(const Reference& ref, const oci::Platform& platform) override {
    if (!always_pull_) {
      if (!ref.digest.empty()) {
        if (store_->Has(ref.digest)) {
          auto r = ResolveFromStore(*store_, ref, oci::Descriptor{"", ref.digest, 0, {}, {}}, platform);
          if (r.ok()) return r;
        }
      } else if (md_) {
        auto rec = md_->GetImage(ref.String());
        if (rec.ok()) {
          auto r = ResolveFromStore(*store_, ref, rec->target, platform);
          if (r.ok()) return r;
        }
      }
    }
    return remote_.Resolve(ref, platform);
  }

  Status Fetch(const ResolvedImage& image) override {
    bool all = true;
    for (const auto& l : image.layers) all = all && store_->Has(l.digest);
    if (all) return Status::OK();
    return remote_.Fetch(image);
  }

 private:
  RegistryImageSource remote_;
  cache::ContentStore* store_;
  cache::MetadataStore* md_;
  bool always_pull_;
};

}  // namespace

std::unique_ptr<ImageSource> NewRegistryImageSource(RegistryClient* client, cache::ContentStore* store) {
  return std::make_unique<RegistryImageSource>(client, store);
}

std::unique_ptr<ImageSource> NewLocalFirstImageSource(RegistryClient* client, cache::ContentStore* store,
                                                      cache::MetadataStore* metadata, bool always_pull) {
  return std::make_unique<LocalFirstImageSource>(client, store, metadata, always_pull);
}

}  // namespace kiln::registry
