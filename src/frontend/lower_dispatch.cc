// One Dockerfile instruction -> ops, image config and history, as BuildKit's
// dispatch* functions in dockerfile2llb.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>

#include "frontend/heredoc.h"
#include "frontend/lower_internal.h"
#include "frontend/path_util.h"

namespace kiln::frontend::internal {

using nlohmann::json;

json& ImageConfigOf(StageState* d) {
  if (!d->image.contains("config") || !d->image["config"].is_object()) d->image["config"] = json::object();
  return d->image["config"];
}

std::string FormatEpoch(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

using Expander = std::function<Result<std::string>(const std::string&)>;

std::string UppercaseCmd(const std::string& s) {
  size_t sp = s.find(' ');
  std::string head = s.substr(0, sp);
  for (char& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return sp == std::string::npos ? head : head + s.substr(sp);
}

std::string ProcessCmdEnv(const ShellLex& lex, const std::string& cmd, const VarList& env) {
  auto r = lex.ProcessWord(cmd, env);
  return r.ok() ? *r : cmd;
}

// Go's fmt %v of a []string: [a b c].
std::string GoList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + v[i];
  return out + "]";
}

// Go's fmt %q of a []string: ["a" "b"].
std::string GoQuotedList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + GoQuote(v[i]);
  return out + "]";
}

std::vector<std::string> WithShell(StageState* d, const std::vector<std::string>& args) {
  std::vector<std::string> shell;
  json& config = ImageConfigOf(d);
  if (config.contains("Shell") && config["Shell"].is_array() && !config["Shell"].empty())
    shell = config["Shell"].get<std::vector<std::string>>();
  else
    shell = {"/bin/sh", "-c"};
  std::string joined;
  for (size_t i = 0; i < args.size(); i++) joined += (i ? " " : "") + args[i];
  shell.push_back(joined);
  return shell;
}

void AddEnvToConfig(json& config, const std::string& k, const std::string& v) {
  if (!config.contains("Env") || !config["Env"].is_array()) config["Env"] = json::array();
  for (json& e : config["Env"]) {
    std::string s = e.is_string() ? e.get<std::string>() : "";
    if (s.substr(0, s.find('=')) == k) {
      e = k + "=" + v;
      return;
    }
  }
  config["Env"].push_back(k + "=" + v);
}

int InputIndex(llb::Op& op, const std::optional<llb::Edge>& e) {
  if (!e) return -1;
  for (size_t i = 0; i < op.inputs.size(); i++)
    if (op.inputs[i] == *e) return static_cast<int>(i);
  op.inputs.push_back(*e);
  return static_cast<int>(op.inputs.size() - 1);
}

// llb.WithUser: "user[:group]". An empty part given with the colon is id 0
// ("app:" is app's uid with gid 0), as BuildKit marshals an empty name as 0.
llb::Chown ParseChown(const std::string& s) {
  size_t c = s.find(':');
  if (c == std::string::npos) return {s, ""};
  std::string user = s.substr(0, c), group = s.substr(c + 1);
  return {user.empty() ? "0" : user, group.empty() ? "0" : group};
}

// system.NormalizePath(parent, p, keepSlash) on Linux.
std::string NormalizePath(const std::string& parent, const std::string& p, bool keep_slash) {
  std::string r = PathIsAbs(p) ? CleanPath(p) : PathJoin("/", parent.empty() ? "/" : parent, p);
  bool trailing = !p.empty() && (p.back() == '/' || (p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0));
  if (keep_slash && trailing && r.back() != '/') r += '/';
  return r;
}

// COPY/ADD's destination as dockerd 20.10's BuildKit computes it: a directory
// when it is "." (or empty) or ends with "/"; "dir/." names the file "dir"
// (later versions treat a "/." suffix as a directory too).
std::string PathRelativeToWorkingDir(const std::string& cwd, std::string p) {
  bool dir = p.empty() || p == "." || p.back() == '/';
  std::string r = NormalizePath(PathIsAbs(p) ? "/" : cwd, p, false);
  if (dir && r.back() != '/') r += '/';
  return r;
}

bool IsHttpSource(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

bool IsGitSource(const std::string& s) {
  if (s.rfind("git@", 0) == 0 || s.rfind("git://", 0) == 0 || s.rfind("ssh://", 0) == 0) return true;
  if (!IsHttpSource(s)) return false;
  std::string base = s.substr(0, s.find('#'));
  return base.size() > 4 && base.compare(base.size() - 4, 4, ".git") == 0;
}

// dchapes/mode syntax: comma-separated [ugoa]*([-+=]([rwxXst]*|[ugo]))+
bool ValidSymbolicMode(const std::string& s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i <= s.size()) {
    while (i < s.size() && std::string("ugoa").find(s[i]) != std::string::npos) i++;
    if (i >= s.size() || std::string("+-=").find(s[i]) == std::string::npos) return false;
    while (i < s.size() && std::string("+-=").find(s[i]) != std::string::npos) {
      i++;
      if (i < s.size() && std::string("ugo").find(s[i]) != std::string::npos) {
        i++;
        continue;
      }
      while (i < s.size() && std::string("rwxXst").find(s[i]) != std::string::npos) i++;
    }
    if (i == s.size()) return true;
    if (s[i] != ',') return false;
    i++;
  }
  return false;
}

// --chmod: an octal mode, of which only the permission bits reach the files
// (BuildKit applies it as a Go os.FileMode, whose chmod drops 07000: 7777 is
// 0777), or a symbolic mode such as u+x,g-w (Dockerfile frontend 1.14, applied
// as is); anything else is an error. Returns the mode to apply, "" for none.
Result<std::string> EffectiveChmod(const std::string& chmod) {
  if (chmod.empty()) return std::string();
  Status bad = Status::InvalidArgument("invalid chmod parameter: '" + chmod +
                                       "'. it should be octal string and between 0 and 07777")
                   .WithHint("use an octal mode such as --chmod=755, or a symbolic one such as --chmod=u+x,g-w");
  if (std::all_of(chmod.begin(), chmod.end(), ::isdigit)) {
    if (chmod.find_first_of("89") != std::string::npos || chmod.size() > 11) return bad;
    unsigned long v = std::strtoul(chmod.c_str(), nullptr, 8);
    if (v > 07777) return bad;
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%lo", v & 0777);
    return std::string(buf);
  }
  if (!ValidSymbolicMode(chmod)) return bad;
  return chmod;
}

std::string SummarizeHeredoc(const std::string& doc) {
  size_t b = doc.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = doc.find_last_not_of(" \t\r\n");
  std::string t = doc.substr(b, e - b + 1);
  size_t nl = t.find('\n');
  if (nl == std::string::npos) return t;
  std::string first = t.substr(0, nl);
  if (!first.empty() && first.back() == '\r') first.pop_back();
  return first + "...";
}

bool IsSingleHeredocWord(const std::string& w) {
  size_t i = 0;
  while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) i++;
  if (w.compare(i, 2, "<<") != 0) return false;
  std::string rest = w.substr(i + 2);
  if (!rest.empty() && rest[0] == '-') rest = rest.substr(1);
  return !rest.empty() && rest.find_first_of("< \t") == std::string::npos;
}

