#include "cache/metadata.h"

#include <chrono>
#include <random>

#include "base/fs.h"
#include "cache/sqlite.h"

namespace kiln::cache {
namespace {

// Rows of (digest, media_type, size, diff_id), as both layer tables return them.
Result<std::vector<LayerRecord>> ReadLayerRows(SqlStmt& q) {
  std::vector<LayerRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3)});
  }
  return out;
}

// Schema version 1. Changes bump user_version and add a migration step below.
const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS images(
  name TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  annotations TEXT NOT NULL DEFAULT '{}',
  platform TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots(
  key TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  parent TEXT REFERENCES snapshots(key),
  kind TEXT NOT NULL CHECK(kind IN ('active','committed','view')),
  depth INTEGER NOT NULL,
  size INTEGER NOT NULL DEFAULT -1,
  flat_id TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  last_used INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent);
CREATE TABLE IF NOT EXISTS snapshot_layers(
  snapshot TEXT NOT NULL REFERENCES snapshots(key) ON DELETE CASCADE ON UPDATE CASCADE,
  media_type TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  PRIMARY KEY(snapshot, media_type));
CREATE TABLE IF NOT EXISTS cache_records(
  key TEXT PRIMARY KEY,
  snapshot TEXT REFERENCES snapshots(key) ON DELETE SET NULL ON UPDATE CASCADE,
  description TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  created INTEGER NOT NULL,
  last_used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cache_layers(
  cache_key TEXT NOT NULL REFERENCES cache_records(key) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  PRIMARY KEY(cache_key, idx));
CREATE TABLE IF NOT EXISTS leases(
  id TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lease_resources(
  lease TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK(kind IN ('content','snapshot')),
  ref TEXT NOT NULL,
  PRIMARY KEY(lease, kind, ref));
)sql";

// Schema version 2 (added to version 1 databases by Migrate).
const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS snapshot_origins(
  snapshot TEXT PRIMARY KEY REFERENCES snapshots(key) ON DELETE CASCADE ON UPDATE CASCADE,
  origin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lazy_blobs(
  digest TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  snapshot TEXT NOT NULL REFERENCES snapshots(key) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX IF NOT EXISTS lazy_blobs_snapshot ON lazy_blobs(snapshot);
CREATE TABLE IF NOT EXISTS compressed_layers(
  uncompressed TEXT NOT NULL,
  media_type TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  diff_id TEXT NOT NULL,
  PRIMARY KEY(uncompressed, media_type));
CREATE TABLE IF NOT EXISTS chain_snapshots(
  chain_id TEXT PRIMARY KEY,
  snapshot TEXT NOT NULL REFERENCES snapshots(key) ON DELETE CASCADE ON UPDATE CASCADE);
)sql";
constexpr int kSchemaVersion = 2;

SnapshotKind KindFromName(const std::string& s) {
  if (s == "committed") return SnapshotKind::kCommitted;
  if (s == "view") return SnapshotKind::kView;
  return SnapshotKind::kActive;
}

std::string RandomId() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 24; i++) s.push_back(kHex[rng() % 16]);
  return s;
}

const char* kSnapshotCols = "key, id, parent, kind, depth, size, flat_id, created, last_used";

SnapshotRecord SnapshotFromRow(const SqlStmt& q) {
  SnapshotRecord s;
  s.key = q.Text(0);
  s.id = q.Text(1);
  s.parent = q.IsNull(2) ? "" : q.Text(2);
  s.kind = KindFromName(q.Text(3));
  s.depth = static_cast<int>(q.Int(4));
  s.size = q.Int(5);
  s.flat_id = q.Text(6);
  s.created = q.Int(7);
  s.last_used = q.Int(8);
  return s;
}

ImageRecord ImageFromRow(const SqlStmt& q) {
  ImageRecord r;
  r.name = q.Text(0);
  r.target.media_type = q.Text(1);
  r.target.digest = q.Text(2);
  r.target.size = q.Int(3);
  auto ann = nlohmann::json::parse(q.Text(4), nullptr, false);
  if (ann.is_object())
    for (auto& [k, v] : ann.items())
      if (v.is_string()) r.target.annotations[k] = v.get<std::string>();
  auto plat = nlohmann::json::parse(q.Text(5), nullptr, false);
  if (plat.is_object())
    r.target.platform = oci::Platform{plat.value("os", ""), plat.value("architecture", ""), plat.value("variant", "")};
  r.created = q.Int(6);
  r.updated = q.Int(7);
  return r;
}

Status NotFound(const std::string& what, const std::string& name) {
  return Status::NotFound(what + " `" + name + "` not found");
}

}  // namespace

