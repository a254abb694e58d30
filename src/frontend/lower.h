// Lowering: a Dockerfile Ast plus build options -> the build DAG (llb::Definition)
// and the image config of the target stage, exactly as BuildKit's dockerfile2llb
// computes them. Only stages reachable from the target are dispatched, so an
// unused stage that would fail never matters (syntax and flag errors anywhere
// in the file still do, as in BuildKit).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/oci.h"
#include "base/reference.h"
#include "base/status.h"
#include "frontend/ast.h"
#include "frontend/instructions.h"
#include "llb/definition.h"

namespace kiln::frontend {

// Resolves an image reference for FROM / COPY --from=<image> / RUN --mount from=<image>.
// Implementations: the CLI wires the local store and the registry; tests use fakes.
class ImageMetaResolver {
 public:
  struct ImageMeta {
    std::string digest;       // manifest digest to pin ("sha256:..."); "" = unknown (not pinned)
    std::string config_json;  // the OCI image config; "" or "{}" = unknown
  };
  virtual ~ImageMetaResolver() = default;
  // NotFound (or any error) fails the build with the FROM line's location.
  virtual Result<ImageMeta> Resolve(const Reference& ref, const oci::Platform& platform) = 0;
};

// Knows nothing: no digest, empty config (for `kiln graph` without a store).
class NullImageMetaResolver : public ImageMetaResolver {
 public:
  Result<ImageMeta> Resolve(const Reference&, const oci::Platform&) override { return ImageMeta{"", "{}"}; }
};

struct LowerOptions {
  std::string target;                             // "" = last stage
  std::map<std::string, std::string> build_args;  // --build-arg K=V
  std::optional<oci::Platform> platform;          // --platform; nullopt = the build platform
  oci::Platform build_platform = oci::HostPlatform();
  // --build-context NAME=VALUE: VALUE is "docker-image://REF" or a directory
  // (lowered to the source "local://NAME"; the directory is in Definition::attrs["local:NAME"]).
  std::map<std::string, std::string> build_contexts;
  bool no_cache = false;                  // every op ignore_cache
  std::vector<std::string> no_cache_filter;  // stage names whose ops ignore the cache
  std::optional<int64_t> source_date_epoch;  // also read from the SOURCE_DATE_EPOCH build arg
  std::map<std::string, std::string> labels;  // --label, added to the target's config
  std::vector<std::string> dockerignore;      // exclude patterns for local://context
  ImageMetaResolver* resolver = nullptr;      // nullptr = NullImageMetaResolver
  // Receives each build check only lowering can tell (InvalidBaseImagePlatform) as
  // it is found, so a caller sees them even when lowering fails later; they are in
  // Definition::check_warnings too.
  std::function<void(const llb::Definition::CheckWarning&)> on_check_warning;
  // Parses ONBUILD trigger text of base images (defaults to the frontend parser
  // when it is linked in).
  std::function<Result<Ast>(std::string_view text)> parse;
};

// Errors name file:line:column (Status::location) and say how to fix the input.
Result<llb::Definition> Lower(const Ast& ast, const LowerOptions& opts);

// `docker build --call=outline`: what a build of the target takes.
struct OutlineArg {
  std::string name, value, description;
  int line = 0;
  bool has_value = false;
};
struct OutlineSecret {
  std::string id;
  bool required = false;
  int line = 0;
};
struct Outline {
  std::string target, description;  // target stage name ("" when unnamed) and its doc comment
  std::vector<OutlineArg> args;     // in declaration order; global ARGs used in FROM first
  std::vector<OutlineSecret> secrets, ssh;
  struct StageInfo {
    std::string name, base, platform, description;
    int line = 0;
    bool is_target = false;
  };
  std::vector<StageInfo> stages;  // every stage of the file
};
Result<Outline> BuildOutline(const Ast& ast, const LowerOptions& opts);

}  // namespace kiln::frontend
