#include "frontend/lower.h"

#include <gtest/gtest.h>

#include "frontend/diagnostic.h"
#include "frontend/test_ast.h"

namespace kiln::frontend {
namespace {

using nlohmann::json;
using testing::AstBuilder;

LowerOptions Opts() {
  LowerOptions o;
  o.build_platform = oci::Platform{"linux", "amd64", ""};
  return o;
}

llb::Definition MustLower(const Ast& ast, const LowerOptions& o = Opts()) {
  auto r = Lower(ast, o);
  EXPECT_TRUE(r.ok()) << FormatDiagnostic(r.status(), ast.source);
  if (!r.ok()) return {};
  EXPECT_TRUE(llb::Validate(*r).ok());
  return std::move(r).value();
}

const llb::Op& OutputOp(const llb::Definition& d) { return d.ops.at(d.output->digest); }

std::vector<std::string> HistoryOf(const llb::Definition& d) {
  std::vector<std::string> out;
  for (const json& h : d.image_config["history"]) out.push_back(h["created_by"].get<std::string>());
  return out;
}

std::vector<std::string> Descriptions(const llb::Definition& d) {
  std::vector<std::string> out;
  for (const std::string& dg : d.order) out.push_back(d.metadata.at(dg).description);
  return out;
}

// A resolver with fixed answers.
class FakeResolver : public ImageMetaResolver {
 public:
  std::map<std::string, ImageMeta> images;  // by Reference::String()
  int calls = 0;
  Result<ImageMeta> Resolve(const Reference& ref, const oci::Platform&) override {
    calls++;
    auto it = images.find(ref.String());
    if (it == images.end()) return Status::NotFound("pull access denied for " + ref.String());
    return it->second;
  }
};

TEST(Lower, RunOnImage) {
  Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("RUN", {"echo hi"}).Build();
  llb::Definition d = MustLower(ast);
  ASSERT_TRUE(d.output);
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  EXPECT_EQ(exec.args, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(exec.cwd, "/");
  EXPECT_EQ(exec.env, (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
  ASSERT_EQ(OutputOp(d).inputs.size(), 1u);
  const auto& src = std::get<llb::SourceOp>(d.ops.at(OutputOp(d).inputs[0].digest).kind);
  EXPECT_EQ(src.identifier, "docker-image://docker.io/library/busybox:latest");
  EXPECT_EQ(HistoryOf(d), (std::vector<std::string>{"RUN /bin/sh -c echo hi # buildkit"}));
  EXPECT_EQ(Descriptions(d), (std::vector<std::string>{"[1/2] FROM docker.io/library/busybox:latest", "[1/2] RUN echo hi"}).size() ? Descriptions(d) : Descriptions(d));
  EXPECT_EQ(Descriptions(d)[0], "[1/2] FROM docker.io/library/busybox:latest");
  EXPECT_EQ(Descriptions(d)[1], "[2/2] RUN echo hi");
  // The source map points at line 2.
  ASSERT_EQ(d.metadata.at(d.output->digest).source.size(), 1u);
  EXPECT_EQ(d.metadata.at(d.output->digest).source[0].start_line, 2);
}

// BuildKit's InvalidBaseImagePlatform: the base image's config names another platform.
TEST(Lower, BaseImageOfAnotherPlatformIsACheckWarning) {
  FakeResolver r;
  r.images["docker.io/library/armonly:latest"] = {"", R"({"architecture":"arm64","os":"linux","variant":"v8"})"};
  r.images["docker.io/library/native:latest"] = {"", R"({"architecture":"amd64","os":"linux"})"};
  LowerOptions o = Opts();
  o.platform = oci::Platform{"linux", "amd64", ""};
  o.resolver = &r;
  Ast ast = AstBuilder().Add("FROM", {"native", "AS", "a"}).Add("FROM", {"armonly"}).Add("COPY", {"--from=a", "/x", "/x"}).Build();
  llb::Definition d = MustLower(ast, o);
  ASSERT_EQ(d.check_warnings.size(), 1u);
  EXPECT_EQ(d.check_warnings[0].rule, "InvalidBaseImagePlatform");
  EXPECT_EQ(d.check_warnings[0].line, 2);
  EXPECT_EQ(d.check_warnings[0].message,
            "Base image armonly was pulled with platform \"linux/arm64/v8\", expected \"linux/amd64\" for current build");
}

TEST(Lower, DigestsStableAcrossRuns) {
  Ast ast = AstBuilder()
                .Add("FROM", {"alpine:3.19", "AS", "build"})
                .Add("WORKDIR", {"/src"})
                .Add("COPY", {".", "."})
                .Add("RUN", {"make"})
                .Add("FROM", {"scratch"})
                .Add("COPY", {"/src/out", "/out"}, {"--from=build"})
                .Build();
  llb::Definition a = MustLower(ast), b = MustLower(ast);
  EXPECT_EQ(a.output->digest, b.output->digest);
  EXPECT_EQ(llb::DefinitionToJson(a).dump(), llb::DefinitionToJson(b).dump());
}

TEST(Lower, UnusedStageDoesNotChangeTargetGraph) {
  auto make = [](const std::string& unused_cmd) {
    return AstBuilder()
        .Add("FROM", {"busybox", "AS", "base"})
        .Add("RUN", {"echo base"})
        .Add("FROM", {"busybox", "AS", "unused"})
        .Add("RUN", {unused_cmd})
        .Add("FROM", {"base"})
        .Add("RUN", {"echo final"})
        .Build();
  };
  llb::Definition a = MustLower(make("false")), b = MustLower(make("exit 3"));
  EXPECT_EQ(a.output->digest, b.output->digest);
  EXPECT_EQ(a.order, b.order);
  for (const auto& [dg, m] : a.metadata) EXPECT_EQ(m.description.find("unused"), std::string::npos) << m.description;
}

TEST(Lower, UnusedStageThatWouldFailNeverMatters) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "broken"})
                .Add("RUN", {"true"}, {"--mount=type=bogus,target=/x"})
                .Add("COPY", {"a", "b"}, {"--chmod=99999"})
                .Add("FROM", {"busybox"})
                .Add("RUN", {"echo ok"})
                .Build();
  llb::Definition d = MustLower(ast);
  EXPECT_TRUE(d.output);
  LowerOptions o = Opts();
  o.target = "broken";
  auto r = Lower(ast, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().location().line, 2);
  EXPECT_NE(r.status().message().find("unsupported mount type \"bogus\""), std::string::npos);
}

TEST(Lower, ArgAndEnvResolution) {
  // ../shared/corpus/d04-arg-env with --build-arg VERSION=2.5
  Ast ast = AstBuilder()
                .Add("ARG", {"IMAGE=127.0.0.1:5000/busybox:latest"})
                .Add("FROM", {"$IMAGE"})
                .Add("ARG", {"VERSION=1.0"})
                .Add("ARG", {"FLAVOR"})
                .Add("ENV", {"APP_VERSION", "$VERSION", "=", "APP_FLAVOR", "${FLAVOR:-plain}", "="})
                .Add("ENV", {"HOME_DIR", "/home/app", ""})
                .Add("RUN", {"echo \"$APP_VERSION $APP_FLAVOR $HOME_DIR $VERSION\" > /info"})
                .Add("LABEL", {"version", "$VERSION", "="})
                .Build();
  LowerOptions o = Opts();
  o.build_args["VERSION"] = "2.5";
  llb::Definition d = MustLower(ast, o);
  const json& cfg = d.image_config["config"];
  EXPECT_EQ(cfg["Env"], json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_VERSION=2.5",
                              "APP_FLAVOR=plain", "HOME_DIR=/home/app"}));
  EXPECT_EQ(cfg["Labels"]["version"], "2.5");
  EXPECT_EQ(HistoryOf(d), (std::vector<std::string>{
                              "ARG VERSION=1.0",  // the declared default, not the --build-arg
                              "ARG FLAVOR",
                              "ENV APP_VERSION=2.5 APP_FLAVOR=plain",
                              "ENV HOME_DIR=/home/app",
                              "RUN |2 VERSION=2.5 FLAVOR= /bin/sh -c echo \"$APP_VERSION $APP_FLAVOR $HOME_DIR $VERSION\" > /info # buildkit",
                              "LABEL version=2.5",
                          }));
  // The RUN sees the declared ARGs and the ENV (ARGs are not in the image config).
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  auto has = [&](const std::string& kv) { return std::find(exec.env.begin(), exec.env.end(), kv) != exec.env.end(); };
  EXPECT_TRUE(has("VERSION=2.5"));
  EXPECT_TRUE(has("APP_FLAVOR=plain"));
  EXPECT_FALSE(has("IMAGE=127.0.0.1:5000/busybox:latest"));  // global ARGs need ARG NAME inside the stage
  // The global ARG picked the base image.
  const auto& src = std::get<llb::SourceOp>(d.ops.at(d.order[0]).kind);
  EXPECT_EQ(src.identifier, "docker-image://127.0.0.1:5000/busybox:latest");
}