const char* SnapshotKindName(SnapshotKind k) {
  switch (k) {
    case SnapshotKind::kActive: return "active";
    case SnapshotKind::kCommitted: return "committed";
    case SnapshotKind::kView: return "view";
  }
  return "active";
}

int64_t MetadataStore::Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MetadataStore::MetadataStore(std::unique_ptr<SqlDb> db) : db_(std::move(db)) {}
MetadataStore::~MetadataStore() = default;

Result<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& root) {
  RETURN_IF_ERROR(MakeDirs(root));
  ASSIGN_OR_RETURN(auto db, SqlDb::Open(root + "/metadata.db"));
  std::unique_ptr<MetadataStore> m(new MetadataStore(std::move(db)));
  RETURN_IF_ERROR(m->Migrate());
  return m;
}

Status MetadataStore::Migrate() {
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto q, db_->Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(bool row, q.Step());
    int64_t version = row ? q.Int(0) : 0;
    if (version > kSchemaVersion)
      return Status::FailedPrecondition("metadata database " + db_->path() + " has schema version " +
                                        std::to_string(version) + ", newer than this kiln understands (" +
                                        std::to_string(kSchemaVersion) + ")")
          .WithHint("use a newer kiln or a different --root");
    if (version < 1) RETURN_IF_ERROR(db_->Exec(kSchemaV1));
    // kSchemaV2 only adds tables (CREATE ... IF NOT EXISTS): run it on every version-2
    // database too, so tables appended to it later reach databases made before.
    if (version <= 2) RETURN_IF_ERROR(db_->Exec(kSchemaV2));
    if (version < kSchemaVersion) RETURN_IF_ERROR(db_->Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion)));
    return Status::OK();
  });
}

// ---- images ----

Status MetadataStore::PutImage(const ImageRecord& image) {
  std::lock_guard lock(mu_);
  nlohmann::json ann = nlohmann::json::object();
  for (auto& [k, v] : image.target.annotations) ann[k] = v;
  int64_t now = Now();
  ASSIGN_OR_RETURN(auto q, db_->Prepare(
      "INSERT INTO images(name, media_type, digest, size, annotations, platform, created, updated) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(name) DO UPDATE SET media_type=excluded.media_type, "
      "digest=excluded.digest, size=excluded.size, annotations=excluded.annotations, "
      "platform=excluded.platform, updated=excluded.updated"));
  q.Bind(1, image.name).Bind(2, image.target.media_type).Bind(3, image.target.digest).Bind(4, image.target.size);
  std::string plat;  // stored as given (ParsePlatform would normalize arm64/v8)
  if (image.target.platform)
    plat = nlohmann::json{{"os", image.target.platform->os}, {"architecture", image.target.platform->architecture},
                          {"variant", image.target.platform->variant}}.dump();
  q.Bind(5, ann.dump()).Bind(6, plat);
  q.Bind(7, image.created ? image.created : now).Bind(8, image.updated ? image.updated : now);
  return q.Run();
}

Result<ImageRecord> MetadataStore::GetImage(const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT name, media_type, digest, size, annotations, platform, created, "
                                        "updated FROM images WHERE name=?1"));
  q.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("image", name);
  return ImageFromRow(q);
}

Result<std::vector<ImageRecord>> MetadataStore::ListImages() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT name, media_type, digest, size, annotations, platform, created, "
                                        "updated FROM images ORDER BY name"));
  std::vector<ImageRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ImageFromRow(q));
  }
  return out;
}

Status MetadataStore::DeleteImage(const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM images WHERE name=?1 RETURNING name"));
  q.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("image", name);
  return q.Run();
}

// ---- snapshots ----

