// Lazy layers: resumable layer hashing (layer_hash.h), the lazy content store
// (lazy_content.h), GC of lazy blobs' snapshots and gzip conversion for push.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "base/oci.h"
#include "base/test_dir.h"
#include "cache/gc.h"
#include "cache/lazy_content.h"
#include "cache/layer_hash.h"
#include "cache/layer_test_util.h"
#include "cache/layer_writer.h"
#include "cache/push_layers.h"
#include "cache/sqlite.h"

namespace kiln::cache {
namespace {

void Write(const std::string& path, const std::string& data, int64_t mtime = 1700000000) {
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

void SetMtime(const std::string& path, int64_t mtime) {
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

std::string Blob(size_t n, int seed) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u + static_cast<uint32_t>(seed);
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// The digest of a full WriteLayerTar pass, and the tar itself.
std::pair<std::string, std::string> FullPass(const std::vector<Change>& changes) {
  std::string tar;
  LayerOptions o;
  o.compression = Compression::kUncompressed;
  EXPECT_TRUE(WriteLayerTar(changes, o, [&](const void* p, size_t n) {
                tar.append(static_cast<const char*>(p), n);
                return Status::OK();
              }).ok());
  return {Sha256Digest(tar), tar};
}

class LayerHashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-lazy");
    ASSERT_TRUE(tmp_);
    index_ = tmp_->path() + "/index";
    p_ = tmp_->path() + "/p";
    // 3 dirs x 20 files x 96 KiB = 5.6 MiB: several checkpoints.
    for (int d = 0; d < 3; d++) {
      std::string dir = p_ + "/d" + std::to_string(d);
      ASSERT_TRUE(MakeDirs(dir).ok());
      for (int f = 0; f < 20; f++) Write(dir + "/f" + std::to_string(10 + f), Blob(96 << 10, d * 100 + f));
    }
    ASSERT_EQ(symlink("d0/f10", (p_ + "/link").c_str()), 0);
    SetMtime(p_ + "/link", 1600000000);
    for (int d = 0; d < 3; d++) SetMtime(p_ + "/d" + std::to_string(d), 1600000000);
  }
  std::vector<Change> Changes(const std::string& dir) { return std::move(DiffDirectories("", dir)).value(); }
  // A clone of P as an incremental COPY makes it: directories new (same mtimes),
  // files hard links to P's, then `mutate`.
  std::string Clone(const std::string& name, const std::function<void(const std::string&)>& mutate) {
    std::string s = tmp_->path() + "/" + name;
    EXPECT_TRUE(MakeDirs(s).ok());
    for (int d = 0; d < 3; d++) {
      std::string dir = "/d" + std::to_string(d);
      EXPECT_TRUE(MakeDirs(s + dir).ok());
      for (int f = 0; f < 20; f++) {
        std::string file = dir + "/f" + std::to_string(10 + f);
        EXPECT_EQ(link((p_ + file).c_str(), (s + file).c_str()), 0);
      }
    }
    EXPECT_EQ(symlink("d0/f10", (s + "/link").c_str()), 0);
    SetMtime(s + "/link", 1600000000);
    mutate(s);
    for (int d = 0; d < 3; d++) SetMtime(s + "/d" + std::to_string(d), 1600000000);
    return s;
  }
  std::unique_ptr<TempDir> tmp_;
  std::string index_, p_;
};

TEST_F(LayerHashTest, FullPassMatchesWriterAndWritesIndex) {
  auto changes = Changes(p_);
  LayerHashStats st;
  auto rec = HashLayerTar(changes, index_, "", true, &st);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  auto [digest, tar] = FullPass(changes);
  EXPECT_EQ(rec->digest, digest);
  EXPECT_EQ(rec->diff_id, digest);
  EXPECT_EQ(rec->size, static_cast<int64_t>(tar.size()));
  EXPECT_EQ(rec->media_type, oci::kMediaTypeLayer);
  EXPECT_EQ(st.start_entry, 0u);
  EXPECT_EQ(st.hashed_bytes, rec->size);
  EXPECT_TRUE(PathExists(index_ + "/" + std::string(DigestHex(digest))));
  auto docker = HashLayerTar(changes, "", "", false);
  ASSERT_TRUE(docker.ok());
  EXPECT_EQ(docker->media_type, "application/vnd.docker.image.rootfs.diff.tar");
}

struct Mutation {
  const char* name;
  std::function<void(const std::string&)> fn;
  bool expect_resume;  // hashing restarts after the first entry
};

TEST_F(LayerHashTest, ResumeEqualsFullPass) {
  auto base = HashLayerTar(Changes(p_), index_, "", true);
  ASSERT_TRUE(base.ok());
  std::vector<Mutation> cases = {
      {"late content change", [](const std::string& s) { Write(s + "/d2/f29", Blob(1000, 7)); }, true},
      {"same size and mtime, new inode",
       [](const std::string& s) { Write(s + "/d2/f25", Blob(96 << 10, 999)); }, true},
      {"added file", [](const std::string& s) { Write(s + "/d2/f99", "new"); }, true},
      {"removed file", [](const std::string& s) { ASSERT_EQ(unlink((s + "/d1/f15").c_str()), 0); }, true},
      {"mode change on a copy",
       [](const std::string& s) {
         std::string f = s + "/d2/f20";
         auto data = ReadFile(f);
         ASSERT_EQ(unlink(f.c_str()), 0);
         Write(f, *data);
         ASSERT_EQ(chmod(f.c_str(), 0600), 0);
       },
       true},
      {"mtime change on a copy",
       [](const std::string& s) {
         std::string f = s + "/d2/f21";
         auto data = ReadFile(f);
         ASSERT_EQ(unlink(f.c_str()), 0);
         Write(f, *data, 1700000001);
       },
       true},
      {"hard link within the layer",
       [](const std::string& s) { ASSERT_EQ(link((s + "/d1/f12").c_str(), (s + "/d2/f99").c_str()), 0); }, true},
      {"first file changed", [](const std::string& s) { Write(s + "/d0/f10", "x"); }, false},
      {"symlink target changed",
       [](const std::string& s) {
         ASSERT_EQ(unlink((s + "/link").c_str()), 0);
         ASSERT_EQ(symlink("d0/f11", (s + "/link").c_str()), 0);
         SetMtime(s + "/link", 1600000000);
       },
       true},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string s = Clone("s" + std::to_string(n++), c.fn);
    auto changes = Changes(s);
    auto [digest, tar] = FullPass(changes);
    LayerHashStats st;
    auto rec = HashLayerTar(changes, index_, base->diff_id, true, &st);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    EXPECT_EQ(rec->digest, digest);
    EXPECT_EQ(rec->size, static_cast<int64_t>(tar.size()));
    EXPECT_NE(rec->digest, base->digest);
    if (c.expect_resume) {
      EXPECT_GT(st.start_entry, 0u);
      EXPECT_LT(st.hashed_bytes, rec->size);
    } else {
      EXPECT_EQ(st.start_entry, 0u);
    }
    // The resumed pass wrote a complete index too: hashing S again from it is exact.
    auto again = HashLayerTar(changes, index_, rec->diff_id, true, &st);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->digest, digest);
    EXPECT_TRUE(st.reused);
  }
}

TEST_F(LayerHashTest, UnchangedCloneReusesDigest) {
  auto base = HashLayerTar(Changes(p_), index_, "", true);
  ASSERT_TRUE(base.ok());
  std::string s = Clone("same", [](const std::string&) {});
  LayerHashStats st;
  auto rec = HashLayerTar(Changes(s), index_, base->diff_id, true, &st);
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(st.reused);
  EXPECT_EQ(rec->digest, base->digest);
  EXPECT_EQ(rec->digest, FullPass(Changes(s)).first);
}

TEST_F(LayerHashTest, CorruptIndexFallsBackToFullPass) {
  auto base = HashLayerTar(Changes(p_), index_, "", true);
  ASSERT_TRUE(base.ok());
  ASSERT_TRUE(WriteFileAtomic(index_ + "/" + std::string(DigestHex(base->diff_id)), "garbage").ok());
  std::string s = Clone("c", [](const std::string& s) { Write(s + "/d2/f29", "changed"); });
  LayerHashStats st;
  auto rec = HashLayerTar(Changes(s), index_, base->diff_id, true, &st);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(st.start_entry, 0u);
  EXPECT_EQ(rec->digest, FullPass(Changes(s)).first);
}

// Files hard-linked from another snapshot (nlink 2) are written whole; only an
// inode seen earlier in the same layer becomes a hard link entry.
TEST_F(LayerHashTest, HardLinksOnlyWithinTheLayer) {
  std::string s = Clone("h", [](const std::string& s) {
    ASSERT_EQ(link((s + "/d0/f11").c_str(), (s + "/d2/zz").c_str()), 0);
  });
  std::string tar_path = tmp_->path() + "/h.tar";
  ASSERT_TRUE(WriteFileAtomic(tar_path, FullPass(Changes(s)).second).ok());
  auto entries = testing::ReadTar(tar_path);
  ASSERT_TRUE(entries.ok());
  int links = 0;
  for (const auto& e : *entries) {
    if (e.hardlink.empty()) continue;
    links++;
    EXPECT_EQ(e.name, "d2/zz");
    EXPECT_EQ(e.hardlink, "d0/f11");
  }
  EXPECT_EQ(links, 1);
  for (const auto& e : *entries)
    if (e.name == "d1/f12") {
      EXPECT_EQ(e.size, 96 << 10);
    }
}

// ---- lazy store, GC, push conversion over a real (copy) snapshotter ----

class LazyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = NewTestDir("kiln-lazystore");
    ASSERT_TRUE(tmp_);
    root_ = tmp_->path();
    md_ = std::move(MetadataStore::Open(root_)).value();
    auto sn = OpenSnapshotter(root_, {"copy", 3072});
    ASSERT_TRUE(sn.ok()) << sn.status().ToString();
    sn_ = std::move(*sn);
    auto real = std::move(OpenLocalContentStore(root_)).value();
    Snapshotter* snp = sn_.get();
    cs_ = std::make_unique<LazyContentStore>(std::move(real), md_.get(),
                                             [snp]() -> Result<Snapshotter*> { return snp; });
  }
  std::string Commit(const std::string& key, const std::string& parent, const std::string& file,
                     const std::string& data) {
    auto m = sn_->Prepare(key + "-a", parent);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    Write(m->dir + "/" + file, data);
    EXPECT_TRUE(sn_->Commit(key, key + "-a").ok());
    return key;
  }
  void Image(const std::string& name, const LayerRecord& layer) {
    auto put = testing::PutTestImage(*cs_, *md_, name, layer);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  std::unique_ptr<TempDir> tmp_;
  std::string root_;
  std::unique_ptr<MetadataStore> md_;
  std::unique_ptr<Snapshotter> sn_;
  std::unique_ptr<LazyContentStore> cs_;
};