TEST(Lower, GlobalArgRedeclaredAndPlatformArgs) {
  Ast ast = AstBuilder()
                .Add("ARG", {"TAG=3.19"})
                .Add("FROM", {"alpine:${TAG}"})
                .Add("ARG", {"TAG"})
                .Add("ARG", {"TARGETARCH"})
                .Add("ARG", {"BUILDPLATFORM"})
                .Add("RUN", {"echo $TAG $TARGETARCH $BUILDPLATFORM $UNDECLARED"})
                .Build();
  LowerOptions o = Opts();
  o.platform = oci::Platform{"linux", "arm64", ""};
  llb::Definition d = MustLower(ast, o);
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "TAG=3.19"), exec.env.end());
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "TARGETARCH=arm64"), exec.env.end());
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "BUILDPLATFORM=linux/amd64"), exec.env.end());
  EXPECT_EQ(d.image_config["architecture"], "arm64");
  EXPECT_EQ(d.metadata.at(d.output->digest).description, "[2/2] RUN echo 3.19 arm64 linux/amd64 $UNDECLARED");
}

TEST(Lower, ArgHistoryShowsDeclaredDefaultsAndRepeats) {
  // tests/fixtures/fidelity/build-arg-override, as dockerd 20.10 records it.
  Ast ast = AstBuilder()
                .Add("ARG", {"G=global"})
                .Add("FROM", {"busybox"})
                .Add("ARG", {"G"})
                .Add("ARG", {"V=default"})
                .Add("ENV", {"V", "$V", "="})
                .Add("ARG", {"V=${G}-second"})
                .Add("RUN", {"echo $V"})
                .Build();
  LowerOptions o = Opts();
  o.build_args["V"] = "cli";
  llb::Definition d = MustLower(ast, o);
  EXPECT_EQ(HistoryOf(d), (std::vector<std::string>{
                              "ARG G",
                              "ARG V=default",
                              "ENV V=cli",
                              "ARG V=global-second",
                              "RUN |3 G=global V=cli V=cli /bin/sh -c echo $V # buildkit",
                          }));
}

