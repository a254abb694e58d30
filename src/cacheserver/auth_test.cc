#include "cacheserver/auth.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/test_dir.h"

namespace kiln::cacheserver {
namespace {

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2y$", 5, nullptr, 0, salt, sizeof salt), nullptr);
  struct crypt_data data {};
  return crypt_r(password.c_str(), salt, &data);
}

std::string BasicHeader(const std::string& user, const std::string& pass) {
  std::string in = user + ":" + pass;
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

TEST(Auth, RightsCoverPrefixes) {
  Right team{"team-a/*", true}, one{"team-a/app/main", false}, all{"*", false};
  EXPECT_TRUE(team.Covers("team-a/app"));
  EXPECT_FALSE(team.Covers("team-ab/app"));
  EXPECT_FALSE(team.Covers("team-a"));
  EXPECT_TRUE(one.Covers("team-a/app/main"));
  EXPECT_FALSE(one.Covers("team-a/app/main2"));
  EXPECT_TRUE(all.Covers("x"));
  Principal p{"ci", {Right{"team/app/pr-1", true}, Right{"team/app/*", false}}};
  EXPECT_TRUE(p.Can("team/app/main", false));
  EXPECT_FALSE(p.Can("team/app/main", true));
  EXPECT_TRUE(p.Can("team/app/pr-1", true));
}

TEST(Auth, HtpasswdAndTokens) {
  auto dir = NewTestDir("cs-auth");
  ASSERT_TRUE(dir);
  std::string htpasswd = dir->path() + "/htpasswd", tokens = dir->path() + "/tokens";
  ASSERT_TRUE(WriteFileAtomic(htpasswd, "# users\nalice:" + Bcrypt("secret") + " rw:team-a/*\nbob:" + Bcrypt("pw") + "\n").ok());
  ASSERT_TRUE(WriteFileAtomic(tokens, "readonly-token-123 r:team-a/*\n").ok());
  auto a = Authenticator::Load(htpasswd, tokens);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->enabled());
  Principal who;
  EXPECT_EQ(a->Authenticate(BasicHeader("alice", "secret"), &who), AuthResult::kOk);
  EXPECT_EQ(who.name, "alice");
  EXPECT_TRUE(who.Can("team-a/x", true));
  EXPECT_FALSE(who.Can("team-b/x", false));
  EXPECT_EQ(a->Authenticate(BasicHeader("alice", "wrong"), &who), AuthResult::kUnauthenticated);
  EXPECT_EQ(a->Authenticate("", &who), AuthResult::kUnauthenticated);
  EXPECT_EQ(a->Authenticate(BasicHeader("bob", "pw"), &who), AuthResult::kOk);
  EXPECT_TRUE(who.Can("anything", true)) << "no rights listed = rw:*";
  EXPECT_EQ(a->Authenticate("Bearer readonly-token-123", &who), AuthResult::kOk);
  EXPECT_TRUE(who.Can("team-a/x", false));
  EXPECT_FALSE(who.Can("team-a/x", true));
  EXPECT_EQ(a->Authenticate(BasicHeader("any", "readonly-token-123"), &who), AuthResult::kOk);
  EXPECT_EQ(a->Authenticate("Bearer nope-nope-nope", &who), AuthResult::kUnauthenticated);
}

TEST(Auth, BadFilesNameTheLine) {
  auto dir = NewTestDir("cs-auth");
  ASSERT_TRUE(dir);
  std::string f = dir->path() + "/htpasswd";
  ASSERT_TRUE(WriteFileAtomic(f, "alice:$2y$05$abc\nbroken line\n").ok());
  auto a = Authenticator::Load(f, "");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find(f + ":2"), std::string::npos) << a.status().message();
  ASSERT_TRUE(WriteFileAtomic(f, "alice:$2y$05$abc write:team\n").ok());
  a = Authenticator::Load(f, "");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("invalid right"), std::string::npos);
}

}  // namespace
}  // namespace kiln::cacheserver
