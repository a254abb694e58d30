// Internal to the lowering (lower.cc, lower_dispatch.cc, run_mount.cc): the
// per-stage dispatch state, as BuildKit's dispatchState.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frontend/lower.h"
#include "frontend/shell_lex.h"

namespace kiln::frontend::internal {

inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kHistoryComment = "buildkit.dockerfile.v0";

struct StageState;

// A parsed RUN --mount.
struct MountSpec {
  std::string type = "bind";
  std::string from, source, target, id, sharing, env;
  bool readonly = false, ro_auto = true, required = false;
  std::optional<uint32_t> mode, uid, gid;
  int64_t size = 0;
};

struct Cmd {
  Command c;
  std::vector<StageState*> sources;  // COPY --from: [src]; RUN: one per mount (nullptr = none)
};

struct ArgValue {
  std::string key;
  std::optional<std::string> value;
};

struct StageState {
  int index = 0;                 // position among Dockerfile stages; -1 for image-only states
  const Stage* stage = nullptr;  // nullptr for an image named by COPY --from / --mount from
  std::string name;              // lower-case stage name ("" when unnamed)
  std::string display;           // progress prefix name ("" when the file has one stage)
  std::string base_name;         // expanded FROM argument (or the image name)
  Range location;
  StageState* base = nullptr;    // FROM <stage>
  std::vector<Cmd> commands;
  std::set<StageState*> deps;
  std::optional<oci::Platform> platform;
  std::string named_context;     // a --build-context replaces this stage/image

  bool resolved = false, dispatched = false, onbuild_init = false, is_scratch = false;
  std::optional<llb::Edge> root;
  nlohmann::json image = nlohmann::json::object();
  VarList env;
  std::string cwd = "/", user;
  std::vector<ArgValue> build_args;
  int cmd_index = 0, cmd_total = 0;
  bool cmd_is_onbuild = false, cmd_set = false, ignore_cache = false;
  std::vector<std::string> base_onbuild;  // triggers from the base image config
  std::set<std::string> used_args;        // for the outline
};

}  // namespace kiln::frontend::internal

namespace kiln::frontend::internal {

class Lowerer {
 public:
  Lowerer(const Ast& ast, const LowerOptions& opts);

  // Splits stages, expands FROM lines, builds the stage graph (once).
  Status Prepare();
  // One full dispatch of every reachable stage. Pass 1 learns which context
  // paths the build uses; pass 2 builds the final DAG with them.
  Status Run(bool final_pass);
  llb::Definition Finish();
  // True when pass 1 learned context paths that change the context source op.
  bool NeedsSecondPass() const { return follow_paths_ && !follow_paths_->empty(); }
  Outline MakeOutline() const;

 private:
  friend class Dispatcher;
  // lower.cc
  Status BuildStates();
  Status ResolveTarget();
  Status BuildDependencies();
  Status ResolveStages();
  Status ResolveBase(StageState* d);
  Status InitTriggers(StageState* d, const std::vector<std::pair<std::string, const Command*>>& triggers, bool* new_deps);
  Result<Cmd> ToCommand(Command c);
  Status DispatchStage(StageState* d);
  std::set<StageState*> Reachable() const;
  void ResetPass();

 public:
  // Shared helpers (lower.cc).
  Status Err(const Range& r, const std::string& msg, const std::string& hint = "") const;
  // Like Err, with the column of `needle` on the instruction's first line.
  Status ErrAt(const Range& r, const std::string& needle, const std::string& msg, const std::string& hint = "") const;
  Status Locate(Status st, const Range& r) const;
  llb::Edge AddOp(llb::Op op, const std::string& desc, const StageState* d, const Range* r,
                  std::map<std::string, std::string> extra = {});
  llb::Edge ContextEdge();
  std::string Prefix(StageState* d, const std::string& str);
  void AddHistory(StageState* d, const std::string& msg, bool with_layer, bool buildkit_suffix);
  nlohmann::json EmptyImage(const oci::Platform& p) const;
  std::optional<int64_t> epoch() const { return epoch_; }
  const LowerOptions& opts() const { return opts_; }
  const ShellLex& lex() const { return lex_; }
  const VarList& global_args() const { return global_args_; }
  const oci::Platform& target_platform() const { return target_platform_; }
  void AddContextPath(const std::string& p) { ctx_paths_.insert(p); }
  void NoteSecret(const std::string& id, bool required, int line, bool ssh);
  void NoteArg(const ArgDef& def, const std::optional<std::string>& value, int line);

 private:
  const Ast& ast_;
  const LowerOptions& opts_;
  NullImageMetaResolver null_resolver_;
  ImageMetaResolver* resolver_;
  Stages stages_;
  ShellLex lex_;
  oci::Platform target_platform_;
  bool implicit_target_ = true;
  VarList global_args_;
  std::optional<int64_t> epoch_;
  std::vector<std::unique_ptr<StageState>> states_;  // Dockerfile stages, then images used by --from
  size_t stage_count_ = 0;
  StageState* target_ = nullptr;
  std::unique_ptr<llb::DefinitionBuilder> builder_;
  std::optional<llb::Edge> context_edge_;
  std::set<std::string> ctx_paths_;
  std::optional<std::vector<std::string>> follow_paths_;
  std::map<std::string, ImageMetaResolver::ImageMeta> resolve_cache_;
  std::map<std::string, std::string> def_attrs_;
  std::vector<llb::Definition::CheckWarning> check_warnings_;
  // Records a build check and hands it to LowerOptions::on_check_warning.
  void Warn(llb::Definition::CheckWarning w) {
    if (opts_.on_check_warning) opts_.on_check_warning(w);
    check_warnings_.push_back(std::move(w));
  }
  // outline
  std::vector<OutlineArg> outline_args_;
  std::vector<OutlineSecret> outline_secrets_, outline_ssh_;
  std::vector<OutlineArg> meta_outline_;
};

// lower_dispatch.cc: one instruction.
Status DispatchCommand(Lowerer& L, StageState* d, Cmd& cmd);
// run_mount.cc
Result<MountSpec> ParseMount(const std::string& csv, const std::function<Result<std::string>(const std::string&)>* expand);
// Image config helpers (lower_dispatch.cc).
nlohmann::json& ImageConfigOf(StageState* d);
std::string FormatEpoch(int64_t epoch);

}  // namespace kiln::frontend::internal
