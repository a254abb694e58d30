#include "cache/layer_apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/layer_test_util.h"
#include "cache/layer_writer.h"

namespace kiln::cache {
namespace {

using testing::TarEntry;
using testing::WriteTar;

TarEntry File(const std::string& name, const std::string& data, mode_t mode = 0644) {
  TarEntry e;
  e.name = name;
  e.mode = S_IFREG | mode;
  e.data = data;
  e.mtime = 1234;
  return e;
}
TarEntry Dir(const std::string& name, mode_t mode = 0755) {
  TarEntry e;
  e.name = name;
  e.mode = S_IFDIR | mode;
  e.mtime = 1234;
  return e;
}
TarEntry Symlink(const std::string& name, const std::string& target) {
  TarEntry e;
  e.name = name;
  e.mode = S_IFLNK | 0777;
  e.symlink = target;
  return e;
}
TarEntry Hardlink(const std::string& name, const std::string& target) {
  TarEntry e;
  e.name = name;
  e.mode = S_IFREG | 0644;
  e.hardlink = target;
  return e;
}

class LayerApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, trusted xattrs)";
    tmp_ = NewTestDir("kiln-apply");
    ASSERT_TRUE(tmp_);
    dst_ = tmp_->path() + "/dst";
    outside_ = tmp_->path() + "/outside";
    ASSERT_TRUE(MakeDirs(dst_).ok());
    ASSERT_TRUE(MakeDirs(outside_).ok());
  }
  Result<ApplyResult> Apply(const std::vector<TarEntry>& es, WhiteoutMode m = WhiteoutMode::kOverlay) {
    std::string tar = tmp_->path() + "/layer" + std::to_string(n_++) + ".tar";
    WriteTar(tar, es);
    return ApplyLayer(tar, dst_, m);
  }
  bool OutsideEmpty() { return std::filesystem::is_empty(outside_); }
  void ExpectRejected(const std::vector<TarEntry>& es, const std::string& entry) {
    auto r = Apply(es);
    ASSERT_FALSE(r.ok()) << "accepted a hostile layer with " << entry;
    EXPECT_NE(r.status().message().find(entry), std::string::npos) << r.status().ToString();
    EXPECT_TRUE(OutsideEmpty());
  }
  std::unique_ptr<TempDir> tmp_;
  std::string dst_, outside_;
  int n_ = 0;
};