TEST_F(LazyStoreTest, HashOnlyThenMaterializeOnRead) {
  Commit("base", "", "a", "hello");
  Commit("top", "base", "b", Blob(200000, 1));
  auto rec = LazySnapshotLayer(root_, *sn_, *md_, "top", true);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_FALSE(cs_->real().Has(rec->digest));  // nothing written at build time
  EXPECT_TRUE(cs_->Has(rec->digest));
  EXPECT_TRUE(cs_->IsLazy(rec->digest));
  EXPECT_EQ(*cs_->Size(rec->digest), rec->size);
  auto layers = md_->SnapshotLayers("top");
  ASSERT_TRUE(layers.ok());
  ASSERT_EQ(layers->size(), 1u);
  EXPECT_EQ((*layers)[0], *rec);
  // First read regenerates, verifies and stores it.
  auto path = cs_->Path(rec->digest);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_TRUE(cs_->real().Has(rec->digest));
  EXPECT_FALSE(cs_->IsLazy(rec->digest));
  EXPECT_EQ(*Sha256File(*path), rec->digest);
  EXPECT_TRUE(cs_->Verify(rec->digest).ok());
  auto entries = testing::ReadTar(*path);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "b");
}

TEST_F(LazyStoreTest, MaterializeRefusesChangedSnapshot) {
  Commit("s", "", "a", "hello");
  auto rec = LazySnapshotLayer(root_, *sn_, *md_, "s", true);
  ASSERT_TRUE(rec.ok());
  // Someone tampers with the committed snapshot: the bytes no longer match.
  auto in = sn_->DiffInputs("s");
  ASSERT_TRUE(in.ok());
  Write(in->upper + "/a", "HELLO");
  auto r = cs_->Read(rec->digest);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().ToString();
  EXPECT_FALSE(cs_->real().Has(rec->digest));
  EXPECT_TRUE(cs_->Delete(rec->digest).IsNotFound() || !cs_->real().Has(rec->digest));
}

