#include "cache/lazy_content.h"

#include "cache/layer_compress.h"
#include "cache/layer_hash.h"
#include "cache/layer_writer.h"

namespace kiln::cache {

Status MaterializeLazyBlob(const LazyBlob& b, Snapshotter& sn, ContentStore& store) {
  auto changes = SnapshotChanges(sn, b.snapshot);
  if (!changes.ok())
    return changes.status().WithContext("regenerate layer " + b.digest + " from snapshot `" + b.snapshot + "`");
  ASSIGN_OR_RETURN(auto w, store.NewWriter());
  LayerOptions opts;
  opts.compression = Compression::kUncompressed;
  RETURN_IF_ERROR(WriteLayerTar(*changes, opts, [&](const void* p, size_t n) { return w->Write(p, n); }));
  auto committed = w->Commit(b.digest, b.size);
  if (!committed.ok())
    return committed.status().WithContext("layer " + b.digest + " regenerated from snapshot `" + b.snapshot +
                                          "` does not match its recorded digest and size");
  return Status::OK();
}

LazyContentStore::LazyContentStore(std::unique_ptr<ContentStore> real, MetadataStore* md, SnapshotterFn snapshotter)
    : real_(std::move(real)), md_(md), snapshotter_fn_(std::move(snapshotter)) {}

bool LazyContentStore::IsLazy(const std::string& digest) {
  return !real_->Has(digest) && md_ && md_->GetLazyBlob(digest).ok();
}

bool LazyContentStore::Has(const std::string& digest) {
  if (real_->Has(digest)) return true;
  return md_ && md_->GetLazyBlob(digest).ok();
}

Result<int64_t> LazyContentStore::Size(const std::string& digest) {
  if (real_->Has(digest) || !md_) return real_->Size(digest);
  auto b = md_->GetLazyBlob(digest);
  if (!b.ok()) return real_->Size(digest);
  return b->size;
}

Status LazyContentStore::Materialize(const std::string& digest) {
  std::lock_guard l(mu_);
  if (real_->Has(digest)) return Status::OK();
  if (!md_) return Status::NotFound("blob " + digest + " is not lazy");
  ASSIGN_OR_RETURN(LazyBlob b, md_->GetLazyBlob(digest));
  if (!snapshotter_fn_) return Status::FailedPrecondition("lazy blob " + digest + ": no snapshotter to regenerate it");
  ASSIGN_OR_RETURN(Snapshotter * sn, snapshotter_fn_());
  return MaterializeLazyBlob(b, *sn, *real_);
}

Result<std::string> LazyContentStore::Path(const std::string& digest) {
  if (!real_->Has(digest) && IsLazy(digest)) RETURN_IF_ERROR(Materialize(digest));
  return real_->Path(digest);
}

Result<std::string> LazyContentStore::Read(const std::string& digest, bool verify) {
  if (!real_->Has(digest) && IsLazy(digest)) RETURN_IF_ERROR(Materialize(digest));
  return real_->Read(digest, verify);
}

Status LazyContentStore::Verify(const std::string& digest) {
  if (!real_->Has(digest) && IsLazy(digest)) RETURN_IF_ERROR(Materialize(digest));
  return real_->Verify(digest);
}

}  // namespace kiln::cache
