#include "cache/snapshotter.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "base/fs.h"
#include "base/log.h"
#include "cache/metadata.h"
#include "cache/tree_merge.h"

namespace kiln::cache {

std::string MountSpec::OverlayOptions() const {
  std::string o = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); i++) o += (i ? ":" : "") + lowers[i];
  if (!upper.empty()) o += ",upperdir=" + upper + ",workdir=" + work;
  return o;
}

namespace {

std::string NewId() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 24; i++) s.push_back(kHex[rng() % 16]);
  return s;
}

// Mounts an overlay of two lowers and an upper under `dir` and checks that it
// merges and copies up. Returns why not when it does not work.
Status ProbeOverlay(const std::string& dir) {
  std::string p = dir + "/probe-" + NewId();
  for (const char* sub : {"/l1", "/l2", "/u", "/w", "/m"}) RETURN_IF_ERROR(MakeDirs(p + sub));
  RETURN_IF_ERROR(WriteFileAtomic(p + "/l2/f", "x"));
  MountSpec spec;
  spec.type = "overlay";
  spec.lowers = {p + "/l1", p + "/l2"};
  spec.upper = p + "/u";
  spec.work = p + "/w";
  Status st;
  if (mount("overlay", (p + "/m").c_str(), "overlay", 0, spec.OverlayOptions().c_str()) != 0) {
    st = Status::FromErrno(errno, "mount overlay on", p + "/m");
  } else {
    if (!PathExists(p + "/m/f")) st = Status::Internal("overlay probe: lower file not visible");
    if (st.ok()) st = WriteFileAtomic(p + "/m/g", "y");
    umount2((p + "/m").c_str(), MNT_DETACH);
    if (st.ok() && !PathExists(p + "/u/g")) st = Status::Internal("overlay probe: write did not reach upper");
  }
  (void)RemoveAll(p);
  return st;
}

class LocalSnapshotter : public Snapshotter {
 public:
  LocalSnapshotter(std::string dir, std::unique_ptr<MetadataStore> md, bool overlay, SnapshotterOptions opts)
      : dir_(std::move(dir)), md_(std::move(md)), overlay_(overlay), opts_(std::move(opts)) {}

  std::string Kind() const override { return overlay_ ? "overlayfs" : "copy"; }

  Result<MountSpec> Prepare(const std::string& key, const std::string& parent) override {
    if (key.empty()) return Status::InvalidArgument("snapshot key must not be empty");
    SnapshotRecord rec{key, NewId(), parent, SnapshotKind::kActive, 1};
    if (!parent.empty()) {
      ASSIGN_OR_RETURN(SnapshotRecord p, Committed(parent));
      rec.depth = p.depth + 1;
    }
    RETURN_IF_ERROR(MakeDirs(Fs(rec.id)));
    if (overlay_) RETURN_IF_ERROR(MakeDirs(Work(rec.id)));
    Status st = md_->InsertSnapshot(rec);
    if (st.ok() && !overlay_ && !parent.empty()) {
      ASSIGN_OR_RETURN(SnapshotRecord p, md_->GetSnapshot(parent));
      st = MergeTree(Fs(p.id), Fs(rec.id), false).WithContext("copy snapshot `" + parent + "`");
      if (!st.ok()) (void)md_->DeleteSnapshot(key);
    }
    if (!st.ok()) {
      (void)RemoveAll(dir_ + "/" + rec.id);
      return st;
    }
    return Mounts(key);
  }

  Result<MountSpec> Mounts(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    if (rec.kind != SnapshotKind::kActive)
      return Status::FailedPrecondition("snapshot `" + key + "` is committed: use View to mount it read-only");
    MountSpec m;
    if (!overlay_ || rec.parent.empty()) {
      m.type = "bind";
      m.dir = Fs(rec.id);
      return m;
    }
    m.type = "overlay";
    ASSIGN_OR_RETURN(m.lowers, Lowers(rec.parent));
    m.upper = Fs(rec.id);
    m.work = Work(rec.id);
    return m;
  }

