#include "cache/snapshotter.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/test_dir.h"
#include "cache/metadata.h"

namespace kiln::cache {
namespace {

// Mounts `m` on `target` (overlay or bind), unmounted by the destructor.
class Mounted {
 public:
  Mounted(const MountSpec& m, const std::string& target) : target_(target) {
    int rc;
    if (m.type == "overlay") {
      rc = mount("overlay", target.c_str(), "overlay", m.readonly ? MS_RDONLY : 0, m.OverlayOptions().c_str());
    } else {
      rc = mount(m.dir.c_str(), target.c_str(), nullptr, MS_BIND, nullptr);
      if (rc == 0 && m.readonly)
        rc = mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
    }
    ok_ = rc == 0;
    if (!ok_) error_ = strerror(errno) + std::string(" options=") + m.OverlayOptions();
  }
  ~Mounted() {
    if (ok_) umount2(target_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  std::string target_, error_;
  bool ok_ = false;
};

std::string Read(const std::string& p) {
  auto r = ReadFile(p);
  return r.ok() ? *r : "<missing>";
}

class SnapshotterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for mounts";
    tmp_ = NewTestDir("kiln-snap");
    ASSERT_TRUE(tmp_);
    root_ = tmp_->path() + "/root";
    mnt_ = tmp_->path() + "/mnt";
    ASSERT_TRUE(MakeDirs(mnt_).ok());
    Open(SnapshotterOptions{GetParam(), 3072});
  }
  void Open(SnapshotterOptions o) {
    sn_.reset();
    auto s = OpenSnapshotter(root_, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sn_ = std::move(*s);
    ASSERT_EQ(sn_->Kind(), GetParam());
  }
  std::unique_ptr<TempDir> tmp_;
  std::string root_, mnt_;
  std::unique_ptr<Snapshotter> sn_;
};

TEST_P(SnapshotterTest, PrepareWriteCommitView) {
  auto m = sn_->Prepare("a-active", "");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  {
    Mounted mt(*m, mnt_);
    ASSERT_TRUE(mt.ok()) << mt.error();
    ASSERT_TRUE(WriteFileAtomic(mnt_ + "/keep", "1").ok());
    ASSERT_TRUE(WriteFileAtomic(mnt_ + "/gone", "2").ok());
    ASSERT_TRUE(MakeDirs(mnt_ + "/dir/sub").ok());
    ASSERT_TRUE(WriteFileAtomic(mnt_ + "/dir/sub/old", "3").ok());
  }
  ASSERT_TRUE(sn_->Commit("a", "a-active").ok());
  EXPECT_TRUE(sn_->Stat("a")->committed);
  EXPECT_TRUE(sn_->Stat("a-active").status().IsNotFound());
  EXPECT_EQ(sn_->Commit("a2", "a").code(), Code::kFailedPrecondition);

  m = sn_->Prepare("b-active", "a");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->type, GetParam() == "overlayfs" ? "overlay" : "bind");
  {
    Mounted mt(*m, mnt_);
    ASSERT_TRUE(mt.ok()) << mt.error();
    EXPECT_EQ(Read(mnt_ + "/keep"), "1");
    ASSERT_EQ(unlink((mnt_ + "/gone").c_str()), 0);
    ASSERT_TRUE(RemoveAll(mnt_ + "/dir").ok());
    ASSERT_TRUE(MakeDirs(mnt_ + "/dir").ok());
    ASSERT_TRUE(WriteFileAtomic(mnt_ + "/dir/new", "4").ok());
  }
  ASSERT_TRUE(sn_->Commit("b", "b-active").ok());
  EXPECT_EQ(sn_->Stat("b")->parent, "a");