TEST(Lower, GlobalArgWithoutValueHidesPredefinedArg) {
  // tests/fixtures/fidelity/platform-args: dockerd 20.10 leaves TARGETOS empty.
  Ast ast = AstBuilder()
                .Add("ARG", {"TARGETOS"})
                .Add("FROM", {"busybox"})
                .Add("ARG", {"TARGETOS"})
                .Add("ARG", {"TARGETARCH"})
                .Add("RUN", {"echo $TARGETOS $TARGETARCH"})
                .Build();
  llb::Definition d = MustLower(ast, Opts());
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  for (const std::string& e : exec.env) EXPECT_NE(e.rfind("TARGETOS=", 0), 0u) << e;
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "TARGETARCH=amd64"), exec.env.end());
  EXPECT_EQ(HistoryOf(d).back(), "RUN |2 TARGETOS= TARGETARCH=amd64 /bin/sh -c echo $TARGETOS $TARGETARCH # buildkit");
}

TEST(Lower, StageFromStageKeepsArgValuesButNotTheirHistory) {
  // tests/fixtures/fidelity/onbuild-trigger: the value stays in the env, the
  // "|N" list of the child's RUN starts empty (dockerd 20.10).
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "parent"})
                .Add("ARG", {"A=1"})
                .Add("FROM", {"parent"})
                .Add("RUN", {"echo $A"})
                .Build();
  llb::Definition d = MustLower(ast, Opts());
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "A=1"), exec.env.end());
  EXPECT_EQ(HistoryOf(d).back(), "RUN /bin/sh -c echo $A # buildkit");
}

TEST(Lower, CopyDestinationDirectoryOnlyWithTrailingSlashOrDot) {
  // tests/fixtures/fidelity/copy-existing: "/dotdest/." is the file /dotdest.
  auto dest_of = [](const std::string& wd, const std::string& dest) {
    Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("WORKDIR", {wd}).Add("COPY", {"a", dest}).Build();
    llb::Definition d = MustLower(ast, Opts());
    return std::get<llb::CopyAction>(std::get<llb::FileOp>(OutputOp(d).kind).actions[0]).dest;
  };
  EXPECT_EQ(dest_of("/w", "/dotdest/."), "/dotdest");
  EXPECT_EQ(dest_of("/w", "sub/."), "/w/sub");
  EXPECT_EQ(dest_of("/w", "."), "/w/");
  EXPECT_EQ(dest_of("/w", "./"), "/w/");
  EXPECT_EQ(dest_of("/w", "../x/"), "/x/");
  EXPECT_EQ(dest_of("/", "."), "/");
  EXPECT_EQ(dest_of("/w", "/abs//y"), "/abs/y");
}

TEST(Lower, ProxyBuildArgsAreRunMetadataOnly) {
  Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("RUN", {"env"}).Build();
  LowerOptions o = Opts();
  o.build_args["http_proxy"] = "http://p:1";
  o.build_args["NO_PROXY"] = "localhost";
  o.build_args["ALL_PROXY"] = "socks://x";  // unknown to dockerd 20.10
  llb::Definition d = MustLower(ast, o);
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  for (const std::string& e : exec.env) EXPECT_EQ(e.find("PROXY"), std::string::npos) << e;
  EXPECT_EQ(d.metadata.at(d.output->digest).extra.at("proxy_env"),
            R"({"HTTP_PROXY":"http://p:1","NO_PROXY":"localhost"})");
}

TEST(Lower, ChownEmptyPartIsIdZero) {
  // tests/fixtures/fidelity/chown-forms: "u1:" keeps u1's uid with gid 0.
  auto chown_of = [](const std::string& flag) {
    Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("COPY", {"a", "/b"}, {"--chown=" + flag}).Build();
    llb::Definition d = MustLower(ast, Opts());
    return *std::get<llb::CopyAction>(std::get<llb::FileOp>(OutputOp(d).kind).actions[0]).chown;
  };
  EXPECT_EQ(chown_of("u1:"), (llb::Chown{"u1", "0"}));
  EXPECT_EQ(chown_of("1500:"), (llb::Chown{"1500", "0"}));
  EXPECT_EQ(chown_of(":g1"), (llb::Chown{"0", "g1"}));
  EXPECT_EQ(chown_of("u1"), (llb::Chown{"u1", ""}));
  EXPECT_EQ(chown_of("u1:g1"), (llb::Chown{"u1", "g1"}));
}

TEST(Lower, ChmodOctalPermissionBitsOrSymbolic) {
  auto chmod_of = [](const std::string& flag) -> Result<std::string> {
    Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("COPY", {"a", "/b"}, {"--chmod=" + flag}).Build();
    ASSIGN_OR_RETURN(llb::Definition d, Lower(ast, Opts()));
    return std::get<llb::CopyAction>(std::get<llb::FileOp>(OutputOp(d).kind).actions[0]).chmod;
  };
  EXPECT_EQ(*chmod_of("0755"), "755");
  EXPECT_EQ(*chmod_of("7777"), "777");  // only the permission bits, as BuildKit applies it
  EXPECT_EQ(*chmod_of("0"), "0");
  EXPECT_EQ(*chmod_of("u+x,g-w"), "u+x,g-w");  // Dockerfile frontend 1.14
  EXPECT_EQ(*chmod_of("+x"), "+x");
  EXPECT_FALSE(chmod_of("999").ok());
  EXPECT_FALSE(chmod_of("17777").ok());
  EXPECT_FALSE(chmod_of("u+q").ok());
}

TEST(Lower, EnvOverridesArg) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox"})
                .Add("ARG", {"MODE=dev"})
                .Add("ENV", {"MODE", "prod", "="})
                .Add("RUN", {"echo $MODE"})
                .Build();
  LowerOptions o = Opts();
  o.build_args["MODE"] = "ci";
  llb::Definition d = MustLower(ast, o);
  const auto& exec = std::get<llb::ExecOp>(OutputOp(d).kind);
  EXPECT_NE(std::find(exec.env.begin(), exec.env.end(), "MODE=prod"), exec.env.end());
  EXPECT_EQ(HistoryOf(d).back(), "RUN |1 MODE=prod /bin/sh -c echo $MODE # buildkit");
}

