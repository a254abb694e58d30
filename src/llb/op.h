// The build DAG ("LLB"): the one data type that passes from the frontend to the solver.
//
// A Definition is an immutable list of ops in topological order. Each op names
// its inputs by (op digest, output index). An op's digest is the SHA-256 of its
// canonical bytes (see docs/dag-format.md), which include its inputs' digests,
// so equal digests mean equal work. Metadata that does not change the result
// (descriptions, the source map, cache-busting flags) is kept beside the op and
// never hashed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::llb {

// An op's output: the op's digest and which of its outputs.
struct Edge {
  std::string digest;
  int output = 0;
  bool operator==(const Edge&) const = default;
  bool operator<(const Edge& o) const { return digest != o.digest ? digest < o.digest : output < o.output; }
};

// A source: where bytes enter the graph.
//   docker-image://REF[@DIGEST]  an image's root filesystem
//   local://NAME                 a build context ("context", "dockerfile", or a --build-context name)
//   https://... / http://...     a remote file (ADD URL)
//   git://... (git URL)          a git checkout (ADD git)
// attrs hold per-source options, e.g. for local: "includepatterns" / "excludepatterns"
// (JSON arrays), "followpaths"; for images: "platform", "resolvemode".
struct SourceOp {
  std::string identifier;
  std::map<std::string, std::string> attrs;
};

enum class MountType { kBind, kCache, kTmpfs, kSecret, kSsh };
enum class CacheSharing { kShared, kPrivate, kLocked };

struct Mount {
  int input = -1;            // index into Op::inputs; -1 = empty (scratch)
  std::string dest;          // path in the container ("/" is the root filesystem)
  std::string selector;      // sub-path of the input to mount ("" = whole)
  int output = -1;           // this mount's output index; -1 = changes discarded
  bool readonly = false;
  MountType type = MountType::kBind;
  // type=cache
  std::string cache_id;
  CacheSharing sharing = CacheSharing::kShared;
  // type=secret / type=ssh
  std::string secret_id;     // secret id or ssh id
  bool optional = false;
  uint32_t uid = 0, gid = 0, mode = 0;  // mode 0 = default
  // type=tmpfs
  int64_t tmpfs_size = 0;
  bool operator==(const Mount&) const = default;
};

enum class NetworkMode { kDefault, kNone, kHost };  // kDefault: the build's --network
enum class SecurityMode { kSandbox, kInsecure };

struct SecretEnv {
  std::string name;       // env var name
  std::string secret_id;
  bool optional = false;
  bool operator==(const SecretEnv&) const = default;
};

// A process run over mounts (a RUN). mounts[0] is always the root filesystem at "/".
struct ExecOp {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V", in order
  std::string cwd = "/";
  std::string user;              // as written: name, uid, name:group, uid:gid ("" = root)
  std::string hostname;
  std::vector<std::string> extra_hosts;  // "host=ip"
  std::vector<Mount> mounts;
  std::vector<SecretEnv> secret_env;
  NetworkMode network = NetworkMode::kDefault;
  SecurityMode security = SecurityMode::kSandbox;
};

// Ownership for created files: by id, or by name resolved in the destination's /etc/passwd, /etc/group.
struct Chown {
  std::string user;   // "" = unchanged (0 for new files)
  std::string group;  // "" = user's primary group
  bool operator==(const Chown&) const = default;
};

// File actions apply, in order, to the FileOp's first input (the destination; -1 = scratch).
struct CopyAction {
  int source = -1;               // index into Op::inputs of the source filesystem
  std::string src;               // path (may hold wildcards when allow_wildcard)
  std::string dest;              // absolute path in the destination
  std::optional<Chown> chown;
  std::string chmod;             // "" = keep; octal ("755") or symbolic ("u+x,g-w")
  bool follow_symlinks = true;   // for the top-level source path
  bool dir_copy_contents = true; // a directory source copies its contents
  bool unpack_archives = false;  // ADD: a local tar source is extracted
  bool create_dest_path = true;
  bool allow_wildcard = true;
  bool allow_empty_wildcard = false;
  bool replace_existing = false;   // --link semantics: replace rather than merge
  bool parents = false;            // --parents: keep the source's directory structure
  std::vector<std::string> include_patterns;
  std::vector<std::string> exclude_patterns;  // --exclude
  std::optional<int64_t> timestamp;           // fixed mtime (SOURCE_DATE_EPOCH), else source's
  bool operator==(const CopyAction&) const = default;
};

struct MkdirAction {
  std::string path;
  uint32_t mode = 0755;
  bool make_parents = true;
  std::optional<Chown> chown;
  std::optional<int64_t> timestamp;
  bool operator==(const MkdirAction&) const = default;
};

struct MkfileAction {
  std::string path;
  uint32_t mode = 0644;
  std::string data;
  std::optional<Chown> chown;
  std::optional<int64_t> timestamp;
  bool operator==(const MkfileAction&) const = default;
};

struct RmAction {
  std::string path;
  bool allow_not_found = true;
  bool allow_wildcard = false;
  bool operator==(const RmAction&) const = default;
};

using FileAction = std::variant<CopyAction, MkdirAction, MkfileAction, RmAction>;

struct FileOp {
  int dest = -1;  // index into Op::inputs of the base filesystem; -1 = scratch
  std::vector<FileAction> actions;
};

// Layers its inputs on top of each other (COPY --link); input 0 at the bottom.
struct MergeOp {};

// One op: inputs and what it does. Single output (index 0), except an ExecOp
// with several output mounts (output i = mount whose output == i).
struct Op {
  std::vector<Edge> inputs;
  std::variant<SourceOp, ExecOp, FileOp, MergeOp> kind;
};

// Where an op came from in the Dockerfile (1-based, inclusive lines).
struct SourceRange {
  int start_line = 0, start_col = 0, end_line = 0, end_col = 0;
};

struct OpMetadata {
  std::string description;   // e.g. "[build 2/4] RUN make"
  std::string stage;         // stage name or index
  bool ignore_cache = false; // --no-cache / --no-cache-filter
  std::vector<SourceRange> source;  // lines in Definition::source_file
  std::map<std::string, std::string> extra;
};

}  // namespace kiln::llb
