// End to end: layers unpacked into snapshots (both snapshotters), mounted for real,
// and exported again.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/layer_apply.h"
#include "cache/layer_export.h"
#include "cache/layer_test_util.h"

namespace kiln::cache {
namespace {

using testing::TarEntry;

TarEntry F(const std::string& n, const std::string& d) { return {n, S_IFREG | 0644, 0, 0, 0, 100, "", "", d}; }
TarEntry D(const std::string& n) { return {n, S_IFDIR | 0755, 0, 0, 0, 100}; }

class LayerSnapshotTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for mounts";
    tmp_ = NewTestDir("kiln-ls");
    ASSERT_TRUE(tmp_);
    root_ = tmp_->path() + "/root";
    auto sn = OpenSnapshotter(root_, {GetParam(), 3072});
    ASSERT_TRUE(sn.ok());
    sn_ = std::move(*sn);
    cs_ = std::move(OpenLocalContentStore(root_)).value();
    md_ = std::move(MetadataStore::Open(root_)).value();
  }
  // Unpacks a tar of `es` as committed snapshot `key` over `parent`.
  void Unpack(const std::string& key, const std::string& parent, const std::vector<TarEntry>& es) {
    std::string tar = tmp_->path() + "/" + key + ".tar";
    testing::WriteTar(tar, es);
    ASSERT_TRUE(sn_->Prepare(key + "-a", parent).ok());
    auto r = ApplyLayerToSnapshot(tar, *sn_, key + "-a");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->diff_id, *Sha256File(tar));
    ASSERT_TRUE(sn_->Commit(key, key + "-a").ok());
  }
  std::unique_ptr<TempDir> tmp_;
  std::string root_;
  std::unique_ptr<Snapshotter> sn_;
  std::unique_ptr<ContentStore> cs_;
  std::unique_ptr<MetadataStore> md_;
};

TEST_P(LayerSnapshotTest, WhiteoutsHideLowerLayersWhenMounted) {
  Unpack("base", "", {D("etc"), F("etc/keep", "k"), F("etc/gone", "g"), D("opq"), F("opq/old", "o")});
  TarEntry wh = F("etc/.wh.gone", "");
  TarEntry opq = F("opq/.wh..wh..opq", "");
  Unpack("top", "base", {D("etc"), wh, D("opq"), opq, F("opq/new", "n")});
  auto v = sn_->View("top");
  ASSERT_TRUE(v.ok());
  std::string mnt = tmp_->path() + "/mnt";
  ASSERT_TRUE(MakeDirs(mnt).ok());
  int rc = v->type == "overlay" ? mount("overlay", mnt.c_str(), "overlay", MS_RDONLY, v->OverlayOptions().c_str())
                                : mount(v->dir.c_str(), mnt.c_str(), nullptr, MS_BIND, nullptr);
  ASSERT_EQ(rc, 0) << strerror(errno);
  EXPECT_TRUE(PathExists(mnt + "/etc/keep"));
  EXPECT_FALSE(PathExists(mnt + "/etc/gone"));
  EXPECT_FALSE(PathExists(mnt + "/opq/old"));
  EXPECT_TRUE(PathExists(mnt + "/opq/new"));
  umount2(mnt.c_str(), MNT_DETACH);

  // Exporting the top snapshot gives the whiteouts back.
  LayerOptions o;
  o.compression = Compression::kGzip;
  auto l = SnapshotLayer(*sn_, *md_, *cs_, "top", o);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  auto es = testing::ReadTar(*cs_->Path(l->digest));
  ASSERT_TRUE(es.ok());
  std::set<std::string> names;
  for (auto& e : *es) names.insert(e.name);
  EXPECT_TRUE(names.count("etc/.wh.gone"));
  EXPECT_TRUE(names.count("opq/new"));
  EXPECT_FALSE(names.count("etc/keep"));
  if (GetParam() == "overlayfs") EXPECT_TRUE(names.count("opq/.wh..wh..opq"));
  else EXPECT_TRUE(names.count("opq/.wh.old"));  // the copy differ whiteouts each deleted entry
}

INSTANTIATE_TEST_SUITE_P(Kinds, LayerSnapshotTest, ::testing::Values("overlayfs", "copy"));

}  // namespace
}  // namespace kiln::cache