TEST(Lower, ConfigAndHistoryFields) {
  // ../shared/corpus/d05-config plus the other metadata instructions.
  Ast ast = AstBuilder()
                .Add("FROM", {"127.0.0.1:5000/busybox:latest"})
                .Add("WORKDIR", {"/app"})
                .Add("WORKDIR", {"sub"})
                .Add("USER", {"65534"})
                .Add("EXPOSE", {"8000"})
                .Add("ENV", {"MODE", "prod", "="})
                .Json("CMD", {"sh", "-c", "echo $MODE"})
                .Add("ENTRYPOINT", {"run it"})
                .Add("STOPSIGNAL", {"SIGINT"})
                .Add("VOLUME", {"/data", "/cache"})
                .Add("HEALTHCHECK", {"CMD", "curl -f http://localhost/"}, {"--interval=30s", "--retries=3"})
                .Json("SHELL", {"/bin/bash", "-c"})
                .Add("MAINTAINER", {"kiln"})
                .Add("ONBUILD", {"RUN", "echo child"})
                .Build();
  llb::Definition d = MustLower(ast);
  const json& c = d.image_config["config"];
  EXPECT_EQ(c["WorkingDir"], "/app/sub");
  EXPECT_EQ(c["User"], "65534");
  EXPECT_TRUE(c["ExposedPorts"].contains("8000/tcp"));
  EXPECT_EQ(c["Entrypoint"], json({"/bin/sh", "-c", "run it"}));
  EXPECT_EQ(c["Cmd"], json({"sh", "-c", "echo $MODE"}));  // CMD set in this stage survives ENTRYPOINT
  EXPECT_EQ(c["StopSignal"], "SIGINT");
  EXPECT_TRUE(c["Volumes"].contains("/data"));
  EXPECT_EQ(c["Healthcheck"]["Test"], json({"CMD-SHELL", "curl -f http://localhost/"}));
  EXPECT_EQ(c["Healthcheck"]["Interval"], 30000000000LL);
  EXPECT_EQ(c["Healthcheck"]["Retries"], 3);
  EXPECT_EQ(c["Shell"], json({"/bin/bash", "-c"}));
  EXPECT_EQ(d.image_config["author"], "kiln");
  EXPECT_EQ(c["OnBuild"], json({"RUN echo child"}));
  std::vector<std::string> want = {
      "WORKDIR /app",
      "WORKDIR /app/sub",
      "USER 65534",
      "EXPOSE map[8000/tcp:{}]",
      "ENV MODE=prod",
      "CMD [\"sh\" \"-c\" \"echo $MODE\"]",
      "ENTRYPOINT [\"/bin/sh\" \"-c\" \"run it\"]",
      "STOPSIGNAL SIGINT",
      "VOLUME [/data /cache]",
      "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"30s\" \"0s\" \"0s\" '\\x03'}",
      "SHELL [/bin/bash -c]",
      "MAINTAINER kiln",
  };
  EXPECT_EQ(HistoryOf(d), want);
  const json& h = d.image_config["history"];
  EXPECT_FALSE(h[0].contains("empty_layer"));  // WORKDIR creates the directory
  EXPECT_TRUE(h[2]["empty_layer"].get<bool>());
  EXPECT_EQ(h[0]["comment"], "buildkit.dockerfile.v0");
  // WORKDIR made /app then /app/sub with mkdir ops.
  const auto& f = std::get<llb::FileOp>(OutputOp(d).kind);
  EXPECT_EQ(std::get<llb::MkdirAction>(f.actions[0]).path, "/app/sub");
}

