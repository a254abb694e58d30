#include "llb/definition.h"

#include <set>

#include "base/digest.h"

namespace kiln::llb {

using nlohmann::json;

namespace {

const char* MountTypeName(MountType t) {
  switch (t) {
    case MountType::kBind: return "bind";
    case MountType::kCache: return "cache";
    case MountType::kTmpfs: return "tmpfs";
    case MountType::kSecret: return "secret";
    case MountType::kSsh: return "ssh";
  }
  return "bind";
}

const char* SharingName(CacheSharing s) {
  switch (s) {
    case CacheSharing::kShared: return "shared";
    case CacheSharing::kPrivate: return "private";
    case CacheSharing::kLocked: return "locked";
  }
  return "shared";
}

const char* NetworkName(NetworkMode n) {
  switch (n) {
    case NetworkMode::kDefault: return "default";
    case NetworkMode::kNone: return "none";
    case NetworkMode::kHost: return "host";
  }
  return "default";
}

template <typename E, size_t N>
Result<E> EnumFromName(const std::string& s, const char* (&names)[N], const char* what) {
  for (size_t i = 0; i < N; i++)
    if (s == names[i]) return static_cast<E>(i);
  return Status::InvalidArgument(std::string("unknown ") + what + ": " + s);
}

const char* kMountTypes[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
const char* kSharing[] = {"shared", "private", "locked"};
const char* kNetworks[] = {"default", "none", "host"};

json ChownToJson(const std::optional<Chown>& c) {
  if (!c) return nullptr;
  return json{{"user", c->user}, {"group", c->group}};
}

std::optional<Chown> ChownFromJson(const json& j) {
  if (j.is_null()) return std::nullopt;
  return Chown{j.value("user", ""), j.value("group", "")};
}

json TimestampToJson(const std::optional<int64_t>& t) { return t ? json(*t) : json(nullptr); }
std::optional<int64_t> TimestampFromJson(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<int64_t>();
}

json ActionToJson(const FileAction& a) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, CopyAction>) {
          return json{{"copy",
                       {{"source", x.source}, {"src", x.src}, {"dest", x.dest}, {"chown", ChownToJson(x.chown)},
                        {"chmod", x.chmod}, {"follow_symlinks", x.follow_symlinks},
                        {"dir_copy_contents", x.dir_copy_contents}, {"unpack_archives", x.unpack_archives},
                        {"create_dest_path", x.create_dest_path}, {"allow_wildcard", x.allow_wildcard},
                        {"allow_empty_wildcard", x.allow_empty_wildcard}, {"replace_existing", x.replace_existing},
                        {"parents", x.parents}, {"include_patterns", x.include_patterns},
                        {"exclude_patterns", x.exclude_patterns}, {"timestamp", TimestampToJson(x.timestamp)}}}};
        } else if constexpr (std::is_same_v<T, MkdirAction>) {
          return json{{"mkdir",
                       {{"path", x.path}, {"mode", x.mode}, {"make_parents", x.make_parents},
                        {"chown", ChownToJson(x.chown)}, {"timestamp", TimestampToJson(x.timestamp)}}}};
        } else if constexpr (std::is_same_v<T, MkfileAction>) {
          return json{{"mkfile",
                       {{"path", x.path}, {"mode", x.mode}, {"data", x.data}, {"chown", ChownToJson(x.chown)},
                        {"timestamp", TimestampToJson(x.timestamp)}}}};
        } else {
          return json{{"rm",
                       {{"path", x.path}, {"allow_not_found", x.allow_not_found},
                        {"allow_wildcard", x.allow_wildcard}}}};
        }
      },
      a);
}

FileAction ActionFromJson(const json& j) {
  if (j.contains("copy")) {
    const json& c = j["copy"];
    CopyAction x;
    x.source = c.at("source");
    x.src = c.at("src");
    x.dest = c.at("dest");
    x.chown = ChownFromJson(c.at("chown"));
    x.chmod = c.at("chmod");
    x.follow_symlinks = c.at("follow_symlinks");
    x.dir_copy_contents = c.at("dir_copy_contents");
    x.unpack_archives = c.at("unpack_archives");
    x.create_dest_path = c.at("create_dest_path");
    x.allow_wildcard = c.at("allow_wildcard");
    x.allow_empty_wildcard = c.at("allow_empty_wildcard");
    x.replace_existing = c.at("replace_existing");
    x.parents = c.at("parents");
    x.include_patterns = c.at("include_patterns").get<std::vector<std::string>>();
    x.exclude_patterns = c.at("exclude_patterns").get<std::vector<std::string>>();
    x.timestamp = TimestampFromJson(c.at("timestamp"));
    return x;
  }
  if (j.contains("mkdir")) {
    const json& c = j["mkdir"];
    return MkdirAction{c.at("path"), c.at("mode"), c.at("make_parents"), ChownFromJson(c.at("chown")),
                       TimestampFromJson(c.at("timestamp"))};
  }
  if (j.contains("mkfile")) {
    const json& c = j["mkfile"];
    return MkfileAction{c.at("path"), c.at("mode"), c.at("data"), ChownFromJson(c.at("chown")),
                        TimestampFromJson(c.at("timestamp"))};
  }
  const json& c = j.at("rm");
  return RmAction{c.at("path"), c.at("allow_not_found"), c.at("allow_wildcard")};
}

