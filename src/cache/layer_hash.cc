#include "cache/layer_hash.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "base/digest.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/oci.h"
#include "cache/layer_compress.h"
#include "cache/layer_writer.h"

namespace kiln::cache {
namespace {

// Version 2: whiteouts 0600, security.capability only (the tar bytes changed, so
// midstates of version 1 must not be resumed).
constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'L', 'I', 'X', '2'};
constexpr char kTrailer[8] = {'K', 'I', 'L', 'N', 'L', 'I', 'X', 'E'};
constexpr size_t kFpSize = 16;
constexpr uint64_t kCheckpointEvery = 2 << 20;
// Below this many entries (and 8 MiB of data to hash) a layer is fingerprinted and
// hashed on the calling thread: a second thread would cost more than it saves.
constexpr size_t kThreadedEntries = 4096;

struct Checkpoint {
  uint64_t entry = 0;
  uint64_t offset = 0;
  std::string state;  // ResumableSha256::kStateSize bytes
};

struct Index {
  std::vector<std::string> fps;  // kFpSize bytes each
  std::vector<Checkpoint> checkpoints;
  uint64_t size = 0;
  std::string diff_id;
};

// SHA-256 of a byte stream on its own thread, so producing the tar (reading the
// files) and hashing it overlap on two cores. The producer appends bytes and
// asks for checkpoints; the hashing thread saves the midstate when it reaches
// the byte offset the checkpoint was asked at. Without `threaded` (small layers,
// where a thread would cost more than it saves) everything runs inline.
class PipelinedHasher {
 public:
  PipelinedHasher(ResumableSha256& h, bool threaded) : h_(h) {
    if (threaded) thread_ = std::thread([this] { Run(); });
  }
  ~PipelinedHasher() { Finish(); }

  void Write(const void* p, size_t n) {
    if (!thread_.joinable()) return h_.Update(p, n);
    cur_.append(static_cast<const char*>(p), n);
    if (cur_.size() >= kChunk) Push(false, 0, 0);
  }
  // Saves the state once every byte written so far has been hashed.
  void Checkpoint(uint64_t entry, uint64_t offset) {
    if (!thread_.joinable()) return checkpoints_.push_back({entry, offset, h_.Save()});
    Push(true, entry, offset);
  }
  // Waits for the hashing thread; returns the checkpoints taken, in order.
  std::vector<struct Checkpoint> Finish() {
    if (thread_.joinable()) {
      Push(false, 0, 0);
      {
        std::lock_guard l(mu_);
        done_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    return std::move(checkpoints_);
  }

 private:
  static constexpr size_t kChunk = 4 << 20, kMaxQueued = 4;
  struct Item {
    std::string data;
    bool mark = false;
    uint64_t entry = 0, offset = 0;
  };
  void Push(bool mark, uint64_t entry, uint64_t offset) {
    if (cur_.empty() && !mark) return;
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return queue_.size() < kMaxQueued; });
    queue_.push_back({std::move(cur_), mark, entry, offset});
    // A hashed chunk's buffer when there is one: a fresh 4 MiB allocation costs
    // page faults and zeroing of every page.
    if (!free_.empty()) {
      cur_ = std::move(free_.back());
      free_.pop_back();
    } else {
      cur_ = std::string();
    }
    cur_.clear();
    cur_.reserve(kChunk + (64 << 10));
    cv_.notify_all();
  }
  void Run() {
    for (;;) {
      Item it;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        it = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_.notify_all();
      if (!it.data.empty()) h_.Update(it.data.data(), it.data.size());
      if (it.mark) checkpoints_.push_back({it.entry, it.offset, h_.Save()});
      if (it.data.capacity() >= kChunk) {
        std::lock_guard l(mu_);
        if (free_.size() < kMaxQueued + 1) free_.push_back(std::move(it.data));
      }
    }
  }