TEST_F(LayerApplyTest, RoundTripThroughWriterKeepsAttributes) {
  std::string src = tmp_->path() + "/src";
  ASSERT_TRUE(MakeDirs(src + "/d").ok());
  ASSERT_TRUE(WriteFileAtomic(src + "/d/suid", "x", 04755).ok());
  ASSERT_EQ(chmod((src + "/d/suid").c_str(), 04755), 0);
  ASSERT_TRUE(WriteFileAtomic(src + "/d/f", "data").ok());
  ASSERT_EQ(lchown((src + "/d/f").c_str(), 123, 456), 0);
  ASSERT_EQ(link((src + "/d/f").c_str(), (src + "/d/f2").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (src + "/abs-link").c_str()), 0);
  ASSERT_EQ(mkfifo((src + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(lsetxattr((src + "/d/f").c_str(), "user.k", "v", 1, 0), 0);
  // security.capability v2 granting cap_net_bind_service: the one xattr layers carry.
  const std::string cap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  ASSERT_EQ(lsetxattr((src + "/d/f").c_str(), "security.capability", cap.data(), cap.size(), 0), 0);
  ASSERT_EQ(mknod((src + "/wh").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(lsetxattr((src + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(chmod((src + "/d").c_str(), 01750), 0);
  struct timespec ts[2] = {{777, 0}, {777, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (src + "/d").c_str(), ts, 0), 0);
  auto store = OpenLocalContentStore(tmp_->path() + "/root");
  LayerOptions o;
  o.compression = Compression::kZstd;
  auto rec = WriteLayer(*DiffOverlayUpper(src), **store, o);
  ASSERT_TRUE(rec.ok());
  auto r = ApplyLayer(*(*store)->Path(rec->digest), dst_, WhiteoutMode::kOverlay);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->diff_id, rec->diff_id);
  struct stat st;
  ASSERT_EQ(lstat((dst_ + "/d/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 04755);
  ASSERT_EQ(lstat((dst_ + "/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 123u);
  EXPECT_EQ(st.st_gid, 456u);
  EXPECT_EQ(st.st_nlink, 2u);
  ASSERT_EQ(lstat((dst_ + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 01750);
  EXPECT_EQ(st.st_mtim.tv_sec, 777);
  char v[4] = {};
  EXPECT_EQ(lgetxattr((dst_ + "/d").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_LT(lgetxattr((dst_ + "/d/f").c_str(), "user.k", v, sizeof v), 0) << "user.* xattrs stay out of layers";
  char capv[32] = {};
  EXPECT_EQ(lgetxattr((dst_ + "/d/f").c_str(), "security.capability", capv, sizeof capv), 20);
  ASSERT_EQ(lstat((dst_ + "/wh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
  ASSERT_EQ(lstat((dst_ + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  char target[64] = {};
  ASSERT_GT(readlink((dst_ + "/abs-link").c_str(), target, sizeof target), 0);
  EXPECT_STREQ(target, "/etc/passwd");
}

TEST_F(LayerApplyTest, DeleteModeAppliesWhiteoutsToAFullTree) {
  ASSERT_TRUE(MakeDirs(dst_ + "/keep").ok());
  ASSERT_TRUE(MakeDirs(dst_ + "/opq/old-dir").ok());
  ASSERT_TRUE(WriteFileAtomic(dst_ + "/gone", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(dst_ + "/opq/old", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(dst_ + "/keep/k", "x").ok());
  TarEntry wh = File(".wh.gone", "");
  TarEntry opq = File("opq/.wh..wh..opq", "");
  auto r = Apply({wh, Dir("opq"), File("opq/new", "n"), opq}, WhiteoutMode::kDelete);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(PathExists(dst_ + "/gone"));
  EXPECT_FALSE(PathExists(dst_ + "/opq/old"));
  EXPECT_FALSE(PathExists(dst_ + "/opq/old-dir"));
  EXPECT_TRUE(PathExists(dst_ + "/opq/new"));  // same layer: kept
  EXPECT_TRUE(PathExists(dst_ + "/keep/k"));
  EXPECT_EQ(r->entries, 4);
}

TEST_F(LayerApplyTest, ReplacesFilesWithDirsAndBack) {
  ASSERT_TRUE(Apply({File("a", "file"), Dir("b"), File("b/x", "x")}, WhiteoutMode::kDelete).ok());
  auto r = Apply({Dir("a"), File("a/in", "in"), File("b", "now a file")}, WhiteoutMode::kDelete);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*ReadFile(dst_ + "/a/in"), "in");
  EXPECT_EQ(*ReadFile(dst_ + "/b"), "now a file");
}

TEST_F(LayerApplyTest, MissingParentsAreCreated) {
  ASSERT_TRUE(Apply({File("x/y/z", "deep")}).ok());
  EXPECT_EQ(*ReadFile(dst_ + "/x/y/z"), "deep");
}

TEST_F(LayerApplyTest, RejectsDotDot) { ExpectRejected({File("../outside/evil", "x")}, "../outside/evil"); }
TEST_F(LayerApplyTest, RejectsDotDotInTheMiddle) { ExpectRejected({File("a/../../outside/evil", "x")}, "a/../../outside/evil"); }
TEST_F(LayerApplyTest, RejectsAbsoluteNames) {
  ExpectRejected({File(outside_ + "/evil", "x")}, outside_ + "/evil");
}
TEST_F(LayerApplyTest, RejectsWritingThroughASymlinkedParent) {
  ExpectRejected({Symlink("link", outside_), File("link/evil", "x")}, "link/evil");
  ExpectRejected({Symlink("rel", "../outside"), Dir("rel/sub")}, "rel/sub");
}
TEST_F(LayerApplyTest, RejectsWhiteoutThroughASymlinkedParent) {
  ASSERT_TRUE(WriteFileAtomic(outside_ + "/victim", "v").ok());
  auto r = Apply({Symlink("link", outside_), File("link/.wh.victim", "")}, WhiteoutMode::kDelete);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(PathExists(outside_ + "/victim"));
  ASSERT_EQ(unlink((outside_ + "/victim").c_str()), 0);
}
TEST_F(LayerApplyTest, RejectsHardLinksPointingOut) {
  ASSERT_TRUE(WriteFileAtomic(outside_ + "/secret", "s").ok());
  auto r = Apply({Hardlink("h", "../outside/secret")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("`h`"), std::string::npos) << r.status().ToString();
  r = Apply({Hardlink("h2", outside_ + "/secret")});
  ASSERT_FALSE(r.ok());
  r = Apply({Symlink("l", outside_), Hardlink("h3", "l/secret")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("symlink"), std::string::npos) << r.status().ToString();
  struct stat st;
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  ASSERT_EQ(unlink((outside_ + "/secret").c_str()), 0);
}
TEST_F(LayerApplyTest, HardLinkToASymlinkLinksTheSymlinkItself) {
  ASSERT_TRUE(WriteFileAtomic(outside_ + "/secret", "s").ok());
  auto r = Apply({Symlink("l", outside_ + "/secret"), Hardlink("h", "l")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  struct stat st;
  ASSERT_EQ(lstat((dst_ + "/h").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(stat((outside_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  ASSERT_EQ(unlink((outside_ + "/secret").c_str()), 0);
}
TEST_F(LayerApplyTest, RejectsHugeNames) {
  std::string name(5000, 'a');
  auto r = Apply({File(name, "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("5000 bytes"), std::string::npos) << r.status().ToString();
}
TEST_F(LayerApplyTest, HugePaxHeaderIsAnErrorNotACrash) {
  TarEntry e = File("big-xattr", "x");
  e.xattrs["user.big"] = std::string(8 << 20, 'x');  // 8 MiB pax record
  auto r = Apply({e});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  EXPECT_NE(r.status().message().find("too large"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(OutsideEmpty());
}
TEST_F(LayerApplyTest, OverlayXattrsFromTheArchiveAreIgnored) {
  TarEntry d = Dir("d");
  d.xattrs["trusted.overlay.redirect"] = "/etc";
  ASSERT_TRUE(Apply({d}).ok());
  char v[16];
  EXPECT_LT(lgetxattr((dst_ + "/d").c_str(), "trusted.overlay.redirect", v, sizeof v), 0);
}
TEST_F(LayerApplyTest, CorruptCompressedLayerIsCorruption) {
  std::string p = tmp_->path() + "/bad.tar.gz";
  ASSERT_TRUE(WriteFileAtomic(p, std::string("\x1f\x8b\x08\x00garbage-garbage-garbage", 27)).ok());
  auto r = ApplyLayer(p, dst_, WhiteoutMode::kOverlay);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.tar.gz"), std::string::npos) << r.status().ToString();
}
TEST_F(LayerApplyTest, GzipWithTrailingZeroPaddingIsAccepted) {
  std::string tar = tmp_->path() + "/p.tar";
  WriteTar(tar, {File("f", "padded")});
  ASSERT_EQ(system(("gzip -n -k " + tar + " && head -c 1000 /dev/zero >> " + tar + ".gz").c_str()), 0);
  auto r = ApplyLayer(tar + ".gz", dst_, WhiteoutMode::kOverlay);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->diff_id, *Sha256File(tar));
  EXPECT_EQ(*ReadFile(dst_ + "/f"), "padded");
}

TEST_F(LayerApplyTest, NotATarIsAClearError) {
  std::string p = tmp_->path() + "/junk";
  ASSERT_TRUE(WriteFileAtomic(p, std::string(2000, 'j')).ok());
  auto r = ApplyLayer(p, dst_, WhiteoutMode::kOverlay);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("junk"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace kiln::cache