std::string RunCommandString(const std::vector<std::string>& args, const std::vector<ArgValue>& build_args,
                             const VarList& env) {
  // One entry per ARG declaration, repeats included ("|2 V=x V=x"), as the
  // BuildKit of dockerd 20.10 writes it (later versions merge repeats).
  std::vector<std::string> tmp;
  for (const ArgValue& a : build_args) {
    const std::string* v = env.Find(a.key);
    tmp.push_back(a.key + "=" + (v ? *v : a.value.value_or("")));
  }
  std::string out;
  if (!tmp.empty()) {
    out = "|" + std::to_string(tmp.size());
    for (const std::string& t : tmp) out += " " + t;
  }
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

bool ValidSignal(const std::string& raw) {
  static const char* kSignals[] = {"ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO",
                                   "IOT", "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP",
                                   "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM",
                                   "WINCH", "XCPU", "XFSZ", "UNUSED"};
  if (!raw.empty() && std::all_of(raw.begin(), raw.end(), ::isdigit)) return std::strtol(raw.c_str(), nullptr, 10) != 0;
  std::string u = raw;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (u.rfind("SIG", 0) == 0) u = u.substr(3);
  for (const char* s : kSignals)
    if (u == s) return true;
  if (u.rfind("RTMIN", 0) == 0 || u.rfind("RTMAX", 0) == 0) return true;
  return false;
}

// nat.ParsePortSpecs for [ip:][hostPort:]containerPort[-end][/proto].
Result<std::vector<std::string>> ParsePorts(const std::string& spec) {
  std::string s = spec, proto = "tcp";
  size_t slash = s.rfind('/');
  if (slash != std::string::npos) {
    proto = s.substr(slash + 1);
    s = s.substr(0, slash);
    for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (proto != "tcp" && proto != "udp" && proto != "sctp") return Status::InvalidArgument("invalid proto: " + proto);
  }
  size_t colon = s.rfind(':');
  if (colon != std::string::npos) s = s.substr(colon + 1);
  auto num = [](const std::string& p) -> long {
    if (p.empty() || !std::all_of(p.begin(), p.end(), ::isdigit) || p.size() > 5) return -1;
    long v = std::strtol(p.c_str(), nullptr, 10);
    return v > 65535 ? -1 : v;
  };
  long lo, hi;
  size_t dash = s.find('-');
  if (dash == std::string::npos) {
    lo = hi = num(s);
  } else {
    lo = num(s.substr(0, dash));
    hi = num(s.substr(dash + 1));
  }
  if (lo < 0 || hi < 0 || hi < lo) return Status::InvalidArgument("invalid containerPort: " + s);
  std::vector<std::string> out;
  for (long p = lo; p <= hi; p++) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

// ---- expansion ----

Status ExpandCommand(Lowerer& L, StageState* d, Command* c) {
  Expander ex = [&](const std::string& w) { return L.lex().ProcessWord(w, d->env); };
  auto each = [&](std::string& s) -> Status {
    ASSIGN_OR_RETURN(s, ex(s));
    return Status::OK();
  };
  switch (c->kind) {
    case CommandKind::kEnv:
    case CommandKind::kLabel:
      for (KeyValue& kv : c->kvs) {
        RETURN_IF_ERROR(each(kv.key));
        RETURN_IF_ERROR(each(kv.value));
      }
      break;
    case CommandKind::kCopy:
    case CommandKind::kAdd: {
      RETURN_IF_ERROR(each(c->chown));
      RETURN_IF_ERROR(each(c->chmod));
      RETURN_IF_ERROR(each(c->checksum));
      for (std::string& s : c->src_paths) RETURN_IF_ERROR(each(s));
      for (std::string& s : c->excludes) RETURN_IF_ERROR(each(s));
      RETURN_IF_ERROR(each(c->dest));
      ShellLex raw('\\');
      raw.skip_process_quotes = true;
      for (SourceContent& sc : c->src_contents) {
        if (!sc.expand) continue;
        ASSIGN_OR_RETURN(sc.data, raw.ProcessWord(sc.data, d->env));
      }
      break;
    }
    case CommandKind::kWorkdir:
    case CommandKind::kUser:
    case CommandKind::kStopSignal:
      RETURN_IF_ERROR(each(c->value));
      break;
    case CommandKind::kVolume:
      for (std::string& s : c->list) RETURN_IF_ERROR(each(s));
      break;
    default:
      break;
  }
  return Status::OK();
}

// ---- instructions ----

Status DispatchRun(Lowerer& L, StageState* d, Cmd& cmd, const Command& c) {
  llb::Op op;
  llb::ExecOp e;
  std::string customname = c.code;
  std::vector<std::string> args = c.cmd_line;
  std::optional<llb::Mount> pipes;
  if (!c.files.empty()) {
    if (args.size() != 1 || !c.prepend_shell)
      return Status::InvalidArgument("parsing produced an invalid run command: " + GoList(args));
    if (IsSingleHeredocWord(args[0])) {
      std::string data = c.files[0].chomp ? ChompHeredoc(c.files[0].content) : c.files[0].content;
      if (data.rfind("#!", 0) == 0) {
        llb::Op mk;
        llb::FileOp f;
        f.dest = -1;
        f.actions.push_back(llb::MkfileAction{"/" + c.files[0].name, 0755, data, std::nullopt, std::nullopt});
        mk.kind = std::move(f);
        llb::Edge doc = L.AddOp(std::move(mk), "[internal] preparing inline document", d, &c.range);
        llb::Mount m;
        m.dest = "/dev/pipes/";
        m.readonly = true;
        m.input = InputIndex(op, doc);
        pipes = m;
        args = {PathJoin("/dev/pipes/", c.files[0].name)};
      } else {
        args = {data};
      }
      customname += " (" + SummarizeHeredoc(c.files[0].content) + ")";
    } else {
      std::string full = args[0];
      for (const Heredoc& h : c.files) full += "\n" + h.content + h.name;
      args = {full};
    }
  }
  if (c.prepend_shell) args = WithShell(d, args);
  e.args = args;
  e.env = d->env.ToEnv();
  if (!d->env.Has("PATH")) e.env.push_back(std::string("PATH=") + kDefaultPath);
  e.cwd = d->cwd;
  e.user = d->user;
  llb::Mount root;
  root.dest = "/";
  root.output = 0;
  root.input = InputIndex(op, d->root);
  e.mounts.push_back(root);
  if (pipes) e.mounts.push_back(*pipes);

  Expander ex = [&](const std::string& w) { return L.lex().ProcessWord(w, d->env); };
  int ssh_index = 0;
  for (size_t i = 0; i < c.mounts.size(); i++) {
    ASSIGN_OR_RETURN(MountSpec m, ParseMount(c.mounts[i], &ex));
    StageState* src = i < cmd.sources.size() ? cmd.sources[i] : nullptr;
    if (src && !src->dispatched)
      return Status::InvalidArgument("cannot mount from stage \"" + m.from + "\", it needs to be defined before current stage \"" +
                                     d->display + "\"");
    llb::Mount mt;
    std::string target = m.target;
    if (!target.empty() && !PathIsAbs(CleanPath(target))) target = PathJoin("/", d->cwd, target);
    if (m.type == "secret") {
      std::string id = !m.source.empty() ? m.source : m.id;
      if (id.empty()) {
        if (target.empty()) return Status::InvalidArgument("invalid secret mount. one of source, target required");
        id = BaseName(target);
      }
      if (target.empty() && m.env.empty()) target = "/run/secrets/" + BaseName(id);
      L.NoteSecret(id, m.required, c.range.start.line, false);
      if (!m.env.empty()) e.secret_env.push_back({m.env, id, !m.required});
      if (target.empty()) continue;
      mt.type = llb::MountType::kSecret;
      mt.dest = target;
      mt.secret_id = id;
      mt.optional = !m.required;
      mt.uid = m.uid.value_or(0);
      mt.gid = m.gid.value_or(0);
      mt.mode = m.mode.value_or(0400);
      mt.readonly = true;
      e.mounts.push_back(mt);
      continue;
    }
    if (m.type == "ssh") {
      std::string id = m.id.empty() ? "default" : m.id;
      if (target.empty()) target = "/run/buildkit/ssh_agent." + std::to_string(ssh_index);
      ssh_index++;
      L.NoteSecret(id, m.required, c.range.start.line, true);
      mt.type = llb::MountType::kSsh;
      mt.dest = target;
      mt.secret_id = id;
      mt.optional = !m.required;
      mt.uid = m.uid.value_or(0);
      mt.gid = m.gid.value_or(0);
      mt.mode = m.mode.value_or(0600);
      mt.readonly = true;
      e.mounts.push_back(mt);
      continue;
    }
    if (target.empty()) return Status::InvalidArgument("mount target is required").WithHint("add target=/path to --mount");
    if (target == "/") return Status::InvalidArgument("invalid mount target \"/\"");
    mt.dest = target;
    mt.readonly = m.readonly;
    if (m.type == "tmpfs") {
      mt.type = llb::MountType::kTmpfs;
      mt.tmpfs_size = m.size;
      mt.input = -1;
    } else {
      std::optional<llb::Edge> in;
      if (src) in = src->root;
      else if (m.type == "bind") in = L.ContextEdge();
      mt.input = InputIndex(op, in);
      mt.type = m.type == "cache" ? llb::MountType::kCache : llb::MountType::kBind;
      std::string sel = PathJoin("/", m.source.empty() ? "/" : m.source);
      if (sel != "/") mt.selector = sel;
      if (m.type == "cache") {
        mt.cache_id = m.id.empty() ? target : m.id;
        mt.sharing = m.sharing == "private" ? llb::CacheSharing::kPrivate
                     : m.sharing == "locked" ? llb::CacheSharing::kLocked
                                             : llb::CacheSharing::kShared;
        mt.uid = m.uid.value_or(0);
        mt.gid = m.gid.value_or(0);
        mt.mode = m.mode.value_or(0755);
      }
      if (m.type == "bind" && !src) L.AddContextPath(PathJoin("/", m.source));
    }
    e.mounts.push_back(mt);
  }
  if (!c.network.empty()) {
    if (c.network == "none") e.network = llb::NetworkMode::kNone;
    else if (c.network == "host") e.network = llb::NetworkMode::kHost;
    else if (c.network == "default") e.network = llb::NetworkMode::kDefault;
    else
      return Status::InvalidArgument("unsupported network mode \"" + c.network + "\"").WithHint("use --network=default, none or host");
  }
  if (!c.security.empty()) {
    if (c.security == "insecure") e.security = llb::SecurityMode::kInsecure;
    else if (c.security != "sandbox")
      return Status::InvalidArgument("unsupported security mode \"" + c.security + "\"").WithHint("use --security=sandbox or insecure");
  }
  ShellLex raw = L.lex();
  raw.raw_quotes = true;
  raw.skip_unset_env = true;
  std::string desc = L.Prefix(d, UppercaseCmd(ProcessCmdEnv(raw, customname, d->env)));
  op.kind = std::move(e);
  // Proxy build args reach RUN without being declared and stay out of the
  // cache key: metadata only (extra["proxy_env"], a JSON object keyed by the
  // upper-case name; the solver sets both spellings, as BuildKit's ProxyEnv).
  // dockerd 20.10's BuildKit knows no ALL_PROXY.
  std::map<std::string, std::string> proxy;
  for (const auto& [k, v] : L.opts().build_args) {
    std::string u = k;
    for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (u == "HTTP_PROXY" || u == "HTTPS_PROXY" || u == "FTP_PROXY" || u == "NO_PROXY") proxy[u] = v;
  }
  std::map<std::string, std::string> extra;
  if (!proxy.empty()) extra["proxy_env"] = json(proxy).dump();
  d->root = L.AddOp(std::move(op), desc, d, &c.range, std::move(extra));
  L.AddHistory(d, "RUN " + RunCommandString(args, d->build_args, d->env), true, true);
  return Status::OK();
}

Status DispatchCopy(Lowerer& L, StageState* d, Cmd& cmd, const Command& c) {
  bool is_add = c.kind == CommandKind::kAdd;
  std::string dest = PathRelativeToWorkingDir(d->cwd, c.dest);
  ASSIGN_OR_RETURN(std::string chmod, EffectiveChmod(c.chmod));
  if (!c.checksum.empty()) {
    if (!is_add) return Status::InvalidArgument("checksum can't be specified for COPY");
    if (c.src_paths.size() != 1) return Status::InvalidArgument("checksum can't be specified for multiple sources");
    if (!IsHttpSource(c.src_paths[0]) && !IsGitSource(c.src_paths[0]))
      return Status::InvalidArgument("checksum requires HTTP(S) or Git sources");
  }
  StageState* from = cmd.sources.empty() ? nullptr : cmd.sources[0];
  if (from && !from->dispatched)
    return Status::InvalidArgument("cannot copy from stage \"" + c.from + "\", it needs to be defined before current stage \"" +
                                   (d->name.empty() ? d->display : d->name) + "\"")
        .WithHint("move the stage \"" + c.from + "\" above this one");
  std::string msg = is_add ? "ADD" : "COPY";
  if (c.parents) msg += " --parents";
  // dockerd 20.10's BuildKit leaves --chown and --chmod out of the history
  // (later versions write them).
  std::string name = UppercaseCmd(ProcessCmdEnv(L.lex(), c.code, d->env));
  std::string pg_name = L.Prefix(d, name);

  bool link = c.link && chmod.empty();
  llb::Op op;
  llb::FileOp fop;
  fop.dest = link ? -1 : InputIndex(op, d->root);
  std::optional<llb::Chown> chown;
  if (!c.chown.empty()) chown = ParseChown(c.chown);
  auto base_copy = [&]() {
    llb::CopyAction a;
    a.dest = dest;
    a.chown = chown;
    a.chmod = chmod;
    a.exclude_patterns = c.excludes;
    a.timestamp = L.epoch();
    return a;
  };
  for (const std::string& src_in : c.src_paths) {
    msg += " " + src_in;
    if (IsGitSource(src_in) && is_add) {
      llb::Op g;
      std::map<std::string, std::string> attrs;
      if (c.keep_git_dir) attrs["git.keepgitdir"] = "true";
      if (!c.checksum.empty()) attrs["git.checksum"] = c.checksum;
      g.kind = llb::SourceOp{"git://" + src_in, attrs};
      llb::Edge ge = L.AddOp(std::move(g), pg_name, d, &c.range);
      llb::CopyAction a = base_copy();
      a.source = InputIndex(op, ge);
      a.src = "/";
      a.allow_wildcard = false;
      a.follow_symlinks = false;
      a.dir_copy_contents = true;
      fop.actions.push_back(a);
      continue;
    }
    if (IsHttpSource(src_in)) {
      if (!is_add) return Status::InvalidArgument("source can't be a URL for COPY").WithHint("use ADD to download a URL");
      std::string path = src_in.substr(src_in.find("//") + 2);
      size_t slash = path.find('/');
      path = slash == std::string::npos ? "" : path.substr(slash);
      path = path.substr(0, path.find_first_of("?#"));
      std::string f = "__unnamed__";
      std::string base = BaseName(path);
      if (!path.empty() && base != "." && base != "/") f = base;
      llb::Op h;
      std::map<std::string, std::string> attrs{{"http.filename", f}};
      if (!c.checksum.empty()) attrs["http.checksum"] = c.checksum;
      h.kind = llb::SourceOp{src_in, attrs};
      llb::Edge he = L.AddOp(std::move(h), pg_name, d, &c.range);
      llb::CopyAction a = base_copy();
      a.source = InputIndex(op, he);
      a.src = "/" + f;
      a.unpack_archives = c.unpack.value_or(false);
      a.allow_wildcard = false;
      a.follow_symlinks = false;
      a.dir_copy_contents = false;
      fop.actions.push_back(a);
      continue;
    }
    std::string src = src_in;
    llb::CopyAction a = base_copy();
    if (c.parents) {
      size_t pivot = src.find("/./");
      std::string pattern;
      if (pivot == std::string::npos) {
        pattern = src;
        src = "/";
      } else {
        pattern = src.substr(pivot + 3);
        src = src.substr(0, pivot);
      }
      pattern = NormalizePath("/", pattern, false);
      a.include_patterns = {pattern.substr(1)};
      a.parents = true;
    }
    a.src = NormalizePath("/", src, false);
    a.source = from ? InputIndex(op, from->root) : InputIndex(op, L.ContextEdge());
    a.unpack_archives = is_add && c.unpack.value_or(true);
    a.follow_symlinks = true;
    a.dir_copy_contents = true;
    a.allow_wildcard = true;
    a.allow_empty_wildcard = true;
    fop.actions.push_back(a);
    if (!from) L.AddContextPath(PathJoin("/", src_in));
  }
  for (const SourceContent& sc : c.src_contents) {
    msg += " <<" + sc.path;
    llb::Op mk;
    llb::FileOp f;
    f.dest = -1;
    std::string fpath = NormalizePath("/", sc.path, false);
    f.actions.push_back(llb::MkfileAction{fpath, 0644, sc.data, std::nullopt, std::nullopt});
    mk.kind = std::move(f);
    llb::Edge doc = L.AddOp(std::move(mk), "[internal] preparing inline document", d, &c.range);
    llb::CopyAction a;
    a.source = InputIndex(op, doc);
    a.src = fpath;
    a.dest = dest;
    a.chown = chown;
    a.chmod = chmod;
    a.timestamp = L.epoch();
    a.follow_symlinks = false;
    a.dir_copy_contents = false;
    a.allow_wildcard = false;
    fop.actions.push_back(a);
  }
  msg += " " + c.dest;
  op.kind = std::move(fop);
  if (link) {
    d->cmd_index--;
    std::string layer_name = L.Prefix(d, name);
    llb::Edge layer = L.AddOp(std::move(op), layer_name, d, &c.range);
    d->cmd_index--;
    std::string merge_name = L.Prefix(d, "LINK " + name);
    if (!d->root) {
      d->root = layer;
    } else {
      llb::Op merge;
      merge.inputs = {*d->root, layer};
      merge.kind = llb::MergeOp{};
      d->root = L.AddOp(std::move(merge), merge_name, d, &c.range);
    }
  } else {
    d->root = L.AddOp(std::move(op), pg_name, d, &c.range);
  }
  L.AddHistory(d, msg, true, true);
  return Status::OK();
}

Status DispatchWorkdir(Lowerer& L, StageState* d, const Command& c, const std::string& original_code) {
  json& config = ImageConfigOf(d);
  std::string current = config.value("WorkingDir", std::string());
  if (current.empty()) current = "/";
  if (c.value.empty()) return Status::InvalidArgument("normalizing workdir: cannot normalize empty path");
  // dockerd 20.10's BuildKit keeps an absolute path as written ("/app/" stays
  // so in the config, the history and RUN's cwd) and cleans only a relative one
  // joined to the current directory; its mkdir cleans the path.
  std::string wd = PathIsAbs(c.value) ? c.value : PathJoin("/", current, c.value);
  config["WorkingDir"] = wd;
  d->cwd = wd;
  bool with_layer = false;
  if (wd != "/") {
    llb::Op op;
    llb::FileOp f;
    f.dest = InputIndex(op, d->root);
    llb::MkdirAction mk;
    mk.path = CleanPath(wd);
    mk.mode = 0755;
    mk.make_parents = true;
    std::string user = config.value("User", std::string());
    if (!user.empty()) mk.chown = ParseChown(user);
    mk.timestamp = L.epoch();
    f.actions.push_back(mk);
    op.kind = std::move(f);
    std::string desc = L.Prefix(d, UppercaseCmd(ProcessCmdEnv(L.lex(), original_code, d->env)));
    d->root = L.AddOp(std::move(op), desc, d, &c.range);
    with_layer = true;
  }
  L.AddHistory(d, "WORKDIR " + wd, with_layer, false);
  return Status::OK();
}

Status DispatchArg(Lowerer& L, StageState* d, const Command& c) {
  std::vector<std::string> commit;
  for (const ArgDef& def : c.args) {
    std::optional<std::string> value = def.value;
    auto bv = L.opts().build_args.find(def.key);
    bool has_value = bv != L.opts().build_args.end();
    bool has_default = value.has_value();
    bool inherited = false;
    if (!has_default && !has_value) {
      if (const std::string* g = L.global_args().Find(def.key)) {
        value = *g;
        inherited = true;
      }
    }
    // History shows the declared default (expanded), never the --build-arg
    // value or an inherited global one, as BuildKit's commit string does.
    std::string declared = def.key;
    if (has_default) {
      ASSIGN_OR_RETURN(value, L.lex().ProcessWord(*value, d->env));
      declared += "=" + *value;
    }
    if (has_value) value = bv->second;
    if (value) d->env.Set(def.key, *value);
    if (!inherited) L.NoteArg(def, value, c.range.start.line);
    d->used_args.insert(def.key);
    d->build_args.push_back({def.key, value});
    commit.push_back(std::move(declared));
  }
  std::string msg = "ARG";
  for (const std::string& s : commit) msg += " " + s;
  L.AddHistory(d, msg, false, false);
  return Status::OK();
}

json HealthToJson(const HealthConfig& h) {
  json j = json::object();
  if (!h.test.empty()) j["Test"] = h.test;
  if (h.interval_ns) j["Interval"] = h.interval_ns;
  if (h.timeout_ns) j["Timeout"] = h.timeout_ns;
  if (h.start_period_ns) j["StartPeriod"] = h.start_period_ns;
  if (h.start_interval_ns) j["StartInterval"] = h.start_interval_ns;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

}  // namespace

Status DispatchCommand(Lowerer& L, StageState* d, Cmd& cmd) {
  Command c = cmd.c;
  if (c.kind != CommandKind::kArg) RETURN_IF_ERROR(ExpandCommand(L, d, &c));
  json& config = ImageConfigOf(d);
  switch (c.kind) {
    case CommandKind::kEnv: {
      std::string msg = "ENV";
      for (const KeyValue& kv : c.kvs) {
        msg += " " + kv.key + "=" + kv.value;
        d->env.Set(kv.key, kv.value);
        AddEnvToConfig(config, kv.key, kv.value);
      }
      L.AddHistory(d, msg, false, false);
      return Status::OK();
    }
    case CommandKind::kRun:
      return DispatchRun(L, d, cmd, c);
    case CommandKind::kCopy:
    case CommandKind::kAdd:
      return DispatchCopy(L, d, cmd, c);
    case CommandKind::kWorkdir:
      return DispatchWorkdir(L, d, c, cmd.c.code);
    case CommandKind::kArg:
      return DispatchArg(L, d, c);
    case CommandKind::kMaintainer:
      d->image["author"] = c.value;
      L.AddHistory(d, "MAINTAINER " + c.value, false, false);
      return Status::OK();
    case CommandKind::kLabel: {
      std::string msg = "LABEL";
      if (!config.contains("Labels") || !config["Labels"].is_object()) config["Labels"] = json::object();
      for (const KeyValue& kv : c.kvs) {
        config["Labels"][kv.key] = kv.value;
        msg += " " + kv.key + "=" + kv.value;
      }
      L.AddHistory(d, msg, false, false);
      return Status::OK();
    }
    case CommandKind::kOnbuild:
      if (!config.contains("OnBuild") || !config["OnBuild"].is_array()) config["OnBuild"] = json::array();
      config["OnBuild"].push_back(c.value);
      return Status::OK();
    case CommandKind::kCmd: {
      std::vector<std::string> args = c.prepend_shell ? WithShell(d, c.cmd_line) : c.cmd_line;
      config["Cmd"] = args;
      config["ArgsEscaped"] = true;
      d->cmd_set = true;
      L.AddHistory(d, "CMD " + GoQuotedList(args), false, false);
      return Status::OK();
    }
    case CommandKind::kEntrypoint: {
      std::vector<std::string> args = c.prepend_shell ? WithShell(d, c.cmd_line) : c.cmd_line;
      if (args.empty()) config.erase("Entrypoint");
      else config["Entrypoint"] = args;
      if (!d->cmd_set) config.erase("Cmd");
      L.AddHistory(d, "ENTRYPOINT " + GoQuotedList(args), false, false);
      return Status::OK();
    }
    case CommandKind::kHealthcheck: {
      config["Healthcheck"] = HealthToJson(c.health);
      const HealthConfig& h = c.health;
      // fmt's %q of BuildKit's *HealthConfig (dockerd 20.10): the strings and
      // durations quoted, Retries as a quoted rune.
      std::string msg = "HEALTHCHECK &{" + GoQuotedList(h.test) + " " + GoQuote(FormatGoDuration(h.interval_ns)) + " " +
                        GoQuote(FormatGoDuration(h.timeout_ns)) + " " + GoQuote(FormatGoDuration(h.start_period_ns)) +
                        " " + text::GoQuoteRune(h.retries) + "}";
      L.AddHistory(d, msg, false, false);
      return Status::OK();
    }
    case CommandKind::kExpose: {
      std::vector<std::string> ports;
      for (const std::string& p : c.list) {
        ASSIGN_OR_RETURN(std::vector<std::string> ws, L.lex().ProcessWords(p, d->env));
        ports.insert(ports.end(), ws.begin(), ws.end());
      }
      if (!config.contains("ExposedPorts") || !config["ExposedPorts"].is_object()) config["ExposedPorts"] = json::object();
      std::set<std::string> specs_seen;
      for (const std::string& p : ports) {
        auto specs = ParsePorts(p);
        if (!specs.ok()) return specs.status().WithHint("EXPOSE takes PORT[/tcp|udp|sctp] or a range such as 8000-8010");
        for (const std::string& s : *specs) {
          config["ExposedPorts"][s] = json::object();
          specs_seen.insert(s);
        }
      }
      // fmt's %v of the parsed port map (dockerd 20.10): "map[443/tcp:{} 80/udp:{}]".
      std::string msg = "EXPOSE map[";
      for (const std::string& s : specs_seen) msg += (msg.back() == '[' ? "" : " ") + s + ":{}";
      L.AddHistory(d, msg + "]", false, false);
      return Status::OK();
    }
    case CommandKind::kUser:
      d->user = c.value;
      config["User"] = c.value;
      L.AddHistory(d, "USER " + c.value, false, false);
      return Status::OK();
    case CommandKind::kVolume: {
      if (!config.contains("Volumes") || !config["Volumes"].is_object()) config["Volumes"] = json::object();
      for (const std::string& v : c.list) {
        if (v.empty()) return Status::InvalidArgument("VOLUME specified can not be an empty string");
        config["Volumes"][v] = json::object();
      }
      L.AddHistory(d, "VOLUME " + GoList(c.list), false, false);
      return Status::OK();
    }
    case CommandKind::kStopSignal:
      if (!ValidSignal(c.value))
        return Status::InvalidArgument("Invalid signal: " + c.value).WithHint("use a signal name such as SIGTERM or a number");
      config["StopSignal"] = c.value;
      L.AddHistory(d, "STOPSIGNAL " + c.value, false, false);
      return Status::OK();
    case CommandKind::kShell:
      config["Shell"] = c.list;
      L.AddHistory(d, "SHELL " + GoList(c.list), false, false);
      return Status::OK();
  }
  return Status::OK();
}

}  // namespace kiln::frontend::internal
