#include "frontend/lower.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "base/strings.h"
#include "base/digest.h"
#include "base/source_date_epoch.h"
#include "frontend/diagnostic.h"
#include "frontend/lower_internal.h"
#include "frontend/path_util.h"
#include "frontend/utf8.h"
#ifdef KILN_HAVE_PARSER
#include "frontend/parser.h"
#endif

namespace kiln::frontend {

using nlohmann::json;

namespace internal {

namespace {

// A --build-context key for an image name: its familiar form without ":latest".
std::string ContextKeyForImage(const std::string& name) {
  auto ref = ParseReference(name);
  if (!ref.ok()) return name;
  std::string f = ref->Familiar();
  if (f.size() > 7 && f.compare(f.size() - 7, 7, ":latest") == 0) f.resize(f.size() - 7);
  return f;
}

}  // namespace

Lowerer::Lowerer(const Ast& ast, const LowerOptions& opts)
    : ast_(ast), opts_(opts), resolver_(opts.resolver ? opts.resolver : &null_resolver_), lex_(ast.escape) {}

Status Lowerer::Err(const Range& r, const std::string& msg, const std::string& hint) const {
  Status st = Status::InvalidArgument(msg).WithLocation({ast_.filename, r.start.line, std::max(1, r.start.column)});
  return hint.empty() ? st : st.WithHint(hint);
}

Status Lowerer::ErrAt(const Range& r, const std::string& needle, const std::string& msg,
                      const std::string& hint) const {
  Range at = r;
  std::string_view src = ast_.source;
  size_t pos = 0;
  for (int i = 1; i < r.start.line && pos != std::string_view::npos; i++) {
    pos = src.find('\n', pos);
    if (pos != std::string_view::npos) pos++;
  }
  if (pos != std::string_view::npos && !needle.empty()) {
    size_t end = src.find('\n', pos);
    std::string_view line = src.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    size_t p = line.find(needle);
    if (p != std::string_view::npos) at.start.column = static_cast<int>(p) + 1;
  }
  return Err(at, msg, hint);
}

Status Lowerer::Locate(Status st, const Range& r) const {
  if (st.ok() || st.location().known()) return st;
  return st.WithLocation({ast_.filename, r.start.line, std::max(1, r.start.column)});
}

llb::Edge Lowerer::AddOp(llb::Op op, const std::string& desc, const StageState* d, const Range* r,
                         std::map<std::string, std::string> extra) {
  llb::OpMetadata m;
  m.extra = std::move(extra);
  m.description = desc;
  if (d) {
    m.stage = !d->name.empty() ? d->name : d->index >= 0 ? std::to_string(d->index) : "";
    m.ignore_cache = d->ignore_cache;
  }
  if (r && r->start.line > 0) m.source.push_back({r->start.line, r->start.column, r->end.line, r->end.column});
  return builder_->Add(std::move(op), std::move(m));
}

llb::Edge Lowerer::ContextEdge() {
  if (context_edge_) return *context_edge_;
  llb::SourceOp src;
  src.identifier = "local://context";
  src.attrs["sharedkeyhint"] = "context";
  if (!opts_.dockerignore.empty()) src.attrs["excludepatterns"] = json(opts_.dockerignore).dump();
  if (follow_paths_ && !follow_paths_->empty()) src.attrs["followpaths"] = json(*follow_paths_).dump();
  llb::Op op;
  op.kind = std::move(src);
  context_edge_ = AddOp(std::move(op), "[internal] load build context", nullptr, nullptr);
  return *context_edge_;
}

std::string Lowerer::Prefix(StageState* d, const std::string& str) {
  if (d->cmd_total == 0) return str;
  std::string out = "[";
  if (!d->display.empty()) out += d->display + " ";
  d->cmd_index++;
  int width = static_cast<int>(1 + std::log10(static_cast<double>(d->cmd_total)));
  std::string idx = std::to_string(d->cmd_index);
  if (static_cast<int>(idx.size()) < width) idx = std::string(width - idx.size(), ' ') + idx;
  out += idx + "/" + std::to_string(d->cmd_total) + "] ";
  if (d->cmd_is_onbuild) out += "ONBUILD ";
  return out + str;
}

void Lowerer::AddHistory(StageState* d, const std::string& msg, bool with_layer, bool buildkit_suffix) {
  json h = json::object();
  if (epoch_) h["created"] = FormatEpoch(*epoch_);
  h["created_by"] = buildkit_suffix ? msg + " # buildkit" : msg;
  h["comment"] = kHistoryComment;
  if (!with_layer) h["empty_layer"] = true;
  if (!d->image.contains("history") || !d->image["history"].is_array()) d->image["history"] = json::array();
  d->image["history"].push_back(std::move(h));
}

json Lowerer::EmptyImage(const oci::Platform& p) const {
  json img = json::object();
  img["architecture"] = p.architecture;
  img["os"] = p.os;
  if (!p.variant.empty()) img["variant"] = p.variant;
  img["config"] = json{{"Env", json::array({std::string("PATH=") + kDefaultPath})}, {"WorkingDir", "/"}};
  return img;
}

void Lowerer::NoteSecret(const std::string& id, bool required, int line, bool ssh) {
  auto& list = ssh ? outline_ssh_ : outline_secrets_;
  for (auto& s : list)
    if (s.id == id) {
      s.required = s.required || required;
      return;
    }
  list.push_back({id, required, line});
}

void Lowerer::NoteArg(const ArgDef& def, const std::optional<std::string>& value, int line) {
  for (auto& a : outline_args_)
    if (a.name == def.key) return;
  OutlineArg a;
  a.name = def.key;
  a.description = def.comment;
  a.line = line;
  if (value) {
    a.value = *value;
    a.has_value = true;
  }
  outline_args_.push_back(std::move(a));
}

// ---- preparation -------------------------------------------------------------

Status Lowerer::Prepare() {
  ASSIGN_OR_RETURN(stages_, ParseStages(ast_));
  if (stages_.stages.empty()) {
    Range r;
    r.start = {1, 1};
    return Err(r, "the Dockerfile has no stages to build", "add a FROM instruction");
  }
  // Platforms and the predefined ARGs.
  implicit_target_ = !opts_.platform.has_value();
  target_platform_ = opts_.platform ? *opts_.platform : opts_.build_platform;
  const oci::Platform& bp = opts_.build_platform;
  const oci::Platform& tp = target_platform_;
  std::string target_name = opts_.target.empty() ? stages_.stages.back().name : opts_.target;
  const std::pair<const char*, std::string> defaults[] = {
      {"BUILDPLATFORM", bp.ToString()}, {"BUILDOS", bp.os},       {"BUILDOSVERSION", ""},
      {"BUILDARCH", bp.architecture},   {"BUILDVARIANT", bp.variant}, {"TARGETPLATFORM", tp.ToString()},
      {"TARGETOS", tp.os},              {"TARGETOSVERSION", ""},  {"TARGETARCH", tp.architecture},
      {"TARGETVARIANT", tp.variant},    {"TARGETSTAGE", target_name}};
  for (const auto& [k, v] : defaults) {
    auto it = opts_.build_args.find(k);
    global_args_.Set(k, it != opts_.build_args.end() ? it->second : v);
  }
  // ARGs before the first FROM (BuildKit's buildMetaArgs).
  for (const Command& c : stages_.meta_args) {
    for (const ArgDef& kp : c.args) {
      std::optional<std::string> value;
      auto it = opts_.build_args.find(kp.key);
      if (it != opts_.build_args.end()) {
        value = it->second;
      } else if (kp.value) {
        auto r = lex_.ProcessWord(*kp.value, global_args_);
        if (!r.ok()) return Err(c.range, r.status().message(), "fix the ARG default value");
        value = *r;
      }
      // A global ARG without a value (and no --build-arg) unsets the name,
      // even a predefined one: "ARG TARGETARCH" before FROM leaves it empty
      // in FROM and in stages, as BuildKit's addMetaArg replaces the pair.
      if (value) global_args_.Set(kp.key, *value);
      else global_args_.Erase(kp.key);
      OutlineArg a{kp.key, value.value_or(""), kp.comment, c.range.start.line, value.has_value()};
      meta_outline_.push_back(a);
    }
  }
  // SOURCE_DATE_EPOCH.
  std::string sde;
  if (auto it = opts_.build_args.find("SOURCE_DATE_EPOCH"); it != opts_.build_args.end()) sde = it->second;
  else if (const std::string* v = global_args_.Find("SOURCE_DATE_EPOCH")) sde = *v;
  if (!sde.empty()) {
    ASSIGN_OR_RETURN(epoch_, ParseSourceDateEpoch(sde));
  } else if (opts_.source_date_epoch) {
    epoch_ = opts_.source_date_epoch;
  }
  return Status::OK();
}

void Lowerer::ResetPass() {
  states_.clear();
  stage_count_ = 0;
  target_ = nullptr;
  builder_ = std::make_unique<llb::DefinitionBuilder>();
  context_edge_.reset();
  ctx_paths_.clear();
  outline_args_.clear();
  outline_secrets_.clear();
  outline_ssh_.clear();
  def_attrs_.clear();
  check_warnings_.clear();
}

Status Lowerer::BuildStates() {
  std::map<std::string, StageState*> by_name;
  for (size_t i = 0; i < stages_.stages.size(); i++) {
    const Stage& st = stages_.stages[i];
    auto d = std::make_unique<StageState>();
    d->index = static_cast<int>(i);
    d->stage = &st;
    d->name = st.name;
    d->location = st.range;
    auto name = lex_.Process(st.base_name, global_args_);
    if (!name.ok()) return ErrAt(st.range, st.base_name, name.status().message(), "define the variable with ARG before the first FROM");
    for (const std::string& k : name->matched) d->used_args.insert(k);
    if (name->word.empty())
      return ErrAt(st.range, st.base_name, "base name (" + st.base_name + ") should not be blank",
                 "give FROM an image or stage name; if it comes from an ARG, declare the ARG with a default before the first FROM");
    d->base_name = name->word;
    if (!st.platform.empty()) {
      auto p = lex_.Process(st.platform, global_args_);
      if (!p.ok()) return ErrAt(st.range, "--platform", "failed to process arguments for platform " + st.platform + ": " + p.status().message());
      if (p->word.empty())
        return ErrAt(st.range, "--platform", "empty platform value from expression " + st.platform,
                   "pass --platform or declare the ARG with a default before the first FROM");
      auto plat = oci::ParsePlatform(p->word);
      if (!plat) return ErrAt(st.range, "--platform", "failed to parse platform " + st.platform + ": invalid platform " + GoQuote(p->word),
                            "use os/arch[/variant], e.g. linux/amd64");
      for (const std::string& k : p->matched) d->used_args.insert(k);
      d->platform = *plat;
    }
    if (!st.name.empty() && opts_.build_contexts.count(st.name)) d->named_context = st.name;
    d->display = st.name.empty() ? "stage-" + std::to_string(i) : st.name;
    if (auto it = by_name.find(d->base_name); it != by_name.end() && d->named_context.empty()) d->base = it->second;
    if (!st.name.empty()) by_name[st.name] = d.get();
    int total = 0;
    if (d->base_name != "scratch" && !d->base) total = 1;
    for (const Command& c : st.commands)
      if (c.kind == CommandKind::kAdd || c.kind == CommandKind::kCopy || c.kind == CommandKind::kRun ||
          c.kind == CommandKind::kWorkdir)
        total++;
    d->cmd_total = total;
    d->ignore_cache = opts_.no_cache ||
                      std::find(opts_.no_cache_filter.begin(), opts_.no_cache_filter.end(), st.name) !=
                          opts_.no_cache_filter.end();
    states_.push_back(std::move(d));
  }
  stage_count_ = states_.size();
  // Base image references must parse even in unused stages (as in BuildKit).
  for (auto& d : states_) {
    if (d->base || d->base_name == "scratch" || !d->named_context.empty()) continue;
    auto ref = ParseReference(d->base_name);
    if (!ref.ok()) {
      std::string hint = "FROM takes an image reference (name[:tag][@digest]) or the name of an earlier stage";
      std::vector<std::string> names;
      for (size_t j = 0; j < static_cast<size_t>(d->index); j++)
        if (!states_[j]->name.empty()) names.push_back(states_[j]->name);
      std::string guess = ClosestMatch(d->base_name, names);
      if (!guess.empty()) hint = "did you mean the stage \"" + guess + "\"? " + hint;
      return ErrAt(d->location, d->stage->base_name, "failed to parse stage name \"" + d->base_name + "\": " + ref.status().message(), hint);
    }
  }
  return Status::OK();
}

Status Lowerer::ResolveTarget() {
  if (opts_.target.empty()) {
    target_ = states_[stage_count_ - 1].get();
    return Status::OK();
  }
  std::string want = kiln::Lower(opts_.target);
  for (size_t i = 0; i < stage_count_; i++)
    if (states_[i]->name == want) target_ = states_[i].get();
  if (target_) return Status::OK();
  std::vector<std::string> names = stages_.Names();
  std::string guess = ClosestMatch(opts_.target, names);
  std::string hint = guess.empty() ? "" : "did you mean \"" + guess + "\"? ";
  if (names.empty()) hint += "no stage has a name; name one with FROM image AS name";
  else {
    hint += "stages:";
    for (size_t i = 0; i < names.size(); i++) hint += (i ? ", " : " ") + names[i];
  }
  return Status::InvalidArgument("target stage \"" + opts_.target + "\" could not be found").WithHint(hint);
}

Result<Cmd> Lowerer::ToCommand(Command c) {
  Cmd cmd;
  auto image_state = [&](const std::string& from, const Range& r) -> StageState* {
    for (size_t i = stage_count_; i < states_.size(); i++)
      if (states_[i]->base_name == from) return states_[i].get();
    auto d = std::make_unique<StageState>();
    d->index = -1;
    d->base_name = from;
    d->location = r;
    d->ignore_cache = opts_.no_cache;
    states_.push_back(std::move(d));
    return states_.back().get();
  };
  // A --build-context NAME with no stage of that name: BuildKit looks named
  // contexts up before images (COPY --from=NAME, RUN --mount from=NAME).
  auto context_state = [&](const std::string& from, const Range& r) -> StageState* {
    if (!opts_.build_contexts.count(from)) return nullptr;
    for (size_t i = stage_count_; i < states_.size(); i++)
      if (states_[i]->named_context == from) return states_[i].get();
    auto d = std::make_unique<StageState>();
    d->index = -1;
    d->base_name = from;
    d->named_context = from;
    d->display = from;
    d->location = r;
    d->ignore_cache = opts_.no_cache;
    states_.push_back(std::move(d));
    return states_.back().get();
  };
  auto find_name = [&](const std::string& name) -> StageState* {
    StageState* found = nullptr;
    for (size_t i = 0; i < stage_count_; i++)
      if (!states_[i]->name.empty() && states_[i]->name == kiln::Lower(name)) found = states_[i].get();
    return found;
  };
  if (c.kind == CommandKind::kCopy && !c.from.empty()) {
    VarList empty;
    auto r = lex_.ProcessWord(c.from, empty);
    if (!r.ok() || *r != c.from)
      return ErrAt(c.range, "--from",
                 "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                 "ARG SRC=build\nFROM ${SRC} AS src\n...\nCOPY --from=src ...");
    StageState* src = nullptr;
    bool numeric = !c.from.empty() && std::all_of(c.from.begin(), c.from.end(), ::isdigit);
    if (numeric) {
      long idx = std::strtol(c.from.c_str(), nullptr, 10);
      if (idx < 0 || static_cast<size_t>(idx) >= stage_count_)
        return ErrAt(c.range, "--from", "invalid stage index " + c.from,
                   "stages are numbered from 0; this Dockerfile has " + std::to_string(stage_count_) + " stage(s)");
      src = states_[idx].get();
    } else {
      src = find_name(c.from);
      if (!src) src = context_state(c.from, c.range);
      if (!src) {
        bool bare = c.from.find_first_of("/:@.") == std::string::npos;
        std::string guess = bare ? ClosestMatch(c.from, stages_.Names()) : "";
        if (!guess.empty())
          return ErrAt(c.range, "--from", "COPY --from names an unknown stage \"" + c.from + "\"",
                     "did you mean \"" + guess + "\"? (to copy from an image of that name, write its full reference, e.g. docker.io/library/" + c.from + ")");
        auto ref = ParseReference(c.from);
        if (!ref.ok()) {
          std::string hint = "--from takes a stage name, a stage index or an image reference";
          if (!stages_.Names().empty()) {
            hint += "; stages:";
            for (const auto& n : stages_.Names()) hint += " " + n;
          }
          return ErrAt(c.range, "--from", "COPY --from=" + c.from + " is neither a stage nor a valid image reference: " + ref.status().message(), hint);
        }
        src = image_state(c.from, c.range);
      }
    }
    cmd.sources.push_back(src);
  }
  if (c.kind == CommandKind::kRun) {
    for (const std::string& m : c.mounts) {
      auto spec = ParseMount(m, nullptr);
      if (!spec.ok()) return Err(c.range, spec.status().message(), spec.status().hint());
      StageState* src = nullptr;
      if (!spec->from.empty() && spec->type != "tmpfs") {
        src = find_name(spec->from);
        if (!src) src = context_state(spec->from, c.range);
        if (!src) {
          auto ref = ParseReference(spec->from);
          if (!ref.ok())
            return Err(c.range, "RUN --mount from=" + spec->from + " is neither a stage nor a valid image reference",
                       "from= takes a stage name or an image reference");
          src = image_state(spec->from, c.range);
        }
      }
      cmd.sources.push_back(src);
    }
  }
  cmd.c = std::move(c);
  return cmd;
}

Status Lowerer::BuildDependencies() {
  for (size_t i = 0; i < stage_count_; i++) {
    StageState* d = states_[i].get();
    if (!d->named_context.empty()) continue;
    for (const Command& c : d->stage->commands) {
      ASSIGN_OR_RETURN(Cmd cmd, ToCommand(c));
      for (StageState* s : cmd.sources)
        if (s) d->deps.insert(s);
      d->commands.push_back(std::move(cmd));
    }
  }
  // Circular dependencies (FROM only refers back, but COPY --from can point forward).
  std::map<StageState*, int> mark;
  std::function<Status(StageState*)> visit = [&](StageState* s) -> Status {
    if (mark[s] == 2) return Status::OK();
    if (mark[s] == 1)
      return Err(s->location, "circular dependency detected on stage: " + (s->name.empty() ? s->display : s->name),
                 "a stage cannot COPY --from or mount a stage that depends on it");
    mark[s] = 1;
    if (s->base) RETURN_IF_ERROR(visit(s->base));
    for (StageState* x : s->deps) RETURN_IF_ERROR(visit(x));
    mark[s] = 2;
    return Status::OK();
  };
  for (size_t i = 0; i < stage_count_; i++) RETURN_IF_ERROR(visit(states_[i].get()));
  if (stage_count_ == 1) states_[0]->display = "";
  return Status::OK();
}

std::set<StageState*> Lowerer::Reachable() const {
  std::set<StageState*> out;
  std::vector<StageState*> todo{target_};
  while (!todo.empty()) {
    StageState* s = todo.back();
    todo.pop_back();
    if (!out.insert(s).second) continue;
    if (s->base) todo.push_back(s->base);
    for (StageState* x : s->deps) todo.push_back(x);
  }
  return out;
}

Status Lowerer::ResolveBase(StageState* d) {
  d->resolved = true;
  oci::Platform platform = d->platform.value_or(target_platform_);
  // A --build-context replacing this stage or image.
  std::string ctx_key = !d->named_context.empty() ? d->named_context : ContextKeyForImage(d->base_name);
  auto nc = opts_.build_contexts.find(ctx_key);
  if (nc == opts_.build_contexts.end() && d->base_name == "scratch" && d->stage) {
    d->is_scratch = true;
    d->root.reset();
    d->image = EmptyImage(target_platform_);
    d->platform = target_platform_;
    return Status::OK();
  }
  std::string image_name = d->base_name;
  if (nc != opts_.build_contexts.end()) {
    const std::string& v = nc->second;
    if (v.rfind("docker-image://", 0) == 0) {
      image_name = v.substr(15);
    } else {
      llb::Op op;
      op.kind = llb::SourceOp{"local://" + ctx_key, {{"sharedkeyhint", ctx_key}}};
      d->root = AddOp(std::move(op), "[internal] load build context " + ctx_key, d, &d->location);
      d->image = EmptyImage(platform);
      d->platform = platform;
      def_attrs_["local:" + ctx_key] = v;
      if (!d->named_context.empty() || !d->stage) d->dispatched = true;
      return Status::OK();
    }
  }
  auto ref = ParseReference(image_name);
  if (!ref.ok()) return Err(d->location, "failed to parse stage name \"" + image_name + "\": " + ref.status().message());
  std::string key = ref->String() + "|" + platform.ToString();
  auto cached = resolve_cache_.find(key);
  if (cached == resolve_cache_.end()) {
    auto meta = resolver_->Resolve(*ref, platform);
    if (!meta.ok()) {
      std::vector<std::string> names = stages_.Names();
      std::string guess = ClosestMatch(d->base_name, names);
      std::string hint = guess.empty() ? "check the image name and tag, or pull the image first"
                                       : "did you mean the stage \"" + guess + "\"?";
      return Err(d->location, d->base_name + ": " + meta.status().message(), meta.status().hint().empty() ? hint : meta.status().hint());
    }
    cached = resolve_cache_.emplace(key, *meta).first;
  }
  const ImageMetaResolver::ImageMeta& meta = cached->second;
  json cfg = json::object();
  if (!meta.config_json.empty()) {
    cfg = json::parse(meta.config_json, nullptr, false);
    if (cfg.is_discarded() || !cfg.is_object())
      return Err(d->location, "failed to parse image config of " + ref->String());
  }
  // BuildKit's InvalidBaseImagePlatform: the image's config says another platform.
  if (cfg.contains("architecture") && cfg["architecture"].is_string() && !cfg["architecture"].get<std::string>().empty()) {
    oci::Platform got;
    got.os = cfg.contains("os") && cfg["os"].is_string() ? cfg["os"].get<std::string>() : platform.os;
    got.architecture = cfg["architecture"].get<std::string>();
    got.variant = cfg.contains("variant") && cfg["variant"].is_string() ? cfg["variant"].get<std::string>() : "";
    bool variant_differs = !got.variant.empty() && !platform.variant.empty() && got.variant != platform.variant;
    if (got.os != platform.os || got.architecture != platform.architecture || variant_differs)
      Warn({"InvalidBaseImagePlatform",
            "Base image " + image_name + " was pulled with platform \"" + got.ToString() + "\", expected \"" +
                platform.ToString() + "\" for current build",
            d->location.start.line});
  }
  Reference pinned = *ref;
  if (!meta.digest.empty()) pinned.digest = meta.digest;
  // Keep what BuildKit's image type keeps (fields of the wrong JSON type are
  // dropped, as a failed Go unmarshal would not let them through); drop
  // "created" and the rootfs.
  json img = json::object();
  for (const char* k : {"author", "architecture", "variant", "os", "os.version"})
    if (cfg.contains(k) && cfg[k].is_string()) img[k] = cfg[k];
  if (cfg.contains("os.features") && cfg["os.features"].is_array()) img["os.features"] = cfg["os.features"];
  if (cfg.contains("history") && cfg["history"].is_array()) {
    img["history"] = json::array();
    for (const json& h : cfg["history"])
      if (h.is_object()) img["history"].push_back(h);
  }
  json config = json::object();
  if (cfg.contains("config") && cfg["config"].is_object()) {
    const json& c = cfg["config"];
    auto keep = [&](const char* k, bool ok) {
      if (c.contains(k) && ok) config[k] = c[k];
    };
    for (const char* k : {"User", "WorkingDir", "StopSignal"}) keep(k, c.contains(k) && c[k].is_string());
    for (const char* k : {"Env", "Entrypoint", "Cmd", "OnBuild", "Shell"}) {
      bool ok = c.contains(k) && c[k].is_array() &&
                std::all_of(c[k].begin(), c[k].end(), [](const json& x) { return x.is_string(); });
      keep(k, ok);
    }
    for (const char* k : {"ExposedPorts", "Volumes", "Labels", "Healthcheck"}) keep(k, c.contains(k) && c[k].is_object());
    keep("ArgsEscaped", c.contains("ArgsEscaped") && c["ArgsEscaped"].is_boolean());
  }
  img["config"] = config;
  if (!img.contains("architecture")) img["architecture"] = platform.architecture;
  if (!img.contains("os")) img["os"] = platform.os;
  bool scratch = false;
  if (cfg.contains("rootfs") && cfg["rootfs"].is_object()) {
    const json& ids = cfg["rootfs"]["diff_ids"];
    if (!ids.is_array() || ids.empty()) {
      scratch = true;
      if (cfg.contains("history") && cfg["history"].is_array())
        for (const json& h : cfg["history"])
          if (!(h.is_object() && h.contains("empty_layer") && h["empty_layer"].is_boolean() &&
                h["empty_layer"].get<bool>()))
            scratch = false;
    }
  }
  d->image = std::move(img);
  d->platform = platform;
  if (config.contains("OnBuild") && config["OnBuild"].is_array())
    for (const json& t : config["OnBuild"])
      if (t.is_string()) d->base_onbuild.push_back(t.get<std::string>());
  d->is_scratch = scratch;
  if (scratch) {
    d->root.reset();
  } else {
    llb::Op op;
    llb::SourceOp src{"docker-image://" + pinned.String(), {{"platform", platform.ToString()}}};
    op.kind = std::move(src);
    d->root = AddOp(std::move(op), Prefix(d, "FROM " + pinned.String()), d, &d->location);
  }
  if (!d->stage) d->dispatched = true;  // an image named by --from is ready as is
  if (!d->named_context.empty()) d->dispatched = true;
  return Status::OK();
}

Status Lowerer::InitTriggers(StageState* d, const std::vector<std::pair<std::string, const Command*>>& triggers,
                             bool* new_deps) {
  std::vector<Cmd> cmds;
  for (const auto& [text, from_cmd] : triggers) {
    Command c;
    if (from_cmd && !from_cmd->trigger.empty()) {
      ASSIGN_OR_RETURN(c, ParseCommand(from_cmd->trigger[0], ast_.filename, ast_.source));
    } else {
      std::function<Result<Ast>(std::string_view)> parse = opts_.parse;
#ifdef KILN_HAVE_PARSER
      if (!parse) parse = [](std::string_view t) { return Parse(t, "ONBUILD"); };
#endif
      if (!parse)
        return Err(d->location, "cannot run the base image's ONBUILD trigger \"" + text + "\": no Dockerfile parser is linked in");
      auto ast = parse(text);
      if (!ast.ok()) return Err(d->location, "invalid ONBUILD trigger \"" + text + "\": " + ast.status().message());
      if (ast->instructions.size() != 1) return Err(d->location, "onbuild trigger should be a single expression");
      auto pc = ParseCommand(ast->instructions[0], ast_.filename, text);
      if (!pc.ok()) return Err(d->location, "ONBUILD trigger \"" + text + "\": " + pc.status().message());
      c = std::move(*pc);
    }
    c.range = d->location;  // triggers point at the FROM line
    c.onbuild = true;
    ASSIGN_OR_RETURN(Cmd cmd, ToCommand(std::move(c)));
    for (StageState* s : cmd.sources)
      if (s) {
        d->deps.insert(s);
        *new_deps = true;
      }
    cmds.push_back(std::move(cmd));
  }
  d->cmd_total += static_cast<int>(cmds.size());
  for (Cmd& c : d->commands) cmds.push_back(std::move(c));
  d->commands = std::move(cmds);
  return Status::OK();
}

Status Lowerer::ResolveStages() {
  for (;;) {
    std::set<StageState*> reach = Reachable();
    for (auto& up : states_) {
      StageState* d = up.get();
      if (!reach.count(d) || d->base || d->resolved) continue;
      RETURN_IF_ERROR(ResolveBase(d));
    }
    bool new_deps = false;
    for (auto& up : states_) {
      StageState* d = up.get();
      if (!reach.count(d) || !d->stage || !d->named_context.empty()) continue;
      std::vector<std::pair<std::string, const Command*>> triggers;
      for (const std::string& t : d->base_onbuild) triggers.push_back({t, nullptr});
      d->base_onbuild.clear();
      if (d->base && !d->onbuild_init) {
        for (const Cmd& c : d->base->commands)
          if (c.c.kind == CommandKind::kOnbuild) triggers.push_back({c.c.value, &c.c});
      }
      d->onbuild_init = true;
      if (!triggers.empty()) RETURN_IF_ERROR(InitTriggers(d, triggers, &new_deps));
    }
    if (!new_deps) return Status::OK();
  }
}

Status Lowerer::DispatchStage(StageState* d) {
  if (d->base) {
    StageState* b = d->base;
    d->root = b->root;
    d->platform = b->platform;
    d->image = b->image;
    if (d->image.contains("config")) d->image["config"].erase("OnBuild");
    d->env = b->env;
    d->cwd = b->cwd;
    d->user = b->user;
    // The base stage's ARG values stay in the environment, but not in the
    // "|N K=V" list of RUN's history (dockerd 20.10's BuildKit starts each
    // stage with no build args; later versions append the base's).
  }
  if (!d->platform) d->platform = target_platform_;
  json& config = ImageConfigOf(d);
  bool has_path = false;
  if (config.contains("Env") && config["Env"].is_array()) {
    for (const json& e : config["Env"])
      if (e.is_string() && e.get<std::string>().rfind("PATH=", 0) == 0) has_path = true;
  }
  if (!has_path) {
    if (!config.contains("Env") || !config["Env"].is_array()) config["Env"] = json::array();
    config["Env"].push_back(std::string("PATH=") + kDefaultPath);
  }
  for (const json& e : config["Env"]) {
    if (!e.is_string()) continue;
    std::string kv = e.get<std::string>();
    size_t eq = kv.find('=');
    d->env.Set(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  if (config.contains("WorkingDir") && config["WorkingDir"].is_string() && !config["WorkingDir"].get<std::string>().empty()) {
    std::string wd = config["WorkingDir"].get<std::string>();
    if (!PathIsAbs(wd)) wd = PathJoin("/", d->cwd, wd);  // an absolute one stays as written (DispatchWorkdir)
    config["WorkingDir"] = wd;
    d->cwd = wd;
  }
  if (config.contains("User") && config["User"].is_string() && !config["User"].get<std::string>().empty())
    d->user = config["User"].get<std::string>();
  for (Cmd& cmd : d->commands) {
    d->cmd_is_onbuild = cmd.c.onbuild;
    Status st = DispatchCommand(*this, d, cmd);
    if (!st.ok()) return Locate(st, cmd.c.range);
  }
  d->dispatched = true;
  return Status::OK();
}

Status Lowerer::Run(bool final_pass) {
  ResetPass();
  RETURN_IF_ERROR(BuildStates());
  RETURN_IF_ERROR(ResolveTarget());
  RETURN_IF_ERROR(BuildDependencies());
  RETURN_IF_ERROR(ResolveStages());
  std::set<StageState*> reach = Reachable();
  for (auto& up : states_) {
    StageState* d = up.get();
    if (!reach.count(d) || d->dispatched || !d->stage) continue;
    RETURN_IF_ERROR(DispatchStage(d));
  }
  // Global ARGs used by reachable FROM lines come first in the outline.
  std::set<std::string> used;
  for (StageState* d : reach) used.insert(d->used_args.begin(), d->used_args.end());
  std::vector<OutlineArg> args;
  for (const OutlineArg& a : meta_outline_)
    if (used.count(a.name)) args.push_back(a);
  for (const OutlineArg& a : outline_args_) {
    bool dup = std::any_of(args.begin(), args.end(), [&](const OutlineArg& x) { return x.name == a.name; });
    if (!dup) args.push_back(a);
  }
  outline_args_ = std::move(args);
  if (!final_pass) {
    // BuildKit's normalizeContextPaths: "/" means everything.
    std::vector<std::string> paths;
    bool all = false;
    for (const std::string& p : ctx_paths_) {
      if (p == "/") all = true;
      paths.push_back(PathJoin(".", p));
    }
    std::sort(paths.begin(), paths.end());
    follow_paths_ = all ? std::vector<std::string>{} : paths;
  }
  return Status::OK();
}

llb::Definition Lowerer::Finish() {
  json image = target_->image;
  json& config = image["config"];
  if (!opts_.labels.empty()) {
    if (!config.contains("Labels") || !config["Labels"].is_object()) config["Labels"] = json::object();
    for (const auto& [k, v] : opts_.labels) config["Labels"][k] = v;
  }
  if (!implicit_target_) {
    const oci::Platform& tp = target_platform_;
    bool same = image.value("os", "") == tp.os && image.value("architecture", "") == tp.architecture;
    image["os"] = tp.os;
    image["architecture"] = tp.architecture;
    if (!tp.variant.empty() || !same) {
      if (tp.variant.empty()) image.erase("variant");
      else image["variant"] = tp.variant;
    }
  }
  if (!image.contains("history")) image["history"] = json::array();
  std::optional<llb::Edge> out = target_->root;
  llb::Definition def = std::move(*builder_).Finish(out);
  def.source_file = ast_.filename;
  def.source_text = ast_.source;
  def.image_config = std::move(image);
  def.attrs = def_attrs_;
  def.check_warnings = check_warnings_;
  def.attrs["target"] = target_->name;
  def.attrs["platform"] = target_platform_.ToString();
  if (epoch_) def.attrs["source_date_epoch"] = std::to_string(*epoch_);
  return def;
}

Outline Lowerer::MakeOutline() const {
  Outline o;
  o.target = target_->name;
  o.description = target_->stage ? target_->stage->comment : "";
  o.args = outline_args_;
  o.secrets = outline_secrets_;
  o.ssh = outline_ssh_;
  for (size_t i = 0; i < stage_count_; i++) {
    const StageState* d = states_[i].get();
    o.stages.push_back({d->name, d->base_name, d->stage->platform, d->stage->comment, d->location.start.line,
                        d == target_});
  }
  return o;
}

}  // namespace internal

namespace {

// The DAG's canonical form is JSON, which holds only UTF-8 text (BuildKit's
// protobuf LLB has the same rule), so invalid bytes are an input error.
Status CheckUtf8(const Ast& ast, const LowerOptions& opts) {
  size_t bad = FirstInvalidUtf8(ast.source);
  if (bad != std::string::npos) {
    int line = 1, col = 1;
    for (size_t i = 0; i < bad; i++) {
      if (ast.source[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    return Status::InvalidArgument("the Dockerfile is not valid UTF-8 (byte 0x" +
                                   std::string(1, "0123456789abcdef"[(static_cast<unsigned char>(ast.source[bad]) >> 4)]) +
                                   std::string(1, "0123456789abcdef"[static_cast<unsigned char>(ast.source[bad]) & 15]) + ")")
        .WithLocation({ast.filename, line, col})
        .WithHint("save the Dockerfile as UTF-8");
  }
  auto check = [](const std::string& what, const std::string& v) -> Status {
    if (FirstInvalidUtf8(v) == std::string::npos) return Status::OK();
    return Status::InvalidArgument(what + " is not valid UTF-8").WithHint("pass UTF-8 text");
  };
  RETURN_IF_ERROR(check("--target", opts.target));
  for (const auto& [k, v] : opts.build_args) RETURN_IF_ERROR(check("--build-arg " + k, k + v));
  for (const auto& [k, v] : opts.labels) RETURN_IF_ERROR(check("--label", k + v));
  for (const auto& [k, v] : opts.build_contexts) RETURN_IF_ERROR(check("--build-context", k + v));
  for (const std::string& p : opts.dockerignore) RETURN_IF_ERROR(check(".dockerignore pattern", p));
  return Status::OK();
}

}  // namespace

Result<llb::Definition> Lower(const Ast& ast, const LowerOptions& opts) {
  RETURN_IF_ERROR(CheckUtf8(ast, opts));
  internal::Lowerer l(ast, opts);
  RETURN_IF_ERROR(l.Prepare());
  RETURN_IF_ERROR(l.Run(false));
  // The build context's source op names the paths the build uses, which are
  // known only after every stage is dispatched: a second pass builds the DAG
  // with them (when the first pass used the whole context or none of it, its
  // DAG is already final).
  if (l.NeedsSecondPass()) RETURN_IF_ERROR(l.Run(true));
  return l.Finish();
}

Result<Outline> BuildOutline(const Ast& ast, const LowerOptions& opts) {
  RETURN_IF_ERROR(CheckUtf8(ast, opts));
  internal::Lowerer l(ast, opts);
  RETURN_IF_ERROR(l.Prepare());
  RETURN_IF_ERROR(l.Run(false));
  return l.MakeOutline();
}

}  // namespace kiln::frontend