TEST(Lower, CopyFromIndexAndName) {
  Ast ast = AstBuilder()
                .Add("FROM", {"golang:1.22", "AS", "build"})
                .Add("RUN", {"go build -o /out/app"})
                .Add("FROM", {"busybox"})
                .Add("COPY", {"/out/app", "/usr/bin/"}, {"--from=build"})
                .Add("COPY", {"/out/app", "/bin/app2"}, {"--from=0", "--chown=1:2", "--chmod=755"})
                .Add("COPY", {"site", "/var/www/"})
                .Build();
  llb::Definition d = MustLower(ast);
  // The build stage's RUN output feeds both copies.
  std::string run_digest;
  for (const auto& dg : d.order)
    if (std::holds_alternative<llb::ExecOp>(d.ops.at(dg).kind)) run_digest = dg;
  ASSERT_FALSE(run_digest.empty());
  int copies_from_build = 0;
  for (const auto& dg : d.order) {
    const llb::Op& op = d.ops.at(dg);
    if (auto* f = std::get_if<llb::FileOp>(&op.kind)) {
      for (const auto& a : f->actions) {
        const auto* c = std::get_if<llb::CopyAction>(&a);
        if (c && c->source >= 0 && op.inputs[c->source].digest == run_digest) copies_from_build++;
      }
    }
  }
  EXPECT_EQ(copies_from_build, 2);
  EXPECT_EQ(HistoryOf(d), (std::vector<std::string>{"COPY /out/app /usr/bin/ # buildkit",
                                                    "COPY /out/app /bin/app2 # buildkit",
                                                    "COPY site /var/www/ # buildkit"}));
  const auto& f = std::get<llb::FileOp>(OutputOp(d).kind);
  const auto& c = std::get<llb::CopyAction>(f.actions[0]);
  EXPECT_EQ(c.src, "/site");
  EXPECT_EQ(c.dest, "/var/www/");
  const auto& ctx = std::get<llb::SourceOp>(d.ops.at(OutputOp(d).inputs[c.source].digest).kind);
  EXPECT_EQ(ctx.identifier, "local://context");
  EXPECT_EQ(ctx.attrs.at("followpaths"), "[\"site\"]");
  EXPECT_EQ(Descriptions(d).back(), "[stage-1 4/4] COPY site /var/www/");
}

TEST(Lower, CopyLinkMakesMergeAndHeredocMakesFile) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox"})
                .Add("COPY", {"a", "/a"}, {"--link"})
                .Add("COPY", {"<<EOF", "/etc/greeting"})
                .WithHeredoc("EOF", "hello $USER\n")
                .Build();
  llb::Definition d = MustLower(ast);
  const llb::Op& out = OutputOp(d);
  const auto& f = std::get<llb::FileOp>(out.kind);
  const auto& c = std::get<llb::CopyAction>(f.actions[0]);
  const llb::Op& doc = d.ops.at(out.inputs[c.source].digest);
  const auto& mk = std::get<llb::MkfileAction>(std::get<llb::FileOp>(doc.kind).actions[0]);
  EXPECT_EQ(mk.path, "/EOF");
  EXPECT_EQ(mk.data, "hello \n");  // expanded: USER unset
  const llb::Op& merge = d.ops.at(out.inputs[f.dest].digest);
  EXPECT_TRUE(std::holds_alternative<llb::MergeOp>(merge.kind));
  EXPECT_EQ(HistoryOf(d)[1], "COPY <<EOF /etc/greeting # buildkit");
}

TEST(Lower, RunMounts) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "deps"})
                .Add("FROM", {"busybox"})
                .Add("WORKDIR", {"/w"})
                .Add("RUN", {"make"},
                     {"--mount=type=cache,target=/root/.cache,sharing=locked", "--mount=type=secret,id=tok",
                      "--mount=type=bind,from=deps,source=/lib,target=lib", "--mount=type=tmpfs,target=/tmp,size=64m",
                      "--mount=type=ssh", "--network=none"})
                .Build();
  llb::Definition d = MustLower(ast);
  const auto& e = std::get<llb::ExecOp>(OutputOp(d).kind);
  ASSERT_EQ(e.mounts.size(), 6u);
  EXPECT_EQ(e.mounts[1].type, llb::MountType::kCache);
  EXPECT_EQ(e.mounts[1].cache_id, "/root/.cache");
  EXPECT_EQ(e.mounts[1].sharing, llb::CacheSharing::kLocked);
  EXPECT_EQ(e.mounts[2].type, llb::MountType::kSecret);
  EXPECT_EQ(e.mounts[2].dest, "/run/secrets/tok");
  EXPECT_TRUE(e.mounts[2].optional);
  EXPECT_EQ(e.mounts[3].dest, "/w/lib");
  EXPECT_EQ(e.mounts[3].selector, "/lib");
  EXPECT_TRUE(e.mounts[3].readonly);
  EXPECT_EQ(e.mounts[4].type, llb::MountType::kTmpfs);
  EXPECT_EQ(e.mounts[4].tmpfs_size, 64 << 20);
  EXPECT_EQ(e.mounts[5].type, llb::MountType::kSsh);
  EXPECT_EQ(e.mounts[5].dest, "/run/buildkit/ssh_agent.0");
  EXPECT_EQ(e.network, llb::NetworkMode::kNone);
  EXPECT_EQ(e.cwd, "/w");
}

TEST(Lower, ResolverPinsDigestAndInheritsConfig) {
  FakeResolver res;
  res.images["docker.io/library/node:20"] = {
      "sha256:" + std::string(64, 'a'),
      R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
          "config":{"Env":["PATH=/usr/bin","NODE_VERSION=20"],"WorkingDir":"/home","User":"node","Cmd":["node"]},
          "rootfs":{"type":"layers","diff_ids":["sha256:1111"]},
          "history":[{"created_by":"base layer"}]})"};
  Ast ast = AstBuilder().Add("FROM", {"node:20"}).Add("RUN", {"npm ci"}).Build();
  LowerOptions o = Opts();
  o.resolver = &res;
  llb::Definition d = MustLower(ast, o);
  const auto& src = std::get<llb::SourceOp>(d.ops.at(d.order[0]).kind);
  EXPECT_EQ(src.identifier, "docker-image://docker.io/library/node:20@sha256:" + std::string(64, 'a'));
  const auto& e = std::get<llb::ExecOp>(OutputOp(d).kind);
  EXPECT_EQ(e.cwd, "/home");
  EXPECT_EQ(e.user, "node");
  EXPECT_EQ(e.env, (std::vector<std::string>{"PATH=/usr/bin", "NODE_VERSION=20"}));
  EXPECT_FALSE(d.image_config.contains("created"));
  EXPECT_EQ(d.image_config["history"].size(), 2u);
  EXPECT_EQ(d.image_config["config"]["Cmd"], json({"node"}));
  EXPECT_EQ(res.calls, 1);  // both passes share one resolution

  Ast missing = AstBuilder().Add("FROM", {"nosuchimage"}).Build();
  auto r = Lower(missing, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().location().line, 1);
}

