#include "base/reference.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(Reference, Normalises) {
  auto r = ParseReference("busybox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r->Familiar(), "busybox:latest");
  EXPECT_EQ(ParseReference("127.0.0.1:5000/busybox:1.36")->String(), "127.0.0.1:5000/busybox:1.36");
  EXPECT_EQ(ParseReference("localhost/a/b")->String(), "localhost/a/b:latest");
  EXPECT_EQ(ParseReference("user/app:v1")->String(), "docker.io/user/app:v1");
  std::string d = "sha256:" + std::string(64, 'a');
  auto withd = ParseReference("busybox:1@" + d);
  ASSERT_TRUE(withd.ok());
  EXPECT_EQ(withd->ManifestRef(), d);
  EXPECT_EQ(withd->tag, "1");
}

TEST(Reference, RejectsBadInput) {
  EXPECT_FALSE(ParseReference("").ok());
  EXPECT_FALSE(ParseReference("Busybox").ok());
  EXPECT_FALSE(ParseReference("busybox:").ok());
  EXPECT_FALSE(ParseReference("busybox@sha256:123").ok());
  EXPECT_FALSE(ParseReference("a//b").ok());
}

}  // namespace
}  // namespace kiln