TEST_F(LazyStoreTest, GcKeepsSnapshotOfImageLayerAndDropsIt) {
  Commit("s", "", "a", Blob(5000, 3));
  auto rec = LazySnapshotLayer(root_, *sn_, *md_, "s", true);
  ASSERT_TRUE(rec.ok());
  Image("img:1", *rec);
  GarbageCollector gc(root_, *md_, *cs_, *sn_);
  // No cache record names the snapshot; the image's lazy layer keeps it.
  auto r = gc.Prune({true, 0, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->snapshots, 0);
  EXPECT_TRUE(sn_->Stat("s").ok());
  EXPECT_TRUE(PathExists(LayerIndexDir(root_) + "/" + std::string(DigestHex(rec->diff_id))));
  auto du = gc.Du();
  ASSERT_TRUE(du.ok());
  EXPECT_GE(du->image_bytes, 5000);  // the lazy layer's snapshot counts as the image's
  auto data = cs_->Read(rec->digest, /*verify=*/true);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(Sha256Digest(*data), rec->digest);
  // Without the image, the snapshot, its lazy row and its index go.
  ASSERT_TRUE(md_->DeleteImage("img:1").ok());
  ASSERT_TRUE(cs_->real().Delete(rec->digest).ok());
  r = gc.Collect();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->snapshots, 1);
  EXPECT_FALSE(sn_->Stat("s").ok());
  EXPECT_FALSE(md_->GetLazyBlob(rec->digest).ok());
  EXPECT_FALSE(cs_->Has(rec->digest));
  EXPECT_FALSE(PathExists(LayerIndexDir(root_) + "/" + std::string(DigestHex(rec->diff_id))));
}