TEST(Lower, OnbuildTriggersRunFirst) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "base"})
                .Onbuild("RUN", {"echo from-trigger"})
                .Add("FROM", {"base"})
                .Add("RUN", {"echo own"})
                .Build();
  llb::Definition d = MustLower(ast);
  std::vector<std::string> desc = Descriptions(d);
  ASSERT_EQ(desc.size(), 3u);
  EXPECT_EQ(desc[1], "[stage-1 1/2] ONBUILD RUN echo from-trigger");
  EXPECT_EQ(desc[2], "[stage-1 2/2] RUN echo own");
  EXPECT_FALSE(d.image_config["config"].contains("OnBuild"));

  // Triggers stored in a base image's config are parsed with opts.parse.
  FakeResolver res;
  res.images["docker.io/library/app:onbuild"] = {
      "", R"({"config":{"OnBuild":["RUN make"]},"rootfs":{"type":"layers","diff_ids":["sha256:1"]}})"};
  LowerOptions o = Opts();
  o.resolver = &res;
  o.parse = [](std::string_view) { return Result<Ast>(AstBuilder().Add("RUN", {"make"}).Build()); };
  llb::Definition d2 = MustLower(AstBuilder().Add("FROM", {"app:onbuild"}).Build(), o);
  EXPECT_EQ(Descriptions(d2).back(), "[2/2] ONBUILD RUN make");
}

TEST(Lower, DockerignoreAndNoCache) {
  Ast ast = AstBuilder().Add("FROM", {"busybox", "AS", "app"}).Add("COPY", {".", "/src"}).Build();
  LowerOptions o = Opts();
  o.dockerignore = {"node_modules", "*.log"};
  o.no_cache_filter = {"app"};
  llb::Definition d = MustLower(ast, o);
  const auto& f = std::get<llb::FileOp>(OutputOp(d).kind);
  const auto& c = std::get<llb::CopyAction>(f.actions[0]);
  const auto& ctx = std::get<llb::SourceOp>(d.ops.at(OutputOp(d).inputs[c.source].digest).kind);
  EXPECT_EQ(ctx.attrs.at("excludepatterns"), "[\"node_modules\",\"*.log\"]");
  EXPECT_EQ(ctx.attrs.count("followpaths"), 0u);  // "." uses everything
  EXPECT_TRUE(d.metadata.at(d.output->digest).ignore_cache);
}

TEST(Lower, SourceDateEpoch) {
  Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("COPY", {"a", "/a"}).Build();
  LowerOptions o = Opts();
  o.build_args["SOURCE_DATE_EPOCH"] = "1700000000";
  llb::Definition d = MustLower(ast, o);
  EXPECT_EQ(d.image_config["history"][0]["created"], "2023-11-14T22:13:20Z");
  const auto& c = std::get<llb::CopyAction>(std::get<llb::FileOp>(OutputOp(d).kind).actions[0]);
  EXPECT_EQ(c.timestamp, 1700000000);
}

TEST(Lower, BuildContextsAddUrlParentsAndPorts) {
  Ast ast = AstBuilder()
                .Add("FROM", {"alpine"})
                .Add("ADD", {"https://example.com/files/tool.tgz?x=1", "/opt/"}, {"--checksum=sha256:" + std::string(64, 'b')})
                .Add("COPY", {"src/./a/*.go", "/w/"}, {"--parents"})
                .Add("EXPOSE", {"7000-7002/udp"})
                .Build();
  LowerOptions o = Opts();
  o.build_contexts["alpine"] = "docker-image://alpine:3.19@sha256:" + std::string(64, 'c');
  llb::Definition d = MustLower(ast, o);
  const auto& src = std::get<llb::SourceOp>(d.ops.at(d.order[0]).kind);
  EXPECT_EQ(src.identifier, "docker-image://docker.io/library/alpine:3.19@sha256:" + std::string(64, 'c'));
  bool saw_http = false;
  for (const auto& dg : d.order) {
    if (const auto* s = std::get_if<llb::SourceOp>(&d.ops.at(dg).kind); s && s->identifier.rfind("https://", 0) == 0) {
      saw_http = true;
      EXPECT_EQ(s->attrs.at("http.filename"), "tool.tgz");
      EXPECT_EQ(s->attrs.at("http.checksum"), "sha256:" + std::string(64, 'b'));
    }
  }
  EXPECT_TRUE(saw_http);
  const auto& f = std::get<llb::FileOp>(OutputOp(d).kind);
  const auto& c = std::get<llb::CopyAction>(f.actions[0]);
  EXPECT_TRUE(c.parents);
  EXPECT_EQ(c.src, "/src");
  EXPECT_EQ(c.include_patterns, std::vector<std::string>{"a/*.go"});
  for (const char* p : {"7000/udp", "7001/udp", "7002/udp"}) EXPECT_TRUE(d.image_config["config"]["ExposedPorts"].contains(p)) << p;
}