  Result<MountSpec> View(const std::string& parent) override {
    MountSpec m;
    m.readonly = true;
    if (parent.empty()) {
      RETURN_IF_ERROR(MakeDirs(dir_ + "/empty"));
      m.type = "bind";
      m.dir = dir_ + "/empty";
      return m;
    }
    ASSIGN_OR_RETURN(SnapshotRecord p, Committed(parent));
    (void)md_->TouchSnapshot(parent);
    if (!overlay_) {
      m.type = "bind";
      m.dir = Fs(p.id);
      return m;
    }
    ASSIGN_OR_RETURN(auto lowers, Lowers(parent));
    if (lowers.size() == 1) {  // overlay needs two lowers when there is no upper
      m.type = "bind";
      m.dir = lowers[0];
      return m;
    }
    m.type = "overlay";
    m.lowers = std::move(lowers);
    return m;
  }

  Status Commit(const std::string& name, const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    if (rec.kind != SnapshotKind::kActive)
      return Status::FailedPrecondition("snapshot `" + key + "` is already committed");
    if (overlay_) RETURN_IF_ERROR(RemoveAll(Work(rec.id)));
    // The size stays unknown (-1) until Usage() first needs it (and records
    // it): walking a big tree here would cost every step of every build.
    return md_->CommitSnapshot(key, name, -1);
  }

  Status Remove(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    RETURN_IF_ERROR(md_->DeleteSnapshot(key));
    RETURN_IF_ERROR(RemoveAll(dir_ + "/" + rec.id));
    if (!rec.flat_id.empty()) RETURN_IF_ERROR(RemoveAll(dir_ + "/" + rec.flat_id));
    return Status::OK();
  }

  Result<SnapshotInfo> Stat(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    return SnapshotInfo{rec.key, rec.parent, rec.kind == SnapshotKind::kCommitted};
  }

  Result<std::string> LayerDir(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    return Fs(rec.id);
  }

  Result<DiffInput> DiffInputs(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    DiffInput in;
    in.upper = Fs(rec.id);
    in.overlay_upper = overlay_;
    if (!overlay_ && !rec.parent.empty()) {
      ASSIGN_OR_RETURN(SnapshotRecord p, md_->GetSnapshot(rec.parent));
      in.lower = Fs(p.id);
    }
    return in;
  }

  Result<std::vector<SnapshotInfo>> List() override {
    ASSIGN_OR_RETURN(auto recs, md_->ListSnapshots());
    std::vector<SnapshotInfo> out;
    for (auto& r : recs) out.push_back({r.key, r.parent, r.kind == SnapshotKind::kCommitted});
    return out;
  }

  Result<int64_t> Usage(const std::string& key) override {
    ASSIGN_OR_RETURN(SnapshotRecord rec, md_->GetSnapshot(key));
    int64_t total = rec.size;
    if (total < 0) {  // measured once, on first need (commit leaves it unknown)
      ASSIGN_OR_RETURN(total, TreeSize(Fs(rec.id)));
      if (rec.kind == SnapshotKind::kCommitted) (void)md_->SetSnapshotSize(key, total);
    }
    if (!rec.flat_id.empty()) {
      auto flat = TreeSize(dir_ + "/" + rec.flat_id + "/fs");
      if (flat.ok()) total += *flat;
    }
    return total;
  }

 private:
  std::string Fs(const std::string& id) const { return dir_ + "/" + id + "/fs"; }
  std::string Work(const std::string& id) const { return dir_ + "/" + id + "/work"; }

  Result<SnapshotRecord> Committed(const std::string& key) {
    auto rec = md_->GetSnapshot(key);
    if (!rec.ok()) return rec.status().WithContext("parent snapshot");
    if (rec->kind != SnapshotKind::kCommitted)
      return Status::FailedPrecondition("snapshot `" + key + "` is not committed: commit it before using it as a parent");
    return rec;
  }

