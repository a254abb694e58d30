#include "base/status.h"

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