  ResumableSha256& h_;
  std::string cur_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::vector<std::string> free_;  // hashed chunks' buffers, for reuse
  bool done_ = false;
  std::vector<struct Checkpoint> checkpoints_;
  std::thread thread_;
};

// What the tar writer will do with each entry, as fingerprints.
struct Walk {
  std::vector<std::string> fps;
  // (dev, ino) per entry when the writer records it for hard links ("" otherwise).
  std::vector<std::pair<uint64_t, uint64_t>> keys;
  std::vector<bool> has_key;
};

void PutU64(std::string& s, uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }
void PutStr(std::string& s, std::string_view v) {
  PutU64(s, v.size());
  s.append(v);
}

std::string Xattrs(const std::string& p) {
  std::string out;
  auto sorted = LayerXattrs(p);
  if (!sorted.ok()) return out;  // an accelerator: an unreadable xattr only costs a rehash
  for (auto& [k, v] : *sorted) {
    PutStr(out, k);
    PutStr(out, v);
  }
  return out;
}

std::string FpHash(const std::string& data) {
  ResumableSha256 h;
  h.Update(data.data(), data.size());
  std::string d = h.Digest();  // sha256:<hex>
  std::string out(kFpSize, '\0');
  for (size_t i = 0; i < kFpSize; i++) {
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out[i] = static_cast<char>(nib(d[7 + 2 * i]) << 4 | nib(d[8 + 2 * i]));
  }
  return out;
}

// One entry's fingerprint input (without the hard-link suffix), and its inode
// key when it may be a hard link.
Status EntryFingerprint(const Change& c, std::string& fp, bool& linkable, std::pair<uint64_t, uint64_t>& key) {
  fp.clear();
  linkable = false;
  fp.push_back(static_cast<char>('0' + static_cast<int>(c.kind)));
  PutStr(fp, c.path);
  if (c.kind != Change::Kind::kEntry) return Status::OK();
  struct stat st = c.st;
  if (!c.has_stat && lstat(c.source.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", c.source);
  PutU64(fp, st.st_mode);
  PutU64(fp, st.st_uid);
  PutU64(fp, st.st_gid);
  PutU64(fp, static_cast<uint64_t>(st.st_mtim.tv_sec));
  PutU64(fp, static_cast<uint64_t>(st.st_mtim.tv_nsec));
  if (S_ISREG(st.st_mode)) {
    // The content and the xattrs: same inode, same bytes and xattrs (committed
    // files never change), so no xattr calls for the bulk of a layer.
    PutU64(fp, static_cast<uint64_t>(st.st_size));
    PutU64(fp, st.st_dev);
    PutU64(fp, st.st_ino);
  } else {
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) PutU64(fp, st.st_rdev);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(c.source.c_str(), buf, sizeof buf);
      if (n < 0) return Status::FromErrno(errno, "readlink", c.source);
      PutStr(fp, std::string_view(buf, static_cast<size_t>(n)));
    }
    fp += Xattrs(c.source);
  }
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    linkable = true;
    key = {st.st_dev, st.st_ino};
  }
  return Status::OK();
}

Result<Walk> Fingerprints(const std::vector<Change>& changes) {
  const size_t n = changes.size();
  Walk w;
  w.fps.resize(n);
  w.keys.resize(n);
  w.has_key.resize(n, false);
  // Big layers on two threads (a hash per entry, and xattr/readlink calls for
  // entries other than regular files); the hard-link rule needs the tar order, so
  // it runs after, in order.
  std::vector<std::string> base(n);
  std::vector<char> linkable(n, 0);
  std::vector<Status> errs(2);
  auto part = [&](size_t t, size_t from, size_t to) {
    for (size_t i = from; i < to && errs[t].ok(); i++) {
      bool l = false;
      errs[t] = EntryFingerprint(changes[i], base[i], l, w.keys[i]);
      linkable[i] = l;
      if (!l) w.fps[i] = FpHash(base[i]);
    }
  };
  if (n < kThreadedEntries) {
    part(0, 0, n);
  } else {
    size_t mid = n / 2;
    std::thread other(part, 1, mid, n);
    part(0, 0, mid);
    other.join();
  }
  for (auto& e : errs) RETURN_IF_ERROR(e);
  HardLinkMap seen;  // exactly the writer's hard-link rule (layer_writer.cc)
  for (size_t i = 0; i < n; i++) {
    if (!linkable[i]) continue;
    w.has_key[i] = true;
    auto [it, fresh] = seen.try_emplace(w.keys[i], changes[i].path);
    if (!fresh) {
      base[i] += "L";
      PutStr(base[i], it->second);
    }
    w.fps[i] = FpHash(base[i]);
  }
  return w;
}