  if (GetParam() == "overlayfs") {  // the layer dir holds overlay whiteouts and an opaque dir
    std::string layer = *sn_->LayerDir("b");
    struct stat st;
    ASSERT_EQ(lstat((layer + "/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, 0u);
    char v[2] = {};
    EXPECT_EQ(lgetxattr((layer + "/dir").c_str(), "trusted.overlay.opaque", v, 1), 1);
    EXPECT_EQ(v[0], 'y');
    auto in = sn_->DiffInputs("b");
    EXPECT_TRUE(in->overlay_upper);
    EXPECT_EQ(in->upper, layer);
  } else {
    auto in = sn_->DiffInputs("b");
    EXPECT_FALSE(in->overlay_upper);
    EXPECT_EQ(in->lower, *sn_->LayerDir("a"));
  }

  auto v = sn_->View("b");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  {
    Mounted mt(*v, mnt_);
    ASSERT_TRUE(mt.ok()) << mt.error();
    EXPECT_EQ(Read(mnt_ + "/keep"), "1");
    EXPECT_FALSE(PathExists(mnt_ + "/gone"));
    EXPECT_FALSE(PathExists(mnt_ + "/dir/sub"));
    EXPECT_EQ(Read(mnt_ + "/dir/new"), "4");
    EXPECT_NE(WriteFileAtomic(mnt_ + "/x", "ro").code(), Code::kOk);
  }
  // Parents cannot be removed before their children; records persist across reopen.
  EXPECT_EQ(sn_->Remove("a").code(), Code::kFailedPrecondition);
  Open(SnapshotterOptions{GetParam(), 3072});
  EXPECT_EQ(sn_->List()->size(), 2u);
  {  // commit leaves the size unknown; the first Usage measures and records it
    auto md = MetadataStore::Open(root_);
    ASSERT_TRUE(md.ok());
    EXPECT_EQ((*md)->GetSnapshot("a")->size, -1);
    int64_t used = *sn_->Usage("a");
    EXPECT_GT(used, 0);
    EXPECT_EQ((*md)->GetSnapshot("a")->size, used);
  }
  ASSERT_TRUE(sn_->Remove("b").ok());
  ASSERT_TRUE(sn_->Remove("a").ok());
  EXPECT_TRUE(sn_->List()->empty());
}

TEST_P(SnapshotterTest, PrepareOnActiveParentFails) {
  ASSERT_TRUE(sn_->Prepare("x", "").ok());
  auto m = sn_->Prepare("y", "x");
  EXPECT_EQ(m.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(sn_->Prepare("x", "").status().code(), Code::kAlreadyExists);
  EXPECT_TRUE(sn_->Prepare("z", "missing").status().IsNotFound());
}

TEST_P(SnapshotterTest, EmptyView) {
  auto v = sn_->View("");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type, "bind");
  EXPECT_TRUE(std::filesystem::is_empty(v->dir));
}

// A chain longer than the lowerdir limit is flattened and still shows the right tree.
TEST_P(SnapshotterTest, DeepChainIsFlattened) {
  Open(SnapshotterOptions{GetParam(), 400});  // ~5 layer paths fit
  std::string parent;
  for (int i = 0; i < 14; i++) {
    std::string key = "l" + std::to_string(i);
    auto m = sn_->Prepare(key + "-a", parent);
    ASSERT_TRUE(m.ok()) << i << ": " << m.status().ToString();
    if (m->type == "overlay") {
      EXPECT_LE(m->OverlayOptions().size(), 400u) << m->OverlayOptions();
    }
    {
      Mounted mt(*m, mnt_);
      ASSERT_TRUE(mt.ok()) << i << ": " << mt.error();
      ASSERT_TRUE(WriteFileAtomic(mnt_ + "/f" + std::to_string(i), std::to_string(i)).ok());
      if (i > 0) {
        ASSERT_EQ(unlink((mnt_ + "/f" + std::to_string(i - 1)).c_str()), 0);
      }
      ASSERT_TRUE(WriteFileAtomic(mnt_ + "/all", std::to_string(i)).ok());
    }
    ASSERT_TRUE(sn_->Commit(key, key + "-a").ok());
    parent = key;
  }
  auto v = sn_->View(parent);
  ASSERT_TRUE(v.ok());
  Mounted mt(*v, mnt_);
  ASSERT_TRUE(mt.ok()) << mt.error();
  EXPECT_EQ(Read(mnt_ + "/all"), "13");
  EXPECT_EQ(Read(mnt_ + "/f13"), "13");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(mnt_)) (void)e, files++;
  EXPECT_EQ(files, 2);
  if (GetParam() == "overlayfs") {
    auto md = MetadataStore::Open(root_);
    int flattened = 0;
    auto recs = (*md)->ListSnapshots();
    ASSERT_TRUE(recs.ok());
    for (auto& r : *recs) flattened += !r.flat_id.empty();
    EXPECT_GE(flattened, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, SnapshotterTest, ::testing::Values("overlayfs", "copy"));

TEST(SnapshotterProbe, PicksOverlayWhenItWorks) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto t = TempDir::Create("kiln-probe");
  auto s = OpenSnapshotter(t->path());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Kind(), "overlayfs");
  EXPECT_TRUE(OpenSnapshotter(t->path(), {"zfs", 1}).status().IsInvalidArgument());
}

}  // namespace
}  // namespace kiln::cache
