#include "exporter/output.h"

#include <gtest/gtest.h>

namespace kiln::exporter {
namespace {

TEST(ParseOutput, Types) {
  auto o = ParseOutput("type=oci,dest=out.tar");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->type, OutputType::kOci);
  EXPECT_EQ(o->dest, "out.tar");
  EXPECT_TRUE(o->tar);
  EXPECT_TRUE(o->OciMediaTypes());

  o = ParseOutput("type=oci,dest=layout,tar=false");
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->tar);

  o = ParseOutput("type=docker,dest=img.tar");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->type, OutputType::kDocker);
  EXPECT_FALSE(o->OciMediaTypes());
  o = ParseOutput("type=docker,dest=img.tar,oci-mediatypes=true");
  EXPECT_TRUE(o->OciMediaTypes());

  o = ParseOutput("outdir");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->type, OutputType::kLocal);
  EXPECT_EQ(o->dest, "outdir");

  o = ParseOutput("-");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->type, OutputType::kTar);
  EXPECT_TRUE(o->ToStdout());

  o = ParseOutput("type=registry,name=localhost:5000/a:b");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->type, OutputType::kImage);
  EXPECT_TRUE(o->push);
  EXPECT_EQ(o->names, std::vector<std::string>{"localhost:5000/a:b"});
}

TEST(ParseOutput, OptionsAndQuotedNames) {
  auto o = ParseOutput(R"(type=image,"name=a:1,b:2",push=true,compression=zstd,compression-level=3,)"
                       R"(force-compression=true,rewrite-timestamp=true,annotation.org.example=x)");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->names, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(o->push);
  EXPECT_EQ(o->compression.type, "zstd");
  EXPECT_EQ(o->compression.level, 3);
  EXPECT_TRUE(o->compression.force);
  EXPECT_TRUE(o->rewrite_timestamp);
  EXPECT_EQ(o->manifest_annotations.at("org.example"), "x");
}

TEST(ParseOutput, Errors) {
  for (const char* bad : {"type=nope,dest=x", "type=oci", "type=local", "type=local,dest=-", "type=oci,dest=-,tar=false",
                          "type=image,compression=lz4", "type=image,compression-level=x", "type=image,push=maybe",
                          "dest=x", "type=image,bogus=1", "type=oci,\"dest=unterminated", "",
                          "type=image,compression=gzip,compression-level=12"}) {
    auto o = ParseOutput(bad);
    EXPECT_FALSE(o.ok()) << bad;
    if (!o.ok()) {
      EXPECT_TRUE(o.status().IsInvalidArgument());
      EXPECT_NE(o.status().message().find("invalid --output"), std::string::npos);
    }
  }
}

TEST(SplitCsv, GoCsv) {
  EXPECT_EQ(*SplitCsv(R"(a,"b,c",d""e,"f""g")"), (std::vector<std::string>{"a", "b,c", "d\"\"e", "f\"g"}));
  EXPECT_EQ(*SplitCsv(""), std::vector<std::string>{""});
}

}  // namespace
}  // namespace kiln::exporter
