#include "base/reference.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

std::string Norm(const std::string& s) {
  auto r = ParseReference(s);
  return r.ok() ? r->String() : "ERROR: " + r.status().message();
}

TEST(Reference, Normalises) {
  auto r = ParseReference("busybox");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r->Familiar(), "busybox:latest");
  EXPECT_EQ(Norm("127.0.0.1:5000/busybox:1.36"), "127.0.0.1:5000/busybox:1.36");
  EXPECT_EQ(Norm("localhost/a/b"), "localhost/a/b:latest");
  EXPECT_EQ(Norm("localhost:5000/a"), "localhost:5000/a:latest");
  EXPECT_EQ(Norm("user/app:v1"), "docker.io/user/app:v1");
  EXPECT_EQ(Norm("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("index.docker.io/library/busybox:1"), "docker.io/library/busybox:1");
  EXPECT_EQ(Norm("docker.io/library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(Norm("ghcr.io/a/b/c:x"), "ghcr.io/a/b/c:x");
  EXPECT_EQ(Norm("[::1]:5000/a:b"), "[::1]:5000/a:b");
  // Upper-case first component is a domain, as in docker.
  EXPECT_EQ(Norm("Foo/bar"), "Foo/bar:latest");
  // No slash: "localhost:5000" is repository "localhost" with tag "5000".
  EXPECT_EQ(Norm("localhost:5000"), "docker.io/library/localhost:5000");
  EXPECT_EQ(Norm("a_b__c-d--e/x.y"), "docker.io/a_b__c-d--e/x.y:latest");
  EXPECT_FALSE(ParseReference("a_b.c/x").ok());  // a domain (has a dot) with an invalid label
}

TEST(Reference, Digests) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto withd = ParseReference("busybox:1@" + d);
  ASSERT_TRUE(withd.ok());
  EXPECT_EQ(withd->ManifestRef(), d);
  EXPECT_EQ(withd->tag, "1");
  EXPECT_EQ(withd->String(), "docker.io/library/busybox:1@" + d);
  EXPECT_EQ(withd->Familiar(), "busybox:1@" + d);
  auto only = ParseReference("localhost:5000/x@" + d);
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->tag, "");
  EXPECT_EQ(only->String(), "localhost:5000/x@" + d);
}

TEST(Reference, Familiar) {
  EXPECT_EQ(ParseReference("user/app")->Familiar(), "user/app:latest");
  EXPECT_EQ(ParseReference("docker.io/library/a/b")->Familiar(), "library/a/b:latest");
  EXPECT_EQ(ParseReference("localhost:5000/a")->Familiar(), "localhost:5000/a:latest");
}

TEST(Reference, RejectsBadInput) {
  for (const std::string& s : std::vector<std::string>{"", "Busybox", "busybox:", "busybox@sha256:123", "a//b", "/a", "a/", "busybox:-x",
                        "busybox:.x", "a/b:c:d", "-a", "a-", "a..b", "a___b", "bad host/x", "host:port/x",
                        "my-.host/x", "localhost:5000/A", "busybox@md5:0", std::string(64, 'a'),
                        "busybox@sha256:" + std::string(64, 'A'), "busybox:" + std::string(129, 'a'),
                        "a/" + std::string(255, 'b')}) {
    auto r = ParseReference(s);
    EXPECT_FALSE(r.ok()) << s << " -> " << (r.ok() ? r->String() : "");
  }
  EXPECT_NE(ParseReference("Busybox").status().message().find("lowercase"), std::string::npos);
  EXPECT_NE(ParseReference("a:").status().message().find("tag"), std::string::npos);
  // Long tags up to 128 are fine.
  EXPECT_TRUE(ParseReference("busybox:" + std::string(128, 'a')).ok());
}

TEST(Reference, RegistryHost) {
  EXPECT_EQ(*NormalizeRegistryHost("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(*NormalizeRegistryHost("localhost:5000"), "localhost:5000");
  EXPECT_EQ(*NormalizeRegistryHost("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  EXPECT_FALSE(NormalizeRegistryHost("a/b").ok());
  EXPECT_FALSE(NormalizeRegistryHost("").ok());
}

}  // namespace
}  // namespace kiln
