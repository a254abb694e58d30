// Lowering of real Dockerfile text (parser + lowering together).
#include <gtest/gtest.h>

#include "frontend/diagnostic.h"
#include "frontend/lower.h"
#include "frontend/parser.h"

namespace kiln::frontend {
namespace {

using nlohmann::json;

Result<llb::Definition> LowerText(const std::string& text, LowerOptions o = {}) {
  o.build_platform = oci::Platform{"linux", "amd64", ""};
  auto ast = Parse(text, "Dockerfile");
  if (!ast.ok()) return ast.status();
  return Lower(*ast, o);
}

std::vector<std::string> History(const llb::Definition& d) {
  std::vector<std::string> out;
  for (const json& h : d.image_config["history"]) out.push_back(h["created_by"]);
  return out;
}

TEST(LowerParsed, ArgsAsTheParserProducesThem) {
  auto d = LowerText(
      "ARG IMAGE=busybox\n"
      "FROM $IMAGE AS base\n"
      "ENV A=1 B=\"two words\"\n"
      "ENV LEGACY value with spaces\n"
      "LABEL org.example=\"x y\" other=z\n"
      "ARG V=1\n"
      "EXPOSE 8080/udp 80\n"
      "COPY --chown=1:1 a b /dst/\n"
      "RUN echo \"$A\" && \\\n    echo done\n"
      "CMD echo hi\n"
      "HEALTHCHECK --interval=5s CMD [\"curl\", \"-f\", \"x\"]\n"
      "ONBUILD RUN echo trig\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const json& c = d->image_config["config"];
  EXPECT_EQ(c["Env"][1], "A=1");
  EXPECT_EQ(c["Env"][2], "B=two words");
  EXPECT_EQ(c["Env"][3], "LEGACY=value with spaces");
  EXPECT_EQ(c["Labels"]["org.example"], "x y");
  EXPECT_EQ(c["Cmd"], json({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(c["Healthcheck"]["Test"], json({"CMD", "curl", "-f", "x"}));
  EXPECT_EQ(c["OnBuild"], json({"RUN echo trig"}));
  EXPECT_TRUE(c["ExposedPorts"].contains("8080/udp"));
  std::vector<std::string> want = {
      "ENV A=1 B=two words",
      "ENV LEGACY=value with spaces",
      "LABEL org.example=x y other=z",
      "ARG V=1",
      "EXPOSE map[80/tcp:{} 8080/udp:{}]",
      "COPY a b /dst/ # buildkit",
      "RUN |1 V=1 /bin/sh -c echo \"$A\" &&     echo done # buildkit",
      "CMD [\"/bin/sh\" \"-c\" \"echo hi\"]",
      "HEALTHCHECK &{[\"CMD\" \"curl\" \"-f\" \"x\"] \"5s\" \"0s\" \"0s\" '\\x00'}",
  };
  EXPECT_EQ(History(*d), want);
}

TEST(LowerParsed, HeredocRunAndCopy) {
  auto d = LowerText(
      "FROM busybox\n"
      "RUN <<EOF\n"
      "echo one\n"
      "echo two\n"
      "EOF\n"
      "COPY <<EOT /hello.txt\n"
      "hi $HOSTNAME\n"
      "EOT\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  std::vector<std::string> h = History(*d);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], "RUN /bin/sh -c echo one\necho two\n # buildkit");
  EXPECT_EQ(h[1], "COPY <<EOT /hello.txt # buildkit");
  bool found = false;
  for (const auto& [dg, m] : d->metadata)
    if (m.description == "[2/3] RUN <<EOF (echo one...)") found = true;
  EXPECT_TRUE(found);
}

TEST(LowerParsed, OnbuildFromStageAndImageText) {
  auto d = LowerText(
      "FROM busybox AS base\n"
      "ONBUILD COPY --from=tools /bin/tool /bin/\n"
      "FROM busybox AS tools\n"
      "FROM base\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(History(*d).back(), "COPY /bin/tool /bin/ # buildkit");
}

TEST(LowerParsed, ErrorsPointAtTheLine) {
  auto d = LowerText("FROM busybox AS build\nFROM busybox\nCOPY --from=buidl /a /b\n");
  ASSERT_FALSE(d.ok());
  std::string text = FormatDiagnostic(d.status(), "FROM busybox AS build\nFROM busybox\nCOPY --from=buidl /a /b\n");
  EXPECT_NE(text.find("Dockerfile:3:"), std::string::npos) << text;
  EXPECT_NE(text.find("did you mean \"build\"?"), std::string::npos) << text;
}

}  // namespace
}  // namespace kiln::frontend