Status MetadataStore::InsertSnapshot(const SnapshotRecord& s) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto check, db_->Prepare("SELECT 1 FROM snapshots WHERE key=?1"));
    check.Bind(1, s.key);
    ASSIGN_OR_RETURN(bool exists, check.Step());
    if (exists) return Status::AlreadyExists("snapshot `" + s.key + "` already exists");
    ASSIGN_OR_RETURN(auto q, db_->Prepare(std::string("INSERT INTO snapshots(") + kSnapshotCols +
                                          ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    int64_t now = Now();
    q.Bind(1, s.key).Bind(2, s.id);
    if (s.parent.empty()) q.BindNull(3); else q.Bind(3, s.parent);
    q.Bind(4, std::string(SnapshotKindName(s.kind))).Bind(5, int64_t{s.depth}).Bind(6, s.size).Bind(7, s.flat_id);
    q.Bind(8, s.created ? s.created : now).Bind(9, s.last_used ? s.last_used : now);
    return q.Run();
  });
}

Result<SnapshotRecord> MetadataStore::GetSnapshot(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare(std::string("SELECT ") + kSnapshotCols + " FROM snapshots WHERE key=?1"));
  q.Bind(1, key);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("snapshot", key);
  return SnapshotFromRow(q);
}

Result<std::vector<SnapshotRecord>> MetadataStore::ListSnapshots() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare(std::string("SELECT ") + kSnapshotCols + " FROM snapshots ORDER BY key"));
  std::vector<SnapshotRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(SnapshotFromRow(q));
  }
  return out;
}

Status MetadataStore::CommitSnapshot(const std::string& key, const std::string& name, int64_t size) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto get, db_->Prepare("SELECT kind FROM snapshots WHERE key=?1"));
    get.Bind(1, key);
    ASSIGN_OR_RETURN(bool row, get.Step());
    if (!row) return NotFound("snapshot", key);
    if (get.Text(0) != "active")
      return Status::FailedPrecondition("snapshot `" + key + "` is " + get.Text(0) + ", not active: cannot commit it");
    if (name != key) {
      ASSIGN_OR_RETURN(auto check, db_->Prepare("SELECT 1 FROM snapshots WHERE key=?1"));
      check.Bind(1, name);
      ASSIGN_OR_RETURN(bool exists, check.Step());
      if (exists) return Status::AlreadyExists("snapshot `" + name + "` already exists");
    }
    ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE snapshots SET key=?2, kind='committed', size=?3, last_used=?4 "
                                          "WHERE key=?1"));
    q.Bind(1, key).Bind(2, name).Bind(3, size).Bind(4, Now());
    return q.Run();
  });
}

Status MetadataStore::SetSnapshotFlat(const std::string& key, const std::string& flat_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE snapshots SET flat_id=?2 WHERE key=?1"));
  q.Bind(1, key).Bind(2, flat_id);
  return q.Run();
}

Status MetadataStore::SetSnapshotSize(const std::string& key, int64_t size) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE snapshots SET size=?2 WHERE key=?1"));
  q.Bind(1, key).Bind(2, size);
  return q.Run();
}

Status MetadataStore::TouchSnapshot(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE snapshots SET last_used=?2 WHERE key=?1"));
  q.Bind(1, key).Bind(2, Now());
  return q.Run();
}

Result<std::vector<std::string>> MetadataStore::SnapshotChildren(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT key FROM snapshots WHERE parent=?1 ORDER BY key"));
  q.Bind(1, key);
  return q.Texts(0);
}

Status MetadataStore::DeleteSnapshot(const std::string& key) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto kids, SnapshotChildren(key));
    if (!kids.empty())
      return Status::FailedPrecondition("snapshot `" + key + "` is the parent of `" + kids[0] + "`" +
                                        (kids.size() > 1 ? " and " + std::to_string(kids.size() - 1) + " more" : ""));
    ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM snapshots WHERE key=?1 RETURNING key"));
    q.Bind(1, key);
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return NotFound("snapshot", key);
    return q.Run();
  });
}

Status MetadataStore::PutSnapshotLayer(const std::string& snapshot, const LayerRecord& l) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO snapshot_layers(snapshot, media_type, digest, size, "
                                        "diff_id) VALUES(?1, ?2, ?3, ?4, ?5)"));
  q.Bind(1, snapshot).Bind(2, l.media_type).Bind(3, l.digest).Bind(4, l.size).Bind(5, l.diff_id);
  return q.Run();
}

Result<std::vector<LayerRecord>> MetadataStore::SnapshotLayers(const std::string& snapshot) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT digest, media_type, size, diff_id FROM snapshot_layers "
                                        "WHERE snapshot=?1 ORDER BY media_type"));
  q.Bind(1, snapshot);
  return ReadLayerRows(q);
}