Result<Index> ReadIndex(const std::string& path, const std::string& want_diff_id) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  Index ix;
  size_t pos = 0;
  auto bad = [&](const char* why) { return Status::Corruption("layer index " + path + ": " + why); };
  auto u64 = [&](uint64_t& v) {
    if (pos + 8 > data.size()) return false;
    memcpy(&v, data.data() + pos, 8);
    pos += 8;
    return true;
  };
  if (data.size() < 16 || memcmp(data.data(), kMagic, 8) != 0 ||
      memcmp(data.data() + data.size() - 8, kTrailer, 8) != 0)
    return bad("not a kiln layer index");
  pos = 8;
  uint64_t n = 0;
  if (!u64(n) || n > data.size() / kFpSize) return bad("truncated");
  for (uint64_t i = 0; i < n; i++) {
    if (pos + kFpSize > data.size()) return bad("truncated");
    ix.fps.emplace_back(data.data() + pos, kFpSize);
    pos += kFpSize;
  }
  uint64_t nc = 0;
  if (!u64(nc) || nc > data.size()) return bad("truncated");
  for (uint64_t i = 0; i < nc; i++) {
    Checkpoint c;
    if (!u64(c.entry) || !u64(c.offset) || pos + ResumableSha256::kStateSize > data.size()) return bad("truncated");
    c.state.assign(data.data() + pos, ResumableSha256::kStateSize);
    pos += ResumableSha256::kStateSize;
    ix.checkpoints.push_back(std::move(c));
  }
  if (!u64(ix.size) || pos + 71 + 8 != data.size()) return bad("truncated");
  ix.diff_id.assign(data.data() + pos, 71);
  if (ix.diff_id != want_diff_id) return bad("written for another layer");
  return ix;
}

// Temp file + rename, no fsync: an index is only an accelerator, and a torn one
// fails ReadIndex's checks (a full pass then).
Status WriteIndex(const std::string& dir, const Index& ix) {
  std::string data(kMagic, 8);
  PutU64(data, ix.fps.size());
  for (auto& f : ix.fps) data += f;
  PutU64(data, ix.checkpoints.size());
  for (auto& c : ix.checkpoints) {
    PutU64(data, c.entry);
    PutU64(data, c.offset);
    data += c.state;
  }
  PutU64(data, ix.size);
  data += ix.diff_id;
  data.append(kTrailer, 8);
  RETURN_IF_ERROR(MakeDirs(dir));
  std::string final_path = dir + "/" + std::string(DigestHex(ix.diff_id));
  std::string tmp = final_path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(gettid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "create", tmp);
  if (Status st = WriteAll(fd, data.data(), data.size(), tmp); !st.ok()) {
    close(fd);
    unlink(tmp.c_str());
    return st;
  }
  close(fd);
  if (rename(tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::FromErrno(err, "rename into", final_path);
  }
  return Status::OK();
}

}  // namespace

std::string LayerIndexDir(const std::string& root) { return root + "/layer-index"; }

