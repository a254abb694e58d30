#include "frontend/dockerignore.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "frontend/diagnostic.h"
#include "frontend/path_util.h"

namespace kiln::frontend {
namespace {

using V = std::vector<std::string>;

TEST(Dockerignore, CommentsBlankLinesAndWhitespace) {
  EXPECT_EQ(ParseDockerignore("# comment\n\n  node_modules  \n\t*.log\n #not a comment\n"),
            (V{"node_modules", "*.log", "#not a comment"}));
}

TEST(Dockerignore, PathCleaning) {
  EXPECT_EQ(ParseDockerignore("/abs/path\n./a/../b\na//b/\n/\n"), (V{"abs/path", "b", "a/b", "/"}));
  EXPECT_EQ(ParseDockerignore("! /x\n!./y/\n"), (V{"!x", "!y"}));
}

TEST(Dockerignore, BomAndCrlf) {
  EXPECT_EQ(ParseDockerignore("\xEF\xBB\xBF" "foo\r\nbar\r\n"), (V{"foo", "bar"}));
}

// The pattern matcher itself is tested in base/pattern_matcher_test.cc.

class DockerignoreFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiln-di-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel) << text;
  }
  std::string dir_;
};

TEST_F(DockerignoreFiles, DockerfileSpecificWins) {
  Write(".dockerignore", "from-context\n");
  Write("sub/app.Dockerfile", "FROM scratch\n");
  Write("sub/app.Dockerfile.dockerignore", "from-dockerfile\n");
  auto r = ReadDockerignore(dir_, dir_ + "/sub/app.Dockerfile");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->patterns, V{"from-dockerfile"});
  EXPECT_EQ(r->path, dir_ + "/sub/app.Dockerfile.dockerignore");
  auto c = ReadDockerignore(dir_, dir_ + "/Dockerfile");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->patterns, V{"from-context"});
}

TEST_F(DockerignoreFiles, NoneIsEmpty) {
  auto r = ReadDockerignore(dir_, dir_ + "/Dockerfile");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->patterns.empty());
  EXPECT_EQ(r->path, "");
}

TEST(PathUtil, GoSemantics) {
  EXPECT_EQ(PathJoin("/app", "../etc"), "/etc");
}

TEST(Diagnostic, CaretUnderColumn) {
  Status st = Status::InvalidArgument("unknown stage").WithLocation({"Dockerfile", 2, 6}).WithHint("did you mean x?");
  EXPECT_EQ(FormatDiagnostic(st, "FROM a\nCOPY --from=y / /\n"),
            "Dockerfile:2:6: unknown stage\n  2 | COPY --from=y / /\n    |      ^\n  hint: did you mean x?");
  EXPECT_EQ(ClosestMatch("buidl", {"base", "build"}), "build");
  EXPECT_EQ(ClosestMatch("zzzzzz", {"base", "build"}), "");
}

}  // namespace
}  // namespace kiln::frontend