json MountToJson(const Mount& m) {
  return json{{"input", m.input},       {"dest", m.dest},         {"selector", m.selector},
              {"output", m.output},     {"readonly", m.readonly}, {"type", MountTypeName(m.type)},
              {"cache_id", m.cache_id}, {"sharing", SharingName(m.sharing)}, {"secret_id", m.secret_id},
              {"optional", m.optional}, {"uid", m.uid},           {"gid", m.gid},
              {"mode", m.mode},         {"tmpfs_size", m.tmpfs_size}};
}

Result<Mount> MountFromJson(const json& j) {
  Mount m;
  m.input = j.at("input");
  m.dest = j.at("dest");
  m.selector = j.at("selector");
  m.output = j.at("output");
  m.readonly = j.at("readonly");
  ASSIGN_OR_RETURN(m.type, (EnumFromName<MountType>(j.at("type"), kMountTypes, "mount type")));
  m.cache_id = j.at("cache_id");
  ASSIGN_OR_RETURN(m.sharing, (EnumFromName<CacheSharing>(j.at("sharing"), kSharing, "cache sharing")));
  m.secret_id = j.at("secret_id");
  m.optional = j.at("optional");
  m.uid = j.at("uid");
  m.gid = j.at("gid");
  m.mode = j.at("mode");
  m.tmpfs_size = j.at("tmpfs_size");
  return m;
}

}  // namespace

json OpToJson(const Op& op) {
  json inputs = json::array();
  for (const Edge& e : op.inputs) inputs.push_back({{"digest", e.digest}, {"output", e.output}});
  json j{{"inputs", inputs}};
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, SourceOp>) {
          j["source"] = {{"identifier", x.identifier}, {"attrs", x.attrs}};
        } else if constexpr (std::is_same_v<T, ExecOp>) {
          json mounts = json::array();
          for (const Mount& m : x.mounts) mounts.push_back(MountToJson(m));
          json senv = json::array();
          for (const SecretEnv& s : x.secret_env)
            senv.push_back({{"name", s.name}, {"secret_id", s.secret_id}, {"optional", s.optional}});
          j["exec"] = {{"args", x.args},
                       {"env", x.env},
                       {"cwd", x.cwd},
                       {"user", x.user},
                       {"hostname", x.hostname},
                       {"extra_hosts", x.extra_hosts},
                       {"mounts", mounts},
                       {"secret_env", senv},
                       {"network", NetworkName(x.network)},
                       {"security", x.security == SecurityMode::kInsecure ? "insecure" : "sandbox"}};
        } else if constexpr (std::is_same_v<T, FileOp>) {
          json actions = json::array();
          for (const FileAction& a : x.actions) actions.push_back(ActionToJson(a));
          j["file"] = {{"dest", x.dest}, {"actions", actions}};
        } else {
          j["merge"] = json::object();
        }
      },
      op.kind);
  return j;
}

Result<Op> OpFromJson(const json& j) {
  try {
    Op op;
    for (const json& e : j.at("inputs")) op.inputs.push_back({e.at("digest"), e.at("output")});
    if (j.contains("source")) {
      op.kind = SourceOp{j["source"].at("identifier"),
                         j["source"].at("attrs").get<std::map<std::string, std::string>>()};
    } else if (j.contains("exec")) {
      const json& e = j["exec"];
      ExecOp x;
      x.args = e.at("args").get<std::vector<std::string>>();
      x.env = e.at("env").get<std::vector<std::string>>();
      x.cwd = e.at("cwd");
      x.user = e.at("user");
      x.hostname = e.at("hostname");
      x.extra_hosts = e.at("extra_hosts").get<std::vector<std::string>>();
      for (const json& m : e.at("mounts")) {
        ASSIGN_OR_RETURN(Mount mm, MountFromJson(m));
        x.mounts.push_back(std::move(mm));
      }
      for (const json& s : e.at("secret_env")) x.secret_env.push_back({s.at("name"), s.at("secret_id"), s.at("optional")});
      ASSIGN_OR_RETURN(x.network, (EnumFromName<NetworkMode>(e.at("network"), kNetworks, "network mode")));
      x.security = e.at("security") == "insecure" ? SecurityMode::kInsecure : SecurityMode::kSandbox;
      op.kind = std::move(x);
    } else if (j.contains("file")) {
      FileOp f;
      f.dest = j["file"].at("dest");
      for (const json& a : j["file"].at("actions")) f.actions.push_back(ActionFromJson(a));
      op.kind = std::move(f);
    } else if (j.contains("merge")) {
      op.kind = MergeOp{};
    } else {
      return Status::InvalidArgument("op has no known kind: " + j.dump());
    }
    return op;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("malformed op: ") + e.what());
  }
}

