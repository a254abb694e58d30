#include "base/status.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "base/digest.h"
#include "base/fs.h"

namespace kiln {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, ResultChains) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

TEST(Status, LocationAndHint) {
  Status s = Status::InvalidArgument("unknown instruction: MKDIR")
                 .WithLocation({"Dockerfile", 3, 1})
                 .WithHint("did you mean RUN mkdir?");
  EXPECT_EQ(s.ToString(), "Dockerfile:3:1: unknown instruction: MKDIR\n  hint: did you mean RUN mkdir?");
  EXPECT_EQ(Status::FromErrno(2, "open", "/x").message(), "open `/x`: No such file or directory");
}

TEST(Status, FromErrnoKeepsErrno) {
  Status missing = Status::FromErrno(ENOENT, "open", "/x");
  Status denied = Status::FromErrno(EACCES, "open", "/x");
  // Code and message are as before; the errno tells the two apart.
  EXPECT_EQ(missing.code(), Code::kIOError);
  EXPECT_EQ(denied.code(), Code::kIOError);
  EXPECT_EQ(denied.message(), "open `/x`: Permission denied");
  EXPECT_EQ(missing.sys_errno(), ENOENT);
  EXPECT_TRUE(missing.IsErrno(ENOENT));
  EXPECT_FALSE(missing.IsErrno(EACCES));
  EXPECT_TRUE(denied.IsErrno(EACCES));
  EXPECT_FALSE(denied.IsErrno(ENOENT));
}

TEST(Status, ErrnoSurvivesContextLocationAndHint) {
  Status s = Status::FromErrno(EEXIST, "mkdir", "/d")
                 .WithContext("COPY")
                 .WithLocation({"Dockerfile", 2, 1})
                 .WithHint("remove it");
  EXPECT_TRUE(s.IsErrno(EEXIST));
  EXPECT_EQ(s.message(), "COPY: mkdir `/d`: File exists");
}

TEST(Status, NonErrnoStatusHasNoErrno) {
  EXPECT_EQ(Status::OK().sys_errno(), 0);
  EXPECT_EQ(Status::IOError("short read").sys_errno(), 0);
  EXPECT_FALSE(Status::NotFound("x").IsErrno(0));
}

TEST(Status, ReadFileOfMissingPathReportsEnoent) {
  auto dir = TempDir::Create("kiln-status-test");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  auto r = ReadFile(dir->path() + "/absent");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsErrno(ENOENT)) << r.status().ToString();
}

TEST(Digest, KnownVectors) {
  EXPECT_EQ(Sha256Digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(IsValidDigest(Sha256Digest("abc")));
  EXPECT_FALSE(IsValidDigest("sha256:xyz"));
  EXPECT_EQ(DigestHex("sha256:ab"), "ab");
}

TEST(Fs, AtomicWriteAndTempDir) {
  std::string path;
  {
    auto d = TempDir::Create("kiln-test");
    ASSERT_TRUE(d.ok());
    path = d->path();
    ASSERT_TRUE(WriteFileAtomic(path + "/f", "hello").ok());
    EXPECT_EQ(*ReadFile(path + "/f"), "hello");
    ASSERT_TRUE(WriteFileAtomic(path + "/f", "bye").ok());
    EXPECT_EQ(*ReadFile(path + "/f"), "bye");
    EXPECT_EQ(*Sha256File(path + "/f"), Sha256Digest("bye"));
  }
  EXPECT_FALSE(PathExists(path));
  EXPECT_FALSE(ReadFile("/nonexistent/x").ok());
}

}  // namespace
}  // namespace kiln
