// Build with the real scheduler, store and file ops over a temporary root: two
// targets in one request share a step, and it runs once.
#include "build/build.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "base/fs.h"

namespace kiln::build {
namespace {

struct Root {
  Root() {
    tmp = std::move(TempDir::Create("kiln-build-test")).value();
    md = std::move(cache::MetadataStore::Open(tmp.path() + "/root")).value();
    sn = std::move(cache::OpenSnapshotter(tmp.path() + "/root")).value();
    cs = std::move(cache::OpenLocalContentStore(tmp.path() + "/root")).value();
  }
  BuildEnv Env() { return BuildEnv{tmp.path() + "/root", cs.get(), md.get(), sn.get(), nullptr, nullptr, nullptr}; }
  TempDir tmp = std::move(TempDir::Create("unused")).value();
  std::unique_ptr<cache::MetadataStore> md;
  std::unique_ptr<cache::Snapshotter> sn;
  std::unique_ptr<cache::ContentStore> cs;
};

struct QuietSink : BuildSink {
  void Event(const solver::ProgressEvent&) override {}
};

// Two targets whose contexts are different directories each read their own.
TEST(Build, TargetsWithDifferentContextsReadTheirOwn) {
  Root root;
  BuildRequest req;
  for (const char* name : {"p", "q"}) {
    std::string ctx = root.tmp.path() + "/" + name;
    ASSERT_TRUE(MakeDirs(ctx).ok());
    ASSERT_TRUE(WriteFileAtomic(ctx + "/Dockerfile", "FROM scratch\nCOPY x /x\n").ok());
    ASSERT_TRUE(WriteFileAtomic(ctx + "/x", name).ok());
    BuildTarget t;
    t.dockerfile.context = ctx;
    exporter::OutputSpec out;
    out.type = exporter::OutputType::kLocal;
    out.dest = ctx + "-out";
    t.outputs.push_back(out);
    req.targets.push_back(t);
  }
  QuietSink sink;
  BuildResult r = Build(root.Env(), req, sink);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(*ReadFile(root.tmp.path() + "/p-out/x"), "p");
  EXPECT_EQ(*ReadFile(root.tmp.path() + "/q-out/x"), "q");
}

TEST(Build, AStepTwoTargetsShareRunsOnce) {
  auto tmp = TempDir::Create("kiln-build-test");
  ASSERT_TRUE(tmp.ok());
  std::string root = tmp->path() + "/root", ctx = tmp->path() + "/ctx";
  ASSERT_TRUE(MakeDirs(ctx).ok());
  ASSERT_TRUE(WriteFileAtomic(ctx + "/Dockerfile",
                              "FROM scratch AS base\nWORKDIR /w\n"
                              "FROM base AS one\nCOPY b /b\n"
                              "FROM base AS two\nCOPY c /c\n").ok());
  for (const char* f : {"a", "b", "c"}) ASSERT_TRUE(WriteFileAtomic(ctx + "/" + f, f).ok());
  auto md = cache::MetadataStore::Open(root);
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  auto sn = cache::OpenSnapshotter(root);
  ASSERT_TRUE(sn.ok()) << sn.status().ToString();
  auto cs = cache::OpenLocalContentStore(root);
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  BuildEnv env{root, cs->get(), md->get(), sn->get(), nullptr, nullptr, nullptr};

  BuildRequest req;
  for (const char* stage : {"one", "two"}) {
    BuildTarget t;
    t.dockerfile.context = ctx;
    t.dockerfile.target = stage;
    exporter::OutputSpec out;
    out.type = exporter::OutputType::kLocal;
    out.dest = tmp->path() + "/out-" + stage;
    t.outputs.push_back(out);
    req.targets.push_back(t);
  }
  struct : BuildSink {
    void Event(const solver::ProgressEvent&) override {}
  } sink;
  BuildResult r = Build(env, req, sink);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // base's WORKDIR (the shared step) once; each target's context (filtered to
  // what its COPY reads) and COPY: 5, not the 6 of two separate solves.
  std::set<std::string> unique(r.executed.begin(), r.executed.end());
  EXPECT_EQ(unique.size(), r.executed.size());
  EXPECT_EQ(r.executed.size(), 5u);
  EXPECT_TRUE(PathExists(tmp->path() + "/out-one/w"));
  EXPECT_TRUE(PathExists(tmp->path() + "/out-one/b"));
  EXPECT_FALSE(PathExists(tmp->path() + "/out-one/c"));
  EXPECT_TRUE(PathExists(tmp->path() + "/out-two/w"));
  EXPECT_TRUE(PathExists(tmp->path() + "/out-two/c"));
}

}  // namespace
}  // namespace kiln::build