std::string CanonicalBytes(const Op& op) { return OpToJson(op).dump(); }

std::string OpDigest(const Op& op) { return Sha256Digest(CanonicalBytes(op)); }

Edge DefinitionBuilder::Add(Op op, OpMetadata meta) {
  std::string d = OpDigest(op);
  if (!def_.ops.count(d)) {
    def_.ops.emplace(d, std::move(op));
    def_.order.push_back(d);
    def_.metadata.emplace(d, std::move(meta));
  } else {
    OpMetadata& m = def_.metadata[d];
    m.ignore_cache = m.ignore_cache || meta.ignore_cache;
    m.source.insert(m.source.end(), meta.source.begin(), meta.source.end());
  }
  return Edge{d, 0};
}

Definition DefinitionBuilder::Finish(std::optional<Edge> output) && {
  def_.output = std::move(output);
  return std::move(def_);
}

json DefinitionToJson(const Definition& def) {
  json ops = json::array();
  for (const std::string& d : def.order) {
    const OpMetadata& m = def.metadata.at(d);
    json src = json::array();
    for (const SourceRange& r : m.source) src.push_back({r.start_line, r.start_col, r.end_line, r.end_col});
    ops.push_back({{"digest", d},
                   {"op", OpToJson(def.ops.at(d))},
                   {"metadata",
                    {{"description", m.description}, {"stage", m.stage}, {"ignore_cache", m.ignore_cache},
                     {"source", src}, {"extra", m.extra}}}});
  }
  json out{{"ops", ops},
           {"source_file", def.source_file},
           {"image_config", def.image_config},
           {"attrs", def.attrs}};
  out["output"] = def.output ? json{{"digest", def.output->digest}, {"output", def.output->output}} : json(nullptr);
  return out;
}

Result<Definition> DefinitionFromJson(const json& j) {
  try {
    Definition def;
    for (const json& o : j.at("ops")) {
      ASSIGN_OR_RETURN(Op op, OpFromJson(o.at("op")));
      std::string d = o.at("digest");
      OpMetadata m;
      const json& mj = o.at("metadata");
      m.description = mj.at("description");
      m.stage = mj.at("stage");
      m.ignore_cache = mj.at("ignore_cache");
      for (const json& r : mj.at("source")) m.source.push_back({r[0], r[1], r[2], r[3]});
      m.extra = mj.at("extra").get<std::map<std::string, std::string>>();
      def.order.push_back(d);
      def.ops.emplace(d, std::move(op));
      def.metadata.emplace(d, std::move(m));
    }
    def.source_file = j.at("source_file");
    def.image_config = j.at("image_config");
    def.attrs = j.at("attrs").get<std::map<std::string, std::string>>();
    if (!j.at("output").is_null()) def.output = Edge{j["output"].at("digest"), j["output"].at("output")};
    RETURN_IF_ERROR(Validate(def));
    return def;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("malformed definition: ") + e.what());
  }
}

Status Validate(const Definition& def) {
  std::set<std::string> seen;
  for (const std::string& d : def.order) {
    auto it = def.ops.find(d);
    if (it == def.ops.end()) return Status::Corruption("op " + d + " listed but missing");
    if (OpDigest(it->second) != d) return Status::Corruption("op " + d + " does not match its digest");
    for (const Edge& e : it->second.inputs)
      if (!seen.count(e.digest)) return Status::Corruption("op " + d + " uses " + e.digest + " before it is defined");
    seen.insert(d);
  }
  if (seen.size() != def.ops.size()) return Status::Corruption("ops not listed in order");
  if (def.output && !seen.count(def.output->digest)) return Status::Corruption("output op missing");
  return Status::OK();
}

std::string DefinitionToDot(const Definition& def) {
  std::string out = "digraph {\n";
  auto esc = [](std::string s) {
    std::string r;
    for (char c : s) {
      if (c == '"' || c == '\\') r.push_back('\\');
      r.push_back(c);
    }
    return r;
  };
  for (const std::string& d : def.order) {
    const OpMetadata& m = def.metadata.at(d);
    std::string label = m.description.empty() ? d.substr(7, 12) : m.description;
    out += "  \"" + d + "\" [label=\"" + esc(label) + "\"];\n";
    for (const Edge& e : def.ops.at(d).inputs) out += "  \"" + e.digest + "\" -> \"" + d + "\";\n";
  }
  return out + "}\n";
}

}  // namespace kiln::llb
