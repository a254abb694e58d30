// kiln's metadata database: named images, snapshot records, solver cache records
// and leases, in SQLite (WAL mode, synchronous=NORMAL) at ROOT/metadata.db.
// The schema is documented in docs/storage.md. Several processes may open the
// same database; every public call is atomic (one transaction).
// Times are seconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/oci.h"
#include "base/status.h"

namespace kiln::cache {

class SqlDb;

// A named image: `name` (a normalized reference such as docker.io/library/x:tag)
// points at a manifest or index blob in the content store.
struct ImageRecord {
  std::string name;
  oci::Descriptor target;
  int64_t created = 0;
  int64_t updated = 0;
};

enum class SnapshotKind { kActive, kCommitted, kView };
const char* SnapshotKindName(SnapshotKind k);

// One snapshot. `id` names its directory under ROOT/snapshots/ (stable across commit,
// which only renames `key`). `flat_id`, when set, names a directory holding the
// merged contents of this snapshot and all its ancestors (used to cut deep chains).
struct SnapshotRecord {
  std::string key;
  std::string id;
  std::string parent;  // key of the committed parent, "" for none
  SnapshotKind kind = SnapshotKind::kActive;
  int depth = 0;       // 1 + parent's depth; a base snapshot has depth 1
  int64_t size = -1;   // bytes of this snapshot's own layer dir, -1 = unknown
  std::string flat_id;
  int64_t created = 0;
  int64_t last_used = 0;
};

// One exported layer blob: what an image manifest or a cache export refers to.
struct LayerRecord {
  std::string digest;      // compressed blob digest in the content store
  std::string media_type;  // e.g. application/vnd.oci.image.layer.v1.tar+zstd
  int64_t size = 0;        // compressed size
  std::string diff_id;     // digest of the uncompressed tar
  bool operator==(const LayerRecord&) const = default;
};

// A layer blob that is not stored but can be regenerated: the uncompressed tar of
// committed snapshot `snapshot`'s own diff, whose sha256 is `digest` (= diff_id) and
// length `size`. LazyContentStore (cache/lazy_content.h) materializes it on first read.
struct LazyBlob {
  std::string digest;
  std::string media_type;
  int64_t size = 0;
  std::string diff_id;
  std::string snapshot;
  bool operator==(const LazyBlob&) const = default;
};

// A solver cache record: cache key -> result. `snapshot` is the committed
// snapshot holding the result ("" when only the layers are present, e.g. after a
// cache import); `layers` is the full layer chain (base first) when exported.
// `metadata` is free-form JSON owned by the solver (e.g. a source's resolved config).
struct CacheRecord {
  std::string key;
  std::string snapshot;
  std::vector<LayerRecord> layers;
  std::string description;  // human readable, shown by `kiln du`
  std::string metadata = "{}";
  int64_t created = 0;
  int64_t last_used = 0;
};

// A lease protects content and snapshots while a build runs: everything it names,
// plus every blob and snapshot created after the lease began, is kept by GC until
// the lease is deleted or expires.
struct Lease {
  std::string id;
  int64_t created = 0;
  int64_t expires = 0;
};

class MetadataStore {
 public:
  // Opens (creating and migrating) ROOT/metadata.db.
  static Result<std::unique_ptr<MetadataStore>> Open(const std::string& root);
  ~MetadataStore();

  // Images.
  Status PutImage(const ImageRecord& image);  // insert or replace; keeps `created` of an existing name
  Result<ImageRecord> GetImage(const std::string& name);
  Result<std::vector<ImageRecord>> ListImages();
  Status DeleteImage(const std::string& name);  // NotFound if absent