TEST_F(LazyStoreTest, PushConversionCompressesOnce) {
  Commit("s", "", "a", Blob(300000, 4));
  auto rec = LazySnapshotLayer(root_, *sn_, *md_, "s", true);
  ASSERT_TRUE(rec.ok());
  Image("img:1", *rec);
  auto img = md_->GetImage("img:1");
  auto conv = CompressedForPush(*cs_, *md_, img->target);
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  EXPECT_EQ(conv->layers_compressed, 1);
  EXPECT_NE(conv->target.digest, img->target.digest);
  auto m = nlohmann::json::parse(*cs_->Read(conv->target.digest));
  auto layer = m["layers"][0];
  EXPECT_EQ(layer["mediaType"], oci::kMediaTypeLayerGzip);
  std::string gz = layer["digest"];
  EXPECT_NE(gz, rec->digest);
  EXPECT_EQ(layer["size"].get<int64_t>(), *cs_->Size(gz));
  EXPECT_EQ(m["config"]["digest"], nlohmann::json::parse(*cs_->Read(img->target.digest))["config"]["digest"]);
  auto entries = testing::ReadTar(*cs_->Path(gz));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].data, Blob(300000, 4));
  auto again = CompressedForPush(*cs_, *md_, img->target);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->layers_compressed, 0);
  EXPECT_EQ(again->layers_reused, 1);
  EXPECT_EQ(again->target.digest, conv->target.digest);
}

}  // namespace
}  // namespace kiln::cache

namespace kiln::cache {
namespace {

// A version-2 database made before lazy_blobs was appended to kSchemaV2 gets it on open.
TEST(LazyMetadataTest, AppendedTablesReachExistingV2Databases) {
  auto tmp = std::move(TempDir::Create("kiln-lazymd")).value();
  { ASSERT_TRUE(MetadataStore::Open(tmp.path()).ok()); }
  {
    auto db = SqlDb::Open(tmp.path() + "/metadata.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP TABLE lazy_blobs; DROP TABLE compressed_layers;").ok());
  }
  auto md = MetadataStore::Open(tmp.path());
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  SnapshotRecord s;
  s.key = "k";
  s.id = "id1";
  s.kind = SnapshotKind::kCommitted;
  ASSERT_TRUE((*md)->InsertSnapshot(s).ok());
  LazyBlob b{"sha256:" + std::string(64, 'a'), oci::kMediaTypeLayer, 10, "sha256:" + std::string(64, 'a'), "k"};
  ASSERT_TRUE((*md)->PutLazyBlob(b).ok());
  EXPECT_EQ(*(*md)->GetLazyBlob(b.digest), b);
  // The row goes with its snapshot.
  ASSERT_TRUE((*md)->DeleteSnapshot("k").ok());
  EXPECT_TRUE((*md)->GetLazyBlob(b.digest).status().IsNotFound());
  // A lazy blob must name an existing snapshot.
  EXPECT_FALSE((*md)->PutLazyBlob(b).ok());
  LayerRecord gz{"sha256:" + std::string(64, 'b'), oci::kMediaTypeLayerGzip, 5, b.digest};
  ASSERT_TRUE((*md)->PutCompressedLayer(b.digest, gz).ok());
  EXPECT_EQ(*(*md)->GetCompressedLayer(b.digest, oci::kMediaTypeLayerGzip), gz);
  EXPECT_TRUE((*md)->GetCompressedLayer(b.digest, oci::kMediaTypeLayerZstd).status().IsNotFound());
}

}  // namespace
}  // namespace kiln::cache