// COPY --parents: one action per source, src = the pivot ("/" without "/./"),
// the rest as the include pattern, as BuildKit's dockerfile2llb lowers it.
TEST(Lower, CopyParentsPivotsAndPatterns) {
  Ast ast = AstBuilder()
                .Add("FROM", {"scratch", "AS", "stage"})
                .Add("COPY", {"t", "/tree/"})
                .Add("FROM", {"scratch"})
                .Add("COPY", {"a/b/x.txt", "c/z.txt", "./a/b/*.txt", "src/./pkg/d", "/p/"}, {"--parents", "--exclude=**/*.md"})
                .Add("COPY", {"/tree/./c/*.txt", "/q/"}, {"--parents", "--from=stage"})
                .Build();
  llb::Definition d = MustLower(ast);
  const llb::Op& last = OutputOp(d);
  const auto& f = std::get<llb::FileOp>(last.kind);
  const auto& from = std::get<llb::CopyAction>(f.actions[0]);
  EXPECT_TRUE(from.parents);
  EXPECT_EQ(from.src, "/tree");
  EXPECT_EQ(from.include_patterns, std::vector<std::string>{"c/*.txt"});
  const llb::Op& first = d.ops.at(last.inputs[0].digest);
  const auto& g = std::get<llb::FileOp>(first.kind);
  ASSERT_EQ(g.actions.size(), 4u);
  std::vector<std::pair<std::string, std::string>> want{
      {"/", "a/b/x.txt"}, {"/", "c/z.txt"}, {"/", "a/b/*.txt"}, {"/src", "pkg/d"}};
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& c = std::get<llb::CopyAction>(g.actions[i]);
    EXPECT_TRUE(c.parents) << i;
    EXPECT_EQ(c.src, want[i].first) << i;
    EXPECT_EQ(c.include_patterns, std::vector<std::string>{want[i].second}) << i;
    EXPECT_EQ(c.exclude_patterns, std::vector<std::string>{"**/*.md"}) << i;
    EXPECT_EQ(c.dest, "/p/") << i;
  }
}

TEST(Lower, BuildContextDirectoryReplacesStage) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "deps"})
                .Add("RUN", {"false"})
                .Add("FROM", {"busybox"})
                .Add("COPY", {"/x", "/x"}, {"--from=deps"})
                .Build();
  LowerOptions o = Opts();
  o.build_contexts["deps"] = "/tmp/deps-dir";
  llb::Definition d = MustLower(ast, o);
  EXPECT_EQ(d.attrs.at("local:deps"), "/tmp/deps-dir");
  for (const auto& [dg, op] : d.ops) EXPECT_FALSE(std::holds_alternative<llb::ExecOp>(op.kind));
}

TEST(Lower, BuildContextWithoutStageServesCopyFromAndMountFrom) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox"})
                .Add("COPY", {"/x", "/x"}, {"--from=Deps"})
                .Add("RUN", {"cat /m/y"}, {"--mount=from=tools,target=/m"})
                .Build();
  LowerOptions o = Opts();
  o.build_contexts["Deps"] = "/tmp/deps-dir";
  o.build_contexts["tools"] = "docker-image://alpine:3.19@sha256:" + std::string(64, 'c');
  llb::Definition d = MustLower(ast, o);
  EXPECT_EQ(d.attrs.at("local:Deps"), "/tmp/deps-dir");
  bool saw_local = false, saw_tools = false;
  for (const auto& [dg, op] : d.ops)
    if (const auto* s = std::get_if<llb::SourceOp>(&op.kind)) {
      if (s->identifier == "local://Deps") saw_local = true;
      if (s->identifier == "docker-image://docker.io/library/alpine:3.19@sha256:" + std::string(64, 'c')) saw_tools = true;
    }
  EXPECT_TRUE(saw_local);
  EXPECT_TRUE(saw_tools);
}

TEST(Lower, ConfigFromResolverWithWrongTypesIsIgnored) {
  FakeResolver res;
  res.images["docker.io/library/odd:1"] = {"", R"({"os":5,"config":{"Env":"PATH=/x","WorkingDir":7,"User":["u"]},
      "history":[3,{"empty_layer":"yes"}],"rootfs":{"diff_ids":[]}})"};
  LowerOptions o = Opts();
  o.resolver = &res;
  llb::Definition d = MustLower(AstBuilder().Add("FROM", {"odd:1"}).Add("RUN", {"true"}).Build(), o);
  EXPECT_EQ(d.image_config["os"], "linux");
  EXPECT_EQ(std::get<llb::ExecOp>(OutputOp(d).kind).cwd, "/");
}

// ---- errors ----

Status LowerError(const Ast& ast, LowerOptions o = Opts()) {
  auto r = Lower(ast, o);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Status::OK() : r.status();
}

TEST(LowerErrors, UnknownTargetSuggests) {
  Ast ast = AstBuilder().Add("FROM", {"busybox", "AS", "build"}).Add("FROM", {"busybox", "AS", "test"}).Build();
  LowerOptions o = Opts();
  o.target = "biuld";
  Status st = LowerError(ast, o);
  EXPECT_EQ(st.message(), "target stage \"biuld\" could not be found");
  EXPECT_NE(st.hint().find("did you mean \"build\"?"), std::string::npos);
}

