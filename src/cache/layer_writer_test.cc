#include "cache/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/layer_decompress.h"
#include "cache/layer_test_util.h"
#include "cache/tree_merge.h"

namespace kiln::cache {
namespace {

using testing::ReadTar;
using testing::TarEntry;

// security.capability v2 value granting cap_net_bind_service (permitted, effective).
const std::string kCapNetBind = std::string("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);

void Touch(const std::string& p, const std::string& data, mode_t mode, int64_t mtime = 1000) {
  ASSERT_TRUE(WriteFileAtomic(p, data, mode).ok());
  ASSERT_EQ(chmod(p.c_str(), mode), 0);
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

void SetTime(const std::string& p, int64_t mtime) {
  struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

const TarEntry* Find(const std::vector<TarEntry>& es, const std::string& name) {
  for (auto& e : es)
    if (e.name == name || e.name == name + "/") return &e;
  return nullptr;
}

class LayerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, trusted xattrs)";
    tmp_ = NewTestDir("kiln-layer");
    ASSERT_TRUE(tmp_);
    auto s = OpenLocalContentStore(tmp_->path() + "/root");
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    up_ = tmp_->path() + "/upper";
    ASSERT_TRUE(MakeDirs(up_).ok());
  }
  // An overlay upper dir with every kind of entry.
  void BuildUpper() {
    ASSERT_TRUE(MakeDirs(up_ + "/bin").ok());
    Touch(up_ + "/bin/suid", "#!/bin/sh\n", 04755);
    Touch(up_ + "/bin/sgid", "x", 02711);
    ASSERT_EQ(lchown((up_ + "/bin/sgid").c_str(), 1000, 2000), 0);
    ASSERT_EQ(chmod((up_ + "/bin/sgid").c_str(), 02711), 0);  // chown cleared setgid
    SetTime(up_ + "/bin/sgid", 1000);
    Touch(up_ + "/bin/ping", "ping", 0755);
    ASSERT_EQ(lsetxattr((up_ + "/bin/ping").c_str(), "security.capability", kCapNetBind.data(), kCapNetBind.size(), 0), 0);
    ASSERT_EQ(lsetxattr((up_ + "/bin/ping").c_str(), "user.note", "hi", 2, 0), 0);
    ASSERT_EQ(link((up_ + "/bin/ping").c_str(), (up_ + "/bin/ping6").c_str()), 0);
    ASSERT_TRUE(MakeDirs(up_ + "/tmp").ok());
    ASSERT_EQ(chmod((up_ + "/tmp").c_str(), 01777), 0);
    ASSERT_EQ(symlink("../bin/ping", (up_ + "/tmp/link").c_str()), 0);
    ASSERT_EQ(mkfifo((up_ + "/tmp/fifo").c_str(), 0640), 0);
    ASSERT_EQ(mknod((up_ + "/tmp/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(mknod((up_ + "/deleted").c_str(), S_IFCHR, makedev(0, 0)), 0);
    ASSERT_TRUE(MakeDirs(up_ + "/opq").ok());
    ASSERT_EQ(lsetxattr((up_ + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    Touch(up_ + "/opq/new", "new", 0644, 5000000000);
    SetTime(up_ + "/tmp/fifo", 1000);
    SetTime(up_ + "/tmp", 1000);
    SetTime(up_ + "/bin", 1000);
    SetTime(up_ + "/opq", 1000);
  }
  Result<LayerRecord> Write(Compression c, std::optional<int64_t> epoch = std::nullopt) {
    LayerOptions o;
    o.compression = c;
    o.source_date_epoch = epoch;
    auto changes = DiffOverlayUpper(up_);
    if (!changes.ok()) return changes.status();
    return WriteLayer(*changes, *store_, o);
  }
  std::unique_ptr<TempDir> tmp_;
  std::unique_ptr<ContentStore> store_;
  std::string up_;
};

TEST_F(LayerWriterTest, OverlayUpperToTarKeepsEverything) {
  BuildUpper();
  auto rec = Write(Compression::kUncompressed);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->digest, rec->diff_id);
  EXPECT_EQ(rec->media_type, "application/vnd.oci.image.layer.v1.tar");
  auto es = ReadTar(*store_->Path(rec->digest));
  ASSERT_TRUE(es.ok());
  std::vector<std::string> names;
  for (auto& e : *es) names.push_back(e.name);
  std::vector<std::string> want = {"bin/", "bin/ping", "bin/ping6", "bin/sgid", "bin/suid", ".wh.deleted", "opq/",
                                   "opq/.wh..wh..opq", "opq/new", "tmp/", "tmp/fifo", "tmp/link", "tmp/null"};
  EXPECT_EQ(names, want);
  const TarEntry* suid = Find(*es, "bin/suid");
  EXPECT_EQ(suid->mode, S_IFREG | 04755);
  EXPECT_EQ(suid->data, "#!/bin/sh\n");
  const TarEntry* sgid = Find(*es, "bin/sgid");
  EXPECT_EQ(sgid->mode, S_IFREG | 02711);
  EXPECT_EQ(sgid->uid, 1000);
  EXPECT_EQ(sgid->gid, 2000);
  EXPECT_EQ(Find(*es, "tmp")->mode, S_IFDIR | 01777);
  const TarEntry* ping = Find(*es, "bin/ping");
  EXPECT_EQ(ping->xattrs.at("security.capability"), kCapNetBind);
  EXPECT_EQ(ping->xattrs.count("user.note"), 0u) << "only security.capability goes into a layer, as with BuildKit";
  EXPECT_EQ(Find(*es, "bin/ping6")->hardlink, "bin/ping");
  EXPECT_EQ(Find(*es, "tmp/link")->symlink, "../bin/ping");
  EXPECT_TRUE(S_ISFIFO(Find(*es, "tmp/fifo")->mode));
  const TarEntry* null = Find(*es, "tmp/null");
  EXPECT_TRUE(S_ISCHR(null->mode));
  EXPECT_EQ(null->rdev, makedev(1, 3));
  EXPECT_TRUE(Find(*es, "opq")->xattrs.empty()) << "trusted.overlay.* must not leak into layers";
  EXPECT_EQ(Find(*es, ".wh.deleted")->size, 0);
  EXPECT_EQ(Find(*es, "opq/new")->mtime, 5000000000);
}

TEST_F(LayerWriterTest, CompressionsShareTheDiffIdAndAreDeterministic) {
  BuildUpper();
  std::string big(3 << 20, 'a');  // several gzip chunks
  for (size_t i = 0; i < big.size(); i += 13) big[i] = static_cast<char>('a' + i % 26);
  Touch(up_ + "/big", big, 0644);
  auto plain = Write(Compression::kUncompressed);
  auto gz = Write(Compression::kGzip);
  auto zs = Write(Compression::kZstd);
  ASSERT_TRUE(plain.ok() && gz.ok() && zs.ok());
  EXPECT_EQ(gz->diff_id, plain->diff_id);
  EXPECT_EQ(zs->diff_id, plain->diff_id);
  EXPECT_EQ(gz->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(zs->media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(*store_->Size(gz->digest), gz->size);
  EXPECT_LT(gz->size, plain->size);
  EXPECT_LT(zs->size, plain->size);
  // Same input, same bytes, whatever the thread count.
  LayerOptions o;
  o.compression = Compression::kGzip;
  o.threads = 1;
  auto gz1 = WriteLayer(*DiffOverlayUpper(up_), *store_, o);
  EXPECT_EQ(gz1->digest, gz->digest);
  o.compression = Compression::kZstd;
  o.threads = 3;
  auto zs3 = WriteLayer(*DiffOverlayUpper(up_), *store_, o);
  EXPECT_EQ(zs3->digest, zs->digest);
  // Our decompressor and libarchive agree on the content.
  for (const auto& r : {*gz, *zs}) {
    int fd = open(store_->Path(r.digest)->c_str(), O_RDONLY);
    auto d = LayerDecompressor::Open(fd, "blob");
    ASSERT_TRUE(d.ok());
    char buf[4096];
    while (*(*d)->Read(buf, sizeof buf) > 0) {
    }
    EXPECT_EQ((*d)->DiffId(), plain->diff_id);
    auto es = ReadTar(*store_->Path(r.digest));
    ASSERT_TRUE(es.ok());
    EXPECT_EQ(Find(*es, "big")->data, big);
  }
  // The compression level changes the bytes, not the content.
  o.compression = Compression::kGzip;
  o.level = 1;
  auto fast = WriteLayer(*DiffOverlayUpper(up_), *store_, o);
  EXPECT_NE(fast->digest, gz->digest);
  EXPECT_EQ(fast->diff_id, plain->diff_id);
  o.level = 99;
  EXPECT_TRUE(WriteLayer(*DiffOverlayUpper(up_), *store_, o).status().IsInvalidArgument());
}

TEST_F(LayerWriterTest, SourceDateEpochClampsNewerMtimes) {
  BuildUpper();
  auto rec = Write(Compression::kUncompressed, 2000);
  ASSERT_TRUE(rec.ok());
  auto es = ReadTar(*store_->Path(rec->digest));
  EXPECT_EQ(Find(*es, "opq/new")->mtime, 2000);    // newer: clamped
  EXPECT_EQ(Find(*es, "bin/suid")->mtime, 1000);   // older: kept
  EXPECT_EQ(Find(*es, ".wh.deleted")->mtime, 2000);
  // Touching files after the epoch does not change the layer.
  SetTime(up_ + "/opq/new", 7000000000);
  auto again = Write(Compression::kUncompressed, 2000);
  EXPECT_EQ(again->digest, rec->digest);
}

TEST_F(LayerWriterTest, DiffDirectoriesFindsChangesAndDeletions) {
  std::string lo = tmp_->path() + "/lower";
  for (auto* d : {"/a/b", "/keep", "/gone/sub"}) ASSERT_TRUE(MakeDirs(lo + d).ok());
  Touch(lo + "/a/b/same", "s", 0644);
  Touch(lo + "/a/b/mod", "old", 0644);
  Touch(lo + "/keep/k", "k", 0644);
  Touch(lo + "/gone/sub/x", "x", 0644);
  Touch(lo + "/file-to-dir", "f", 0644);
  for (auto* d : {"/a/b", "/keep", "/gone/sub", "/a", "/keep", "/gone", ""}) SetTime(lo + d, 1000);
  ASSERT_TRUE(MergeTree(lo, up_, false).ok());
  // Change the copy.
  Touch(up_ + "/a/b/mod", "new!", 0644);
  ASSERT_TRUE(RemoveAll(up_ + "/gone").ok());
  ASSERT_EQ(unlink((up_ + "/file-to-dir").c_str()), 0);
  ASSERT_TRUE(MakeDirs(up_ + "/file-to-dir").ok());
  Touch(up_ + "/file-to-dir/inner", "i", 0644);
  SetTime(up_ + "/a/b", 1000);
  SetTime(up_ + "/a", 1000);
  SetTime(up_ + "/keep", 1000);
  auto ch = DiffDirectories(lo, up_);
  ASSERT_TRUE(ch.ok()) << ch.status().ToString();
  std::vector<std::string> got;
  for (auto& c : *ch) got.push_back((c.kind == Change::Kind::kWhiteout ? "-" : "+") + c.path);
  std::vector<std::string> want = {"+a", "+a/b", "+a/b/mod", "+file-to-dir", "+file-to-dir/inner", "-gone"};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(DiffDirectories("", up_)->size() > 5u);
}

}  // namespace
}  // namespace kiln::cache
