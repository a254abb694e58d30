#include "registry/push.h"

#include <atomic>

#include "registry/manifest.h"
#include "registry/pull.h"

namespace kiln::registry {

namespace {

bool NonDistributable(const std::string& mt) {
  return mt.find("nondistributable") != std::string::npos || mt.find("foreign") != std::string::npos;
}

struct Pusher {
  RegistryClient& client;
  cache::ContentStore& store;
  Reference ref;
  Repository repo;
  PushResult result;
  std::atomic<int> uploaded{0}, mounted{0}, skipped{0};

  Status PushBlob(const oci::Descriptor& d) {
    if (NonDistributable(d.media_type)) return Status::OK();
    if (!store.Has(d.digest))
      return Status::NotFound("blob " + d.digest + " (" + d.media_type + ") is not in the local store")
          .WithHint("pull or build the image again so that all its layers are present");
    ASSIGN_OR_RETURN(bool has, repo.HasBlob(d.digest));
    if (has) {
      skipped++;
      client.Progress("blob " + d.digest.substr(0, 19) + " already in " + repo.Name());
      client.RecordBlobSource(d.digest, repo.Name());
      return Status::OK();
    }
    for (const auto& from : client.BlobSources(d.digest, ref.domain)) {
      if (from == ref.path) continue;
      auto m = repo.MountBlob(d.digest, from);
      if (m.ok() && *m) {
        mounted++;
        client.Progress("mounted " + d.digest.substr(0, 19) + " from " + from);
        client.RecordBlobSource(d.digest, repo.Name());
        return Status::OK();
      }
    }
    ASSIGN_OR_RETURN(std::string path, store.Path(d.digest));
    oci::Descriptor sized = d;
    ASSIGN_OR_RETURN(sized.size, store.Size(d.digest));
    RETURN_IF_ERROR(repo.UploadBlob(sized, path, client.options().chunk_size));
    uploaded++;
    client.Progress("pushed " + d.digest.substr(0, 19) + " (" + HumanSize(sized.size) + ")");
    client.RecordBlobSource(d.digest, repo.Name());
    return Status::OK();
  }

  // Pushes a manifest's blobs, then the manifest by digest when `by_digest`.
  Status PushManifest(const oci::Descriptor& d, const std::string& bytes, bool by_digest) {
    ASSIGN_OR_RETURN(ImageManifest m, ParseImageManifest(bytes, "manifest " + d.digest));
    std::vector<oci::Descriptor> blobs{m.config};
    blobs.insert(blobs.end(), m.layers.begin(), m.layers.end());
    RETURN_IF_ERROR(ParallelFor(blobs.size(), client.options().parallel, [&](size_t i) { return PushBlob(blobs[i]); }));
    if (by_digest) RETURN_IF_ERROR(repo.PutManifest(d.digest, bytes, d.media_type));
    return Status::OK();
  }
};

}  // namespace

Result<PushResult> PushImage(RegistryClient& client, cache::ContentStore& store, const oci::Descriptor& target,
                             const Reference& ref, const std::vector<std::string>& extra_tags) {
  Pusher p{client, store, ref, client.Repo(ref, /*push=*/true), {}};
  ASSIGN_OR_RETURN(std::string bytes, store.Read(target.digest));
  ASSIGN_OR_RETURN(std::string mt, DetectManifestType(target.media_type, bytes, "local manifest " + target.digest));
  oci::Descriptor top{mt, target.digest, static_cast<int64_t>(bytes.size()), {}, {}};
  if (IsIndexMediaType(mt)) {
    ASSIGN_OR_RETURN(auto entries, ParseIndex(bytes, "local index " + target.digest));
    for (const auto& e : entries) {
      if (!store.Has(e.digest))
        return Status::NotFound("index " + target.digest + " lists manifest " + e.digest +
                                (e.platform ? " (" + e.platform->ToString() + ")" : "") + ", which is not in the local store")
            .WithHint("an image pulled for one platform can only be pushed as that platform's manifest");
      ASSIGN_OR_RETURN(std::string child, store.Read(e.digest));
      if (IsIndexMediaType(e.media_type))
        return Status::Unimplemented("nested index " + e.digest + " in " + target.digest);
      oci::Descriptor cd = e;
      ASSIGN_OR_RETURN(cd.media_type, DetectManifestType(e.media_type, child, "manifest " + e.digest));
      RETURN_IF_ERROR(p.PushManifest(cd, child, /*by_digest=*/true));
    }
  } else {
    RETURN_IF_ERROR(p.PushManifest(top, bytes, /*by_digest=*/false));
  }
  std::vector<std::string> tags;
  if (!ref.tag.empty()) tags.push_back(ref.tag);
  for (const auto& t : extra_tags) {
    auto check = ParseReference(ref.Repository() + ":" + t);
    if (!check.ok()) return check.status();
    tags.push_back(t);
  }
  if (!ref.digest.empty() && ref.digest != target.digest)
    return Status::InvalidArgument("cannot push " + target.digest + " as " + ref.String() + ": the digests differ");
  if (tags.empty()) tags.push_back(target.digest);
  for (const auto& t : tags) {
    RETURN_IF_ERROR(p.repo.PutManifest(t, bytes, mt));
    client.Progress("pushed manifest " + p.repo.Name() + (t.rfind("sha256:", 0) == 0 ? "@" : ":") + t);
  }
  p.result.digest = target.digest;
  p.result.media_type = mt;
  p.result.size = static_cast<int64_t>(bytes.size());
  p.result.blobs_uploaded = p.uploaded;
  p.result.blobs_mounted = p.mounted;
  p.result.blobs_skipped = p.skipped;
  return p.result;
}

}  // namespace kiln::registry