  // Records from `key` down to (and including) the first flattened one, top first.
  Result<std::vector<SnapshotRecord>> Chain(const std::string& key) {
    std::vector<SnapshotRecord> chain;
    for (std::string cur = key; !cur.empty();) {
      ASSIGN_OR_RETURN(SnapshotRecord r, md_->GetSnapshot(cur));
      cur = r.flat_id.empty() ? r.parent : "";
      chain.push_back(std::move(r));
    }
    return chain;
  }

  std::vector<std::string> ChainDirs(const std::vector<SnapshotRecord>& chain) const {
    std::vector<std::string> dirs;
    for (size_t i = 0; i < chain.size(); i++) {
      bool flat_bottom = !chain[i].flat_id.empty();
      dirs.push_back(flat_bottom ? Fs(chain[i].flat_id) : Fs(chain[i].id));
    }
    return dirs;
  }

  // Overlay lowerdirs for committed `key`, flattening when the option would be too long.
  Result<std::vector<std::string>> Lowers(const std::string& key) {
    ASSIGN_OR_RETURN(auto chain, Chain(key));
    auto dirs = ChainDirs(chain);
    size_t bytes = 0;
    for (auto& d : dirs) bytes += d.size() + 1;
    if (bytes + 200 <= opts_.max_lowerdir_bytes && dirs.size() < 400) return dirs;
    ASSIGN_OR_RETURN(std::string flat, Flatten(chain));
    return std::vector<std::string>{flat};
  }

  // Merges the chain (top first, bottom possibly flattened) into a new directory
  // recorded as the top snapshot's flat copy.
  Result<std::string> Flatten(const std::vector<SnapshotRecord>& chain) {
    std::string id = NewId();
    std::string dst = Fs(id);
    RETURN_IF_ERROR(MakeDirs(dst));
    spdlog::info("snapshotter: flattening {} layers of snapshot `{}` into {}", chain.size(), chain[0].key, dst);
    Status st;
    for (size_t i = chain.size(); i-- > 0 && st.ok();) {
      if (!chain[i].flat_id.empty()) st = MergeTree(Fs(chain[i].flat_id), dst, false);
      else st = MergeTree(Fs(chain[i].id), dst, true);
    }
    if (st.ok()) st = md_->SetSnapshotFlat(chain[0].key, id);
    if (!st.ok()) {
      (void)RemoveAll(dir_ + "/" + id);
      return st.WithContext("flatten snapshot `" + chain[0].key + "`");
    }
    return dst;
  }

  std::string dir_;
  std::unique_ptr<MetadataStore> md_;
  bool overlay_;
  SnapshotterOptions opts_;
};

}  // namespace

Result<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& root, const SnapshotterOptions& options) {
  std::string dir = root + "/snapshots";
  RETURN_IF_ERROR(MakeDirs(dir));
  ASSIGN_OR_RETURN(auto md, MetadataStore::Open(root));
  std::string kind = options.kind;
  if (kind.empty()) {
    const char* env = getenv("KILN_SNAPSHOTTER");
    if (env && *env) kind = env;
  }
  if (!kind.empty() && kind != "overlayfs" && kind != "copy")
    return Status::InvalidArgument("unknown snapshotter `" + kind + "`: expected overlayfs or copy");
  bool overlay = kind == "overlayfs";
  if (kind.empty()) {
    Status probe = ProbeOverlay(dir);
    overlay = probe.ok();
    if (overlay) spdlog::debug("snapshotter: overlayfs works under {}", dir);
    else spdlog::info("snapshotter: overlayfs unavailable under {} ({}); using the copy snapshotter", dir, probe.ToString());
  }
  return std::unique_ptr<Snapshotter>(std::make_unique<LocalSnapshotter>(dir, std::move(md), overlay, options));
}

Result<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& root) {
  return OpenSnapshotter(root, SnapshotterOptions{});
}

}  // namespace kiln::cache