  // Snapshots (used by the snapshotter; others read them).
  Status InsertSnapshot(const SnapshotRecord& s);  // AlreadyExists if the key is taken
  Result<SnapshotRecord> GetSnapshot(const std::string& key);
  Result<std::vector<SnapshotRecord>> ListSnapshots();
  // Renames active `key` to committed `name` with its final size.
  Status CommitSnapshot(const std::string& key, const std::string& name, int64_t size);
  Status SetSnapshotFlat(const std::string& key, const std::string& flat_id);
  // Records the size of a committed snapshot measured after its commit.
  Status SetSnapshotSize(const std::string& key, int64_t size);
  Status TouchSnapshot(const std::string& key);
  // FailedPrecondition if other snapshots name it as parent.
  Status DeleteSnapshot(const std::string& key);
  Result<std::vector<std::string>> SnapshotChildren(const std::string& key);

  // Layers exported from a snapshot's own diff, one per media type.
  Status PutSnapshotLayer(const std::string& snapshot, const LayerRecord& layer);
  Result<std::vector<LayerRecord>> SnapshotLayers(const std::string& snapshot);

  // Where a snapshot was derived from: committed snapshot `snapshot` was made by
  // cloning `origin` (same parent) and changing part of it, so files it shares with
  // `origin` are hard links to origin's files (an incremental COPY). Layer writers
  // use it to reuse the work done for origin's layer. NotFound when not recorded.
  // The origin may since have been deleted.
  Status PutSnapshotOrigin(const std::string& snapshot, const std::string& origin);
  Result<std::string> SnapshotOrigin(const std::string& snapshot);

  // A committed snapshot whose view is exactly the layer chain with OCI ChainID
  // `chain_id` (recorded when a build result is exported, so building FROM that
  // image uses the snapshot instead of unpacking its layers). NotFound if none;
  // the row goes with the snapshot.
  Status PutChainSnapshot(const std::string& chain_id, const std::string& snapshot);
  Result<std::string> ChainSnapshot(const std::string& chain_id);

  // Lazy layer blobs (one row per digest; the row goes with its snapshot).
  Status PutLazyBlob(const LazyBlob& b);  // insert or replace
  Result<LazyBlob> GetLazyBlob(const std::string& digest);  // NotFound if absent
  Result<std::vector<LazyBlob>> ListLazyBlobs();
  Status DeleteLazyBlob(const std::string& digest);

  // The compressed twin of an uncompressed layer blob (made for a push, reused by the
  // next one): `uncompressed` digest -> blob `compressed` (digest, media type, size, diff_id).
  Status PutCompressedLayer(const std::string& uncompressed, const LayerRecord& compressed);
  // The recorded twin in `media_type`; NotFound if none.
  Result<LayerRecord> GetCompressedLayer(const std::string& uncompressed, const std::string& media_type);

  // Cache records.
  Status PutCacheRecord(const CacheRecord& r);  // insert or replace
  Result<CacheRecord> GetCacheRecord(const std::string& key);  // NotFound if absent
  Status TouchCacheRecord(const std::string& key);
  Result<std::vector<CacheRecord>> ListCacheRecords();
  Status DeleteCacheRecord(const std::string& key);

  // Leases.
  Result<Lease> CreateLease(int64_t ttl_seconds = 24 * 3600);
  // kind: "content" (a digest) or "snapshot" (a key).
  Status AddLeaseResource(const std::string& lease, const std::string& kind, const std::string& ref);
  Status DeleteLease(const std::string& lease);
  // Unexpired leases.
  Result<std::vector<Lease>> ActiveLeases();
  // (kind, ref) of every resource of an unexpired lease.
  Result<std::vector<std::pair<std::string, std::string>>> LeasedResources();
  // Removes expired leases.
  Status ExpireLeases();

  // Current time used for records (overridable for tests).
  static int64_t Now();

 private:
  explicit MetadataStore(std::unique_ptr<SqlDb> db);
  Status Migrate();
  Result<std::vector<LayerRecord>> CacheLayers(const std::string& key);
  std::unique_ptr<SqlDb> db_;
  std::recursive_mutex mu_;
};

}  // namespace kiln::cache
