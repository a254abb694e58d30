#include "llb/definition.h"

#include <gtest/gtest.h>

namespace kiln::llb {
namespace {

Definition Sample() {
  DefinitionBuilder b;
  Edge img = b.Add({{}, SourceOp{"docker-image://docker.io/library/busybox:latest", {}}}, {"[1/2] FROM busybox"});
  Edge ctx = b.Add({{}, SourceOp{"local://context", {{"includepatterns", "[\"a\"]"}}}});
  ExecOp run;
  run.args = {"/bin/sh", "-c", "echo hi > /x"};
  run.env = {"PATH=/bin"};
  Mount root;
  root.input = 0;
  root.dest = "/";
  root.output = 0;
  run.mounts.push_back(root);
  Edge ran = b.Add({{img}, run}, {"[2/3] RUN echo hi"});
  CopyAction cp;
  cp.source = 1;
  cp.src = "/a";
  cp.dest = "/a";
  cp.chown = Chown{"app", ""};
  FileOp f;
  f.dest = 0;
  f.actions.push_back(cp);
  f.actions.push_back(MkdirAction{"/d", 0700, true, std::nullopt, 0});
  Edge copied = b.Add({{ran, ctx}, f}, {"[3/3] COPY a /a"});
  return std::move(b).Finish(copied);
}

TEST(Definition, DigestsAreStableAndInputSensitive) {
  Definition a = Sample(), b = Sample();
  EXPECT_EQ(a.order, b.order);
  EXPECT_EQ(a.order.size(), 4u);
  ASSERT_TRUE(Validate(a).ok());
  Op op = a.ops.at(a.order[2]);
  std::get<ExecOp>(op.kind).args[2] = "echo bye > /x";
  EXPECT_NE(OpDigest(op), a.order[2]);
}

TEST(Definition, AddingTheSameOpTwiceDedupes) {
  DefinitionBuilder b;
  Edge x = b.Add({{}, SourceOp{"local://context", {}}});
  Edge y = b.Add({{}, SourceOp{"local://context", {}}});
  EXPECT_EQ(x, y);
  EXPECT_EQ(std::move(b).Finish(x).ops.size(), 1u);
}

TEST(Definition, JsonRoundTrip) {
  Definition a = Sample();
  auto j = DefinitionToJson(a);
  auto back = DefinitionFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->order, a.order);
  EXPECT_EQ(DefinitionToJson(*back).dump(), j.dump());
  EXPECT_EQ(back->metadata.at(a.order[2]).description, "[2/3] RUN echo hi");
}

TEST(Definition, ValidateCatchesTampering) {
  Definition a = Sample();
  std::get<SourceOp>(a.ops.at(a.order[0]).kind).identifier = "docker-image://evil";
  EXPECT_FALSE(Validate(a).ok());
}

}  // namespace
}  // namespace kiln::llb