Status MetadataStore::PutSnapshotOrigin(const std::string& snapshot, const std::string& origin) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO snapshot_origins(snapshot, origin) VALUES(?1, ?2)"));
  q.Bind(1, snapshot).Bind(2, origin);
  return q.Run();
}

Status MetadataStore::PutChainSnapshot(const std::string& chain_id, const std::string& snapshot) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO chain_snapshots(chain_id, snapshot) VALUES(?1, ?2)"));
  q.Bind(1, chain_id).Bind(2, snapshot);
  return q.Run();
}

Result<std::string> MetadataStore::ChainSnapshot(const std::string& chain_id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT snapshot FROM chain_snapshots WHERE chain_id=?1"));
  q.Bind(1, chain_id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("chain", chain_id);
  return q.Text(0);
}

Result<std::string> MetadataStore::SnapshotOrigin(const std::string& snapshot) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT origin FROM snapshot_origins WHERE snapshot=?1"));
  q.Bind(1, snapshot);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("snapshot origin", snapshot);
  return q.Text(0);
}

// ---- lazy blobs ----

Status MetadataStore::PutLazyBlob(const LazyBlob& b) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO lazy_blobs(digest, media_type, size, diff_id, "
                                        "snapshot) VALUES(?1, ?2, ?3, ?4, ?5)"));
  q.Bind(1, b.digest).Bind(2, b.media_type).Bind(3, b.size).Bind(4, b.diff_id).Bind(5, b.snapshot);
  Status st = q.Run();
  if (st.code() == Code::kFailedPrecondition)
    return st.WithContext("lazy blob " + b.digest + " names snapshot `" + b.snapshot + "` which does not exist");
  return st;
}

Result<LazyBlob> MetadataStore::GetLazyBlob(const std::string& digest) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT digest, media_type, size, diff_id, snapshot FROM lazy_blobs "
                                        "WHERE digest=?1"));
  q.Bind(1, digest);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("lazy blob", digest);
  return LazyBlob{q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4)};
}

Result<std::vector<LazyBlob>> MetadataStore::ListLazyBlobs() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT digest, media_type, size, diff_id, snapshot FROM lazy_blobs "
                                        "ORDER BY digest"));
  std::vector<LazyBlob> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Text(4)});
  }
  return out;
}

Status MetadataStore::DeleteLazyBlob(const std::string& digest) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM lazy_blobs WHERE digest=?1"));
  q.Bind(1, digest);
  return q.Run();
}

Status MetadataStore::PutCompressedLayer(const std::string& uncompressed, const LayerRecord& c) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR REPLACE INTO compressed_layers(uncompressed, media_type, digest, "
                                        "size, diff_id) VALUES(?1, ?2, ?3, ?4, ?5)"));
  q.Bind(1, uncompressed).Bind(2, c.media_type).Bind(3, c.digest).Bind(4, c.size).Bind(5, c.diff_id);
  return q.Run();
}

Result<LayerRecord> MetadataStore::GetCompressedLayer(const std::string& uncompressed, const std::string& media_type) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT digest, media_type, size, diff_id FROM compressed_layers "
                                        "WHERE uncompressed=?1 AND media_type=?2"));
  q.Bind(1, uncompressed).Bind(2, media_type);
  ASSIGN_OR_RETURN(auto rows, ReadLayerRows(q));
  if (rows.empty()) return NotFound("compressed layer of", uncompressed);
  return rows[0];
}

// ---- cache records ----

Status MetadataStore::PutCacheRecord(const CacheRecord& r) {
  std::lock_guard lock(mu_);
  return db_->Transaction([&]() -> Status {
    int64_t now = Now();
    ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM cache_records WHERE key=?1"));
    del.Bind(1, r.key);
    RETURN_IF_ERROR(del.Run());
    ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT INTO cache_records(key, snapshot, description, metadata, created, "
                                          "last_used) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    q.Bind(1, r.key);
    if (r.snapshot.empty()) q.BindNull(2); else q.Bind(2, r.snapshot);
    q.Bind(3, r.description).Bind(4, r.metadata.empty() ? std::string("{}") : r.metadata);
    q.Bind(5, r.created ? r.created : now).Bind(6, r.last_used ? r.last_used : now);
    Status st = q.Run();
    if (st.code() == Code::kFailedPrecondition)
      return st.WithContext("cache record `" + r.key + "` names snapshot `" + r.snapshot + "` which does not exist");
    RETURN_IF_ERROR(st);
    for (size_t i = 0; i < r.layers.size(); i++) {
      const LayerRecord& l = r.layers[i];
      ASSIGN_OR_RETURN(auto ql, db_->Prepare("INSERT INTO cache_layers(cache_key, idx, digest, media_type, size, "
                                             "diff_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
      ql.Bind(1, r.key).Bind(2, static_cast<int64_t>(i)).Bind(3, l.digest).Bind(4, l.media_type).Bind(5, l.size);
      ql.Bind(6, l.diff_id);
      RETURN_IF_ERROR(ql.Run());
    }
    return Status::OK();
  });
}

Result<std::vector<LayerRecord>> MetadataStore::CacheLayers(const std::string& key) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT digest, media_type, size, diff_id FROM cache_layers "
                                        "WHERE cache_key=?1 ORDER BY idx"));
  q.Bind(1, key);
  return ReadLayerRows(q);
}