Result<LayerRecord> HashLayerTar(const std::vector<Change>& changes, const std::string& index_dir,
                                 const std::string& prev_diff_id, bool oci_media_types, LayerHashStats* stats) {
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(Walk walk, Fingerprints(changes));
  spdlog::debug("layer hash: fingerprints of {} entries took {:.1f} ms", changes.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  LayerRecord rec;
  rec.media_type = LayerMediaType(Compression::kUncompressed, oci_media_types);
  LayerHashStats st;
  st.entries = changes.size();

  Index out;
  out.fps = walk.fps;
  ResumableSha256 h;
  uint64_t len = 0;
  size_t start = 0;
  HardLinkMap links;
  std::optional<Index> prev;
  if (!index_dir.empty() && IsValidDigest(prev_diff_id)) {
    auto p = ReadIndex(index_dir + "/" + std::string(DigestHex(prev_diff_id)), prev_diff_id);
    if (p.ok()) prev = std::move(p).value();
  }
  if (prev) {
    size_t d = 0;
    while (d < walk.fps.size() && d < prev->fps.size() && walk.fps[d] == prev->fps[d]) d++;
    if (d == walk.fps.size() && d == prev->fps.size()) {
      rec.digest = rec.diff_id = prev->diff_id;
      rec.size = static_cast<int64_t>(prev->size);
      st.reused = true;
      st.start_entry = d;
      if (stats) *stats = st;
      return rec;  // same fingerprints, same tar: the index file is already there
    }
    const Checkpoint* best = nullptr;
    for (const auto& c : prev->checkpoints)
      if (c.entry <= d && c.state.size() == ResumableSha256::kStateSize) best = &c;
    if (best && best->entry > 0 && h.Restore(best->state)) {
      start = best->entry;
      len = best->offset;
      for (const auto& c : prev->checkpoints)
        if (c.entry <= start) out.checkpoints.push_back(c);
      for (size_t i = 0; i < start; i++)
        if (walk.has_key[i]) links.try_emplace(walk.keys[i], changes[i].path);
    }
  }
  st.start_entry = start;
  uint64_t first = len;
  LayerOptions opts;
  opts.compression = Compression::kUncompressed;
  opts.oci_media_types = oci_media_types;
  uint64_t last_cp_entry = out.checkpoints.empty() ? 0 : out.checkpoints.back().entry;
  uint64_t last_cp_offset = out.checkpoints.empty() ? 0 : out.checkpoints.back().offset;
  bool have_cp = !out.checkpoints.empty();
  int64_t data_bytes = 0;  // what is left to hash, roughly
  for (size_t i = start; i < changes.size(); i++)
    if (changes[i].has_stat && S_ISREG(changes[i].st.st_mode)) data_bytes += changes[i].st.st_size;
  PipelinedHasher ph(h, data_bytes >= (8 << 20) || changes.size() - start >= kThreadedEntries);
  Status written = WriteLayerTarFrom(
      changes, start, std::move(links), opts,
      [&](const void* p, size_t n) {
        ph.Write(p, n);
        len += n;
        return Status::OK();
      },
      [&](size_t i) {
        if (len % 64 != 0) return;  // never: entries are 512-byte aligned
        if (have_cp && (last_cp_entry == i || len - last_cp_offset < kCheckpointEvery)) return;
        ph.Checkpoint(i, len);
        have_cp = true;
        last_cp_entry = i;
        last_cp_offset = len;
      });
  for (auto& c : ph.Finish()) out.checkpoints.push_back(std::move(c));
  RETURN_IF_ERROR(written);
  rec.digest = rec.diff_id = h.Digest();
  rec.size = static_cast<int64_t>(len);
  st.hashed_bytes = static_cast<int64_t>(len - first);
  out.size = len;
  out.diff_id = rec.diff_id;
  if (!index_dir.empty()) (void)WriteIndex(index_dir, out);  // best effort: an accelerator only
  if (stats) *stats = st;
  return rec;
}

Result<std::vector<Change>> SnapshotChanges(Snapshotter& sn, const std::string& key) {
  ASSIGN_OR_RETURN(auto in, sn.DiffInputs(key));
  if (in.overlay_upper) return DiffOverlayUpper(in.upper);
  return DiffDirectories(in.lower, in.upper);
}

Result<LayerRecord> LazySnapshotLayer(const std::string& root, Snapshotter& sn, MetadataStore& md,
                                      const std::string& key, bool oci_media_types, LayerHashStats* stats) {
  ASSIGN_OR_RETURN(SnapshotInfo info, sn.Stat(key));
  if (!info.committed)
    return Status::FailedPrecondition("snapshot `" + key + "` is not committed: commit it before exporting its layer");
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto changes, SnapshotChanges(sn, key));
  auto t1 = std::chrono::steady_clock::now();
  std::string prev;
  if (auto origin = md.SnapshotOrigin(key); origin.ok()) {
    if (auto layers = md.SnapshotLayers(*origin); layers.ok() && !layers->empty()) prev = layers->front().diff_id;
  }
  LayerHashStats local;
  if (!stats) stats = &local;
  ASSIGN_OR_RETURN(LayerRecord rec, HashLayerTar(changes, LayerIndexDir(root), prev, oci_media_types, stats));
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  spdlog::debug("layer of {}: diff {:.1f} ms, hash {:.1f} ms ({} entries, from entry {}, {} bytes hashed{}{})", key,
                ms(t0, t1), ms(t1, std::chrono::steady_clock::now()), stats->entries, stats->start_entry,
                stats->hashed_bytes, prev.empty() ? "" : ", origin layer ", prev);
  RETURN_IF_ERROR(md.PutLazyBlob({rec.digest, rec.media_type, rec.size, rec.diff_id, key}));
  RETURN_IF_ERROR(md.PutSnapshotLayer(key, rec));
  return rec;
}

}  // namespace kiln::cache
