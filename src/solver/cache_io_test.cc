#include "solver/cache_io.h"

#include <gtest/gtest.h>

#include "solver/remote_context.h"

namespace kiln::solver {
namespace {

TEST(CacheSpec, RegistryAndModes) {
  auto s = ParseCacheTo("type=registry,ref=127.0.0.1:5000/app:cache,mode=max");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, CacheSpec::Type::kRegistry);
  EXPECT_EQ(s->ref, "127.0.0.1:5000/app:cache");
  EXPECT_TRUE(s->max);
  s = ParseCacheTo("type=local,dest=/tmp/c");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, CacheSpec::Type::kLocal);
  EXPECT_EQ(s->dir, "/tmp/c");
  EXPECT_FALSE(s->max);
  s = ParseCacheTo("type=inline");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, CacheSpec::Type::kInline);
}

TEST(CacheSpec, FromBareRefAndLocal) {
  auto s = ParseCacheFrom("reg.example:5000/app:cache");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->type, CacheSpec::Type::kRegistry);
  EXPECT_EQ(s->ref, "reg.example:5000/app:cache");
  s = ParseCacheFrom("type=local,src=/c");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->dir, "/c");
}

TEST(CacheSpec, ErrorsNameTheAttribute) {
  auto s = ParseCacheTo("type=local,dest=/c,colour=red");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("unknown attribute `colour`"), std::string::npos) << s.status().message();
  s = ParseCacheFrom("type=gha");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("unknown cache type `gha`"), std::string::npos);
  EXPECT_FALSE(ParseCacheFrom("type=inline").ok());   // inline is only a --cache-to
  EXPECT_FALSE(ParseCacheFrom("type=local,dest=/c").ok());  // src= for imports
  EXPECT_FALSE(ParseCacheTo("type=local").ok());
  EXPECT_FALSE(ParseCacheTo("type=registry,ref=x,mode=all").ok());
  EXPECT_FALSE(ParseCacheTo("type=registry").ok());
}

TEST(RemoteContext, GitOrHttp) {
  EXPECT_TRUE(IsGitContextUrl("https://example.com/org/repo.git#main:sub"));
  EXPECT_TRUE(IsGitContextUrl("https://example.com/org/repo.git"));
  EXPECT_TRUE(IsGitContextUrl("git://127.0.0.1:9418/repo.git"));
  EXPECT_TRUE(IsGitContextUrl("git@github.com:org/repo.git"));
  EXPECT_TRUE(IsGitContextUrl("github.com/org/repo"));
  EXPECT_FALSE(IsGitContextUrl("https://example.com/ctx.tar.gz"));
  EXPECT_TRUE(IsHttpContextUrl("https://example.com/ctx.tar.gz"));
  EXPECT_FALSE(IsHttpContextUrl("https://example.com/repo.git"));
  EXPECT_FALSE(IsHttpContextUrl("."));
  EXPECT_FALSE(IsGitContextUrl("./dir.git"));
}

}  // namespace
}  // namespace kiln::solver
