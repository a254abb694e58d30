#include "runner/user.h"

#include <gtest/gtest.h>

namespace kiln::runner {
namespace {

const std::optional<std::string> kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "\n"
    "app:x:1000:1001:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const std::optional<std::string> kGroup =
    "root:x:0:\n"
    "users:x:100:app,other\n"
    "docker:x:999:other,app\n"
    "app:x:1001:\n"
    "staff:x:50:\n";

ResolvedUser Ok(std::string_view spec, const std::optional<std::string>& pw = kPasswd,
                const std::optional<std::string>& gr = kGroup) {
  Result<ResolvedUser> r = ResolveUser(spec, pw, gr);
  EXPECT_TRUE(r.ok()) << spec << ": " << r.status().ToString();
  return r.ok() ? *r : ResolvedUser{};
}

TEST(ResolveUser, EmptyIsRoot) {
  ResolvedUser u = Ok("");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_TRUE(u.sgids.empty());
}

TEST(ResolveUser, NameGetsPrimaryAndSupplementaryGroups) {
  ResolvedUser u = Ok("app");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.sgids, (std::vector<uint32_t>{100, 999}));
}

TEST(ResolveUser, NumericUidLooksUpPasswd) {
  ResolvedUser u = Ok("1000");
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.sgids, (std::vector<uint32_t>{100, 999}));
}

TEST(ResolveUser, UnknownNumericUidHasGidZero) {
  ResolvedUser u = Ok("4242");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_TRUE(u.sgids.empty());
}

TEST(ResolveUser, UidGidFastPathSkipsFiles) {
  ResolvedUser u = Ok("1000:50", std::nullopt, std::nullopt);
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 50u);
  EXPECT_TRUE(u.sgids.empty());
  u = Ok("root:root", std::nullopt, std::nullopt);
  EXPECT_EQ(u.uid, 0u);
}

TEST(ResolveUser, ExplicitGroupByNameHasNoSupplementaryGroups) {
  ResolvedUser u = Ok("app:staff");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 50u);
  EXPECT_TRUE(u.sgids.empty());
  u = Ok("app:4000");
  EXPECT_EQ(u.gid, 4000u);
}

TEST(ResolveUser, FieldsPastTheGroupAreDropped) {
  // libcontainer's parseLine, as dockerd 20.10 runs USER 1000:50:7.
  ResolvedUser u = Ok("1000:50:7");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 50u);
  u = Ok("app:staff:x");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 50u);
}

TEST(ResolveUser, UnknownUserIsBuildKitsError) {
  Result<ResolvedUser> r = ResolveUser("ghost", kPasswd, kGroup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unable to find user ghost: no matching entries in passwd file");
  r = ResolveUser("app", std::nullopt, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unable to find user app: no matching entries in passwd file");
}

TEST(ResolveUser, UnknownGroupIsBuildKitsError) {
  Result<ResolvedUser> r = ResolveUser("app:ghosts", kPasswd, kGroup);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unable to find group ghosts: no matching entries in group file");
}

TEST(HomeDir, FromPasswdElseSlash) {
  EXPECT_EQ(HomeDir(1000, kPasswd), "/home/app");
  EXPECT_EQ(HomeDir(0, kPasswd), "/root");
  EXPECT_EQ(HomeDir(7, kPasswd), "/");
  EXPECT_EQ(HomeDir(0, std::nullopt), "/");
}

}  // namespace
}  // namespace kiln::runner
