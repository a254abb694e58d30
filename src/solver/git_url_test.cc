#include "solver/git_url.h"

#include <gtest/gtest.h>

namespace kiln::solver {
namespace {

GitUrl Parse(const std::string& s) {
  auto r = ParseGitUrl(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : GitUrl{};
}

TEST(GitUrl, HttpsWithoutFragment) {
  GitUrl g = Parse("https://example.com/org/repo.git");
  EXPECT_EQ(g.remote, "https://example.com/org/repo.git");
  EXPECT_EQ(g.ref, "");
  EXPECT_EQ(g.subdir, "");
}

TEST(GitUrl, RefAndSubdir) {
  GitUrl g = Parse("http://127.0.0.1:8080/repo.git#v1.2:docs/api/");
  EXPECT_EQ(g.remote, "http://127.0.0.1:8080/repo.git");
  EXPECT_EQ(g.ref, "v1.2");
  EXPECT_EQ(g.subdir, "docs/api");
}

TEST(GitUrl, EmptyRefWithSubdir) {
  GitUrl g = Parse("git://host/path#:./sub//dir");
  EXPECT_EQ(g.remote, "git://host/path");
  EXPECT_EQ(g.ref, "");
  EXPECT_EQ(g.subdir, "sub/dir");
}

TEST(GitUrl, ScpLikeAndSsh) {
  GitUrl g = Parse("git@github.com:moby/buildkit.git#master");
  EXPECT_EQ(g.remote, "git@github.com:moby/buildkit.git");
  EXPECT_EQ(g.ref, "master");
  g = Parse("ssh://git@host:2222/srv/repo.git#refs/heads/main:/");
  EXPECT_EQ(g.remote, "ssh://git@host:2222/srv/repo.git");
  EXPECT_EQ(g.ref, "refs/heads/main");
  EXPECT_EQ(g.subdir, "");
}

TEST(GitUrl, CommitRef) {
  GitUrl g = Parse("git://h/r#0123456789abcdef0123456789abcdef01234567");
  EXPECT_TRUE(IsCommitSha(g.ref));
  EXPECT_FALSE(IsCommitSha("0123456"));
  EXPECT_FALSE(IsCommitSha("main"));
  EXPECT_FALSE(IsCommitSha("0123456789ABCDEF0123456789abcdef01234567"));
  EXPECT_TRUE(IsCommitSha(std::string(64, 'a')));
}

TEST(GitUrl, Rejects) {
  EXPECT_FALSE(ParseGitUrl("ftp://host/repo.git").ok());
  EXPECT_FALSE(ParseGitUrl("/local/path").ok());
  EXPECT_FALSE(ParseGitUrl("https:///repo.git").ok());
  EXPECT_FALSE(ParseGitUrl("git://h/r#main:../etc").ok());
  EXPECT_FALSE(ParseGitUrl("git://h/r#--upload-pack=x").ok());
  EXPECT_FALSE(ParseGitUrl("git://h/r#a b").ok());
  EXPECT_FALSE(ParseGitUrl("host:path").ok());  // scp-like needs user@
}

TEST(GitUrl, Redact) {
  EXPECT_EQ(RedactGitRemote("https://user:secret@host/r.git"), "https://user:xxxxx@host/r.git");
  EXPECT_EQ(RedactGitRemote("https://host/r.git"), "https://host/r.git");
  EXPECT_EQ(RedactGitRemote("ssh://git@host/r.git"), "ssh://git@host/r.git");
  EXPECT_EQ(RedactGitRemote("git@host:r.git"), "git@host:r.git");
}

}  // namespace
}  // namespace kiln::solver