Result<CacheRecord> MetadataStore::GetCacheRecord(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT key, snapshot, description, metadata, created, last_used "
                                        "FROM cache_records WHERE key=?1"));
  q.Bind(1, key);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("cache record", key);
  CacheRecord r{q.Text(0), q.IsNull(1) ? "" : q.Text(1), {}, q.Text(2), q.Text(3), q.Int(4), q.Int(5)};
  ASSIGN_OR_RETURN(r.layers, CacheLayers(key));
  return r;
}

Status MetadataStore::TouchCacheRecord(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE cache_records SET last_used=?2 WHERE key=?1"));
  q.Bind(1, key).Bind(2, Now());
  return q.Run();
}

Result<std::vector<CacheRecord>> MetadataStore::ListCacheRecords() {
  std::lock_guard lock(mu_);
  std::vector<CacheRecord> out;
  {
    ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT key, snapshot, description, metadata, created, last_used "
                                          "FROM cache_records ORDER BY last_used, key"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      out.push_back({q.Text(0), q.IsNull(1) ? "" : q.Text(1), {}, q.Text(2), q.Text(3), q.Int(4), q.Int(5)});
    }
  }
  for (auto& r : out) {
    ASSIGN_OR_RETURN(r.layers, CacheLayers(r.key));
  }
  return out;
}

Status MetadataStore::DeleteCacheRecord(const std::string& key) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM cache_records WHERE key=?1"));
  q.Bind(1, key);
  return q.Run();
}

// ---- leases ----

Result<Lease> MetadataStore::CreateLease(int64_t ttl_seconds) {
  std::lock_guard lock(mu_);
  Lease l{RandomId(), Now(), Now() + ttl_seconds};
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT INTO leases(id, created, expires) VALUES(?1, ?2, ?3)"));
  q.Bind(1, l.id).Bind(2, l.created).Bind(3, l.expires);
  RETURN_IF_ERROR(q.Run());
  return l;
}

Status MetadataStore::AddLeaseResource(const std::string& lease, const std::string& kind, const std::string& ref) {
  std::lock_guard lock(mu_);
  if (kind != "content" && kind != "snapshot")
    return Status::InvalidArgument("lease resource kind `" + kind + "`: expected content or snapshot");
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT OR IGNORE INTO lease_resources(lease, kind, ref) VALUES(?1, ?2, ?3)"));
  q.Bind(1, lease).Bind(2, kind).Bind(3, ref);
  Status st = q.Run();
  if (st.code() == Code::kFailedPrecondition) return NotFound("lease", lease);
  return st;
}

Status MetadataStore::DeleteLease(const std::string& lease) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM leases WHERE id=?1"));
  q.Bind(1, lease);
  return q.Run();
}

Result<std::vector<Lease>> MetadataStore::ActiveLeases() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT id, created, expires FROM leases WHERE expires > ?1 ORDER BY created"));
  q.Bind(1, Now());
  std::vector<Lease> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Int(1), q.Int(2)});
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> MetadataStore::LeasedResources() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT r.kind, r.ref FROM lease_resources r JOIN leases l ON r.lease=l.id "
                                        "WHERE l.expires > ?1"));
  q.Bind(1, Now());
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.emplace_back(q.Text(0), q.Text(1));
  }
  return out;
}

Status MetadataStore::ExpireLeases() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto q, db_->Prepare("DELETE FROM leases WHERE expires <= ?1"));
  q.Bind(1, Now());
  return q.Run();
}

}  // namespace kiln::cache
