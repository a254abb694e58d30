#include "registry/auth.h"

#include <gtest/gtest.h>

namespace kiln::registry {
namespace {

TEST(Challenge, Bearer) {
  auto c = ParseChallenges({R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].Param("scope"), "repository:library/busybox:pull");
}

TEST(Challenge, BasicAndSeveral) {
  auto c = ParseChallenges({R"(Basic realm="Registry Realm")", R"(Bearer realm="x", error="insufficient_scope")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "Registry Realm");
  EXPECT_EQ(c[1].Param("error"), "insufficient_scope");
  // Two challenges in one header value, a quoted comma and an escaped quote.
  auto d = ParseChallenges({R"(Basic realm="a,b", Bearer realm="r\"q",service=s)"});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].Param("realm"), "a,b");
  EXPECT_EQ(d[1].scheme, "bearer");
  EXPECT_EQ(d[1].Param("realm"), "r\"q");
  EXPECT_EQ(d[1].Param("service"), "s");
}

TEST(Challenge, Scopes) {
  EXPECT_EQ(RepositoryScope("a/b", false), "repository:a/b:pull");
  EXPECT_EQ(RepositoryScope("a/b", true), "repository:a/b:pull,push");
}

}  // namespace
}  // namespace kiln::registry