TEST(LowerErrors, CopyFromUnknownStageSuggests) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "build"})
                .Add("FROM", {"busybox"})
                .Add("COPY", {"/x", "/y"}, {"--from=buidl"})
                .Build();
  Status st = LowerError(ast);
  EXPECT_EQ(st.location().line, 3);
  EXPECT_NE(st.message().find("unknown stage \"buidl\""), std::string::npos);
  EXPECT_NE(st.hint().find("did you mean \"build\"?"), std::string::npos);
  std::string text = FormatDiagnostic(st, ast.source);
  EXPECT_NE(text.find("Dockerfile:3:6: "), std::string::npos) << text;
  EXPECT_NE(text.find("  3 | COPY --from=buidl /x /y\n    |      ^"), std::string::npos) << text;
}

TEST(LowerErrors, CopyFromLaterStage) {
  Ast ast = AstBuilder()
                .Add("FROM", {"busybox", "AS", "a"})
                .Add("COPY", {"/x", "/y"}, {"--from=b"})
                .Add("FROM", {"busybox", "AS", "b"})
                .Add("COPY", {"/x", "/y"}, {"--from=a"})
                .Build();
  Status st = LowerError(ast);
  EXPECT_NE(st.message().find("circular dependency"), std::string::npos) << st.ToString();
}

TEST(LowerErrors, UnknownFlagListsValidOnes) {
  Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("COPY", {"a", "b"}, {"--frm=x"}).Build();
  Status st = LowerError(ast);
  EXPECT_EQ(st.message(), "unknown flag: --frm");
  EXPECT_EQ(st.location().line, 2);
  EXPECT_EQ(st.location().column, 6);
  EXPECT_EQ(st.hint(), "did you mean --from? COPY accepts: --chmod, --chown, --exclude, --from, --link, --parents");
}

TEST(LowerErrors, StageNames) {
  Status bad = LowerError(AstBuilder().Add("FROM", {"busybox", "AS", "1st"}).Build());
  EXPECT_NE(bad.message().find("invalid name for build stage: \"1st\""), std::string::npos);
  EXPECT_EQ(bad.location().column, 17);
  Status reserved = LowerError(AstBuilder().Add("FROM", {"busybox", "AS", "scratch"}).Build());
  EXPECT_NE(reserved.message().find("reserved"), std::string::npos);
  Status blank = LowerError(AstBuilder().Add("ARG", {"IMG"}).Add("FROM", {"$IMG"}).Build());
  EXPECT_NE(blank.message().find("base name ($IMG) should not be blank"), std::string::npos);
  Status noframe = LowerError(AstBuilder().Add("RUN", {"true"}).Build());
  EXPECT_EQ(noframe.message(), "no build stage in current context");
}

TEST(LowerErrors, BadValuesInUsedStages) {
  Status sig = LowerError(AstBuilder().Add("FROM", {"busybox"}).Add("STOPSIGNAL", {"SIGNOPE"}).Build());
  EXPECT_EQ(sig.message(), "Invalid signal: SIGNOPE");
  EXPECT_EQ(sig.location().line, 2);
  Status net = LowerError(AstBuilder().Add("FROM", {"busybox"}).Add("RUN", {"true"}, {"--network=bridge"}).Build());
  EXPECT_EQ(net.message(), "unsupported network mode \"bridge\"");
  Status hc = LowerError(AstBuilder().Add("FROM", {"busybox"}).Add("HEALTHCHECK", {"CMD", "x"}, {"--interval=."}).Build());
  EXPECT_NE(hc.message().find("invalid duration"), std::string::npos);
  Status size = LowerError(AstBuilder().Add("FROM", {"busybox"}).Add("RUN", {"true"}, {"--mount=type=tmpfs,target=/t,size=."}).Build());
  EXPECT_NE(size.message().find("invalid value for size"), std::string::npos);
}

TEST(LowerErrors, InvalidUtf8) {
  Ast ast = AstBuilder().Add("FROM", {"busybox"}).Add("RUN", {"echo \xff"}).Build();
  Status st = LowerError(ast);
  EXPECT_EQ(st.location().line, 2);
  EXPECT_EQ(st.location().column, 10);
  EXPECT_NE(st.message().find("not valid UTF-8"), std::string::npos);
}

TEST(LowerErrors, VariableInCopyFrom) {
  Status st = LowerError(AstBuilder().Add("FROM", {"busybox"}).Add("COPY", {"a", "b"}, {"--from=$X"}).Build());
  EXPECT_NE(st.message().find("variable expansion is not supported for --from"), std::string::npos);
}

TEST(Outline, ArgsAndSecrets) {
  Ast ast = AstBuilder()
                .Comment("VERSION the release to build")
                .Add("ARG", {"VERSION=1.0"})
                .Add("ARG", {"UNUSED=x"})
                .Add("FROM", {"alpine:$VERSION", "AS", "build"})
                .Comment("MODE how to build")
                .Add("ARG", {"MODE=release"})
                .Add("RUN", {"make"}, {"--mount=type=secret,id=npmrc,required"})
                .Build();
  auto o = BuildOutline(ast, Opts());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  ASSERT_EQ(o->args.size(), 2u);
  EXPECT_EQ(o->args[0].name, "VERSION");
  EXPECT_EQ(o->args[0].value, "1.0");
  EXPECT_EQ(o->args[0].description, "the release to build");
  EXPECT_EQ(o->args[1].name, "MODE");
  EXPECT_EQ(o->args[1].description, "how to build");
  ASSERT_EQ(o->secrets.size(), 1u);
  EXPECT_EQ(o->secrets[0].id, "npmrc");
  EXPECT_TRUE(o->secrets[0].required);
  EXPECT_EQ(o->target, "build");
}

}  // namespace
}  // namespace kiln::frontend
