#include "registry/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <vector>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace kiln::registry {
namespace {

TEST(DockerConfig, ReadsAuthsAndIdentityToken) {
  auto dir = TempDir::Create("kiln-cred");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json", R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": "YWxpY2U6d29uZGVybGFuZA=="},
      "http://127.0.0.1:5000/v2/": {"auth": "Ym9iOnNlY3JldA=="},
      "tok.example.com": {"identitytoken": "refresh-me"}
    }})").ok());
  DockerConfig cfg(dir->path());
  auto hub = cfg.Get("docker.io");
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub->username, "alice");
  EXPECT_EQ(hub->password, "wonderland");
  auto local = cfg.Get("127.0.0.1:5000");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->username, "bob");
  EXPECT_EQ(local->password, "secret");
  EXPECT_EQ(cfg.Get("tok.example.com")->identity_token, "refresh-me");
  EXPECT_TRUE(cfg.Get("other.example.com")->empty());
}

TEST(DockerConfig, AuthMayBeWrapped) {
  auto dir = TempDir::Create("kiln-cred");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json",
                              R"({"auths": {"localhost:5000": {"auth": "YWxpY2U6\nd29uZGVy bGFuZA=="}}})").ok());
  DockerConfig cfg(dir->path());
  auto a = cfg.Get("localhost:5000");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->username, "alice");
  EXPECT_EQ(a->password, "wonderland");
}

TEST(DockerConfig, MissingAndMalformed) {
  auto dir = TempDir::Create("kiln-cred");
  DockerConfig cfg(dir->path());
  EXPECT_TRUE(cfg.Get("x.io")->empty());
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json", "{not json").ok());
  EXPECT_FALSE(cfg.Get("x.io").ok());
}

TEST(DockerConfig, StoreKeepsOtherFieldsAndMode) {
  auto dir = TempDir::Create("kiln-cred");
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json", R"({"psFormat": "table", "auths": {"a.io": {"auth": "eDp5"}}})").ok());
  DockerConfig cfg(dir->path());
  ASSERT_TRUE(cfg.Store("localhost:5000", {"u", "p", ""}).ok());
  ASSERT_TRUE(cfg.Store("docker.io", {"hub", "pw", ""}).ok());
  auto j = nlohmann::json::parse(*ReadFile(cfg.path()));
  EXPECT_EQ(j["psFormat"], "table");
  EXPECT_EQ(j["auths"]["a.io"]["auth"], "eDp5");
  EXPECT_EQ(j["auths"]["localhost:5000"]["auth"], Base64Encode("u:p"));
  EXPECT_EQ(j["auths"]["https://index.docker.io/v1/"]["auth"], Base64Encode("hub:pw"));
  struct stat st;
  ASSERT_EQ(stat(cfg.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(cfg.Erase("localhost:5000").ok());
  EXPECT_TRUE(cfg.Get("localhost:5000")->empty());
  EXPECT_TRUE(cfg.Erase("localhost:5000").IsNotFound());
}

TEST(DockerConfig, CredentialHelper) {
  auto dir = TempDir::Create("kiln-cred");
  // A fake helper: `get` answers for one server, `store`/`erase` log their input.
  std::string helper = dir->path() + "/docker-credential-fake";
  ASSERT_TRUE(WriteFileAtomic(helper, "#!/bin/sh\n"
                                      "in=$(cat)\n"
                                      "echo \"$1 $in\" >> " + dir->path() + "/helper.log\n"
                                      "case \"$1\" in\n"
                                      "get) if [ \"$in\" = reg.example.com ]; then echo '{\"ServerURL\":\"reg.example.com\",\"Username\":\"h\",\"Secret\":\"s\"}';\n"
                                      "     elif [ \"$in\" = tok.example.com ]; then echo '{\"Username\":\"<token>\",\"Secret\":\"idt\"}';\n"
                                      "     else echo 'credentials not found in native keychain'; exit 1; fi;;\n"
                                      "esac\n", 0755).ok());
  std::string old_path = getenv("PATH");
  setenv("PATH", (dir->path() + ":" + old_path).c_str(), 1);
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json", R"({"credHelpers": {"reg.example.com": "fake", "tok.example.com": "fake"}, "credsStore": "fake"})").ok());
  DockerConfig cfg(dir->path());
  auto a = cfg.Get("reg.example.com");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->username, "h");
  EXPECT_EQ(a->password, "s");
  EXPECT_EQ(cfg.Get("tok.example.com")->identity_token, "idt");
  auto none = cfg.Get("nobody.example.com");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(cfg.Store("reg.example.com", {"u", "p", ""}).ok());
  auto log = ReadFile(dir->path() + "/helper.log");
  EXPECT_NE(log->find(R"(store {"Secret":"p","ServerURL":"reg.example.com","Username":"u"})"), std::string::npos) << *log;
  // The password is not written into config.json when a helper keeps it.
  EXPECT_EQ(ReadFile(cfg.path())->find("cDpw"), std::string::npos);
  setenv("PATH", old_path.c_str(), 1);
}

TEST(DockerConfig, BrokenHelperIsAClearError) {
  auto dir = TempDir::Create("kiln-cred");
  ASSERT_TRUE(WriteFileAtomic(dir->path() + "/config.json", R"({"credsStore": "kiln-no-such-helper"})").ok());
  DockerConfig cfg(dir->path());
  auto r = cfg.Get("x.io");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("docker-credential-kiln-no-such-helper"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace kiln::registry
