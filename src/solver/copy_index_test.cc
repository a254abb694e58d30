#include "solver/copy_index.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace kiln::solver {
namespace {

void Write(const std::string& path, const std::string& data) { ASSERT_TRUE(WriteFileAtomic(path, data).ok()); }

ino_t Ino(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(CopyIndex, RoundTrips) {
  auto tmp = TempDir::Create("copyindex");
  ASSERT_TRUE(tmp.ok());
  CopyIndex idx;
  idx.snapshot = "snap-1";
  idx.parent = "";
  idx.files = {{"ctx/a", "a", "d1"}, {"ctx/new\nline", "new\nline", "d2"}};
  std::string path = CopyIndexPath(tmp->path(), "sha256:k");
  ASSERT_TRUE(WriteCopyIndex(path, idx).ok());
  auto back = ReadCopyIndex(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->snapshot, "snap-1");
  EXPECT_EQ(back->parent, "");
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[1].dest, "ctx/new\nline");
  EXPECT_EQ(back->files[1].digest, "d2");
  EXPECT_TRUE(ReadCopyIndex(tmp->path() + "/none").status().IsNotFound());
  Write(path, "garbage");
  EXPECT_FALSE(ReadCopyIndex(path).ok());
}

TEST(UpperClone, LinksUnchangedFilesAndPrunesUnvisited) {
  auto tmp = TempDir::Create("upperclone");
  ASSERT_TRUE(tmp.ok());
  std::string prev = tmp->path() + "/prev", upper = tmp->path() + "/upper";
  ASSERT_TRUE(MakeDirs(prev + "/ctx/sub").ok());
  ASSERT_TRUE(MakeDirs(upper).ok());
  chmod((prev + "/ctx/sub").c_str(), 0750);
  Write(prev + "/ctx/same", "s");
  Write(prev + "/ctx/changed", "c");
  Write(prev + "/ctx/sub/gone", "g");
  struct timespec ts[2] = {{1000, 0}, {2000, 0}};
  utimensat(AT_FDCWD, (prev + "/ctx/sub").c_str(), ts, 0);
  CopyIndex idx;
  idx.files = {{"ctx/same", "same", "D1"}, {"ctx/changed", "changed", "D2"}, {"ctx/sub/gone", "sub/gone", "D3"},
               {"ctx/missing", "missing", "D4"}};
  auto digest = [](const std::string& src) -> std::optional<std::string> {
    if (src == "same") return "D1";
    if (src == "changed") return "D2-new";
    if (src == "sub/gone") return "D3";
    if (src == "missing") return "D4";
    return std::nullopt;
  };
  auto clone = UpperClone::Clone(idx, prev, upper, digest);
  ASSERT_TRUE(clone.ok()) << clone.status().ToString();
  EXPECT_EQ(clone->files(), 2u);  // same, sub/gone; not changed, not missing
  EXPECT_EQ(Ino(upper + "/ctx/same"), Ino(prev + "/ctx/same"));
  EXPECT_FALSE(PathExists(upper + "/ctx/changed"));
  ASSERT_NE(clone->Find("ctx/same"), nullptr);
  EXPECT_EQ(clone->Find("ctx/same")->digest, "D1");
  EXPECT_EQ(clone->Find("ctx/same")->st.st_ino, Ino(prev + "/ctx/same"));
  EXPECT_EQ(clone->Find("ctx/changed"), nullptr);
  struct stat st;
  ASSERT_EQ(lstat((upper + "/ctx/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);

  // The copy produced ctx and ctx/same only: sub/gone and the emptied sub go.
  ASSERT_TRUE(clone->Prune({"ctx", "ctx/same"}).ok());
  EXPECT_TRUE(PathExists(upper + "/ctx/same"));
  EXPECT_FALSE(PathExists(upper + "/ctx/sub"));
  EXPECT_TRUE(PathExists(prev + "/ctx/sub/gone"));  // the earlier result is untouched
}

}  // namespace
}  // namespace kiln::solver
