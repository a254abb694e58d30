#include "frontend/instructions.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/strings.h"
#include "frontend/diagnostic.h"
#include "frontend/heredoc.h"
#include "frontend/shell_lex.h"

namespace kiln::frontend {

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string_view SourceLine(std::string_view source, int line) {
  size_t pos = 0;
  for (int i = 1; i < line && pos != std::string_view::npos; i++) {
    pos = source.find('\n', pos);
    if (pos != std::string_view::npos) pos++;
  }
  if (pos == std::string_view::npos || pos > source.size()) return {};
  size_t end = source.find('\n', pos);
  return source.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
}

struct Ctx {
  const Instruction& ins;
  const std::string& filename;
  const std::string& source;

  // Column of `needle` on the instruction's first line, else the instruction's column.
  int ColumnOf(const std::string& needle) const {
    if (!needle.empty()) {
      std::string_view line = SourceLine(source, ins.range.start.line);
      size_t p = line.find(needle);
      if (p != std::string_view::npos) return static_cast<int>(p) + 1;
    }
    return ins.range.start.column > 0 ? ins.range.start.column : 1;
  }
  Status Error(const std::string& msg, const std::string& hint = "", const std::string& at = "") const {
    Status st = Status::InvalidArgument(msg).WithLocation({filename, ins.range.start.line, ColumnOf(at)});
    return hint.empty() ? st : st.WithHint(hint);
  }
};

// BuildKit's BFlags.
class Flags {
 public:
  enum Type { kBool, kString, kStrings };
  struct Flag {
    std::string name;
    Type type;
    bool used = false;
    std::string value;
    std::vector<std::string> values;
    bool True() const { return value == "true"; }
  };

  explicit Flags(const Ctx& ctx) : ctx_(ctx) {}
  Flag* Add(const std::string& name, Type t) {
    flags_.push_back(Flag{name, t});
    if (t == kBool) flags_.back().value = "false";
    return nullptr;  // use Get after Parse
  }
  const Flag& Get(const std::string& name) const {
    for (const Flag& f : flags_)
      if (f.name == name) return f;
    static const Flag kNone{"", kString};
    return kNone;
  }

  Status Parse() {
    for (const std::string& raw : ctx_.ins.flags) {
      if (raw.rfind("--", 0) != 0) return ctx_.Error("Arg should start with -- : " + raw, "", raw);
      if (raw == "--") return Status::OK();
      std::string arg = raw.substr(2), value;
      size_t eq = arg.find('=');
      bool has_value = eq != std::string::npos;
      if (has_value) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      Flag* f = nullptr;
      for (Flag& x : flags_)
        if (x.name == arg) f = &x;
      if (!f) return Unknown(arg, raw);
      if (f->used && f->type != kStrings)
        return ctx_.Error("duplicate flag specified: --" + arg, "give --" + arg + " only once", raw);
      f->used = true;
      switch (f->type) {
        case kBool: {
          if (has_value && value.empty()) return ctx_.Error("missing a value on flag: --" + arg, "", raw);
          std::string l = Lower(value);
          if (l.empty()) f->value = "true";
          else if (l == "true" || l == "false") f->value = l;
          else
            return ctx_.Error("expecting boolean value for flag --" + arg + ", not: " + value,
                              "use --" + arg + ", --" + arg + "=true or --" + arg + "=false", raw);
          break;
        }
        case kString:
          if (!has_value) return ctx_.Error("missing a value on flag: --" + arg, "write --" + arg + "=VALUE", raw);
          f->value = value;
          break;
        case kStrings:
          if (!has_value) return ctx_.Error("missing a value on flag: --" + arg, "write --" + arg + "=VALUE", raw);
          f->values.push_back(value);
          break;
      }
    }
    return Status::OK();
  }

 private:
  Status Unknown(const std::string& arg, const std::string& raw) const {
    std::string instr = Upper(ctx_.ins.keyword);
    std::vector<std::string> names;
    for (const Flag& f : flags_) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    std::string hint;
    if (names.empty()) {
      hint = instr + " takes no flags";
    } else {
      std::string guess = ClosestMatch(arg, names);
      if (!guess.empty()) hint = "did you mean --" + guess + "? ";
      hint += instr + " accepts:";
      for (size_t i = 0; i < names.size(); i++) hint += (i ? ", --" : " --") + names[i];
    }
    return ctx_.Error("unknown flag: --" + arg, hint, raw);
  }

  const Ctx& ctx_;
  std::vector<Flag> flags_;
};

// BuildKit's MustParseHeredoc on one word: [fd]<<[-]NAME, NAME optionally quoted.
std::optional<Heredoc> WordHeredoc(const std::string& word) {
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) i++;
  if (word.compare(i, 2, "<<") != 0) return std::nullopt;
  i += 2;
  Heredoc h;
  if (i < word.size() && word[i] == '-') {
    h.chomp = true;
    i++;
  }
  std::string name = word.substr(i);
  if (name.find('<') != std::string::npos) return std::nullopt;
  if (name.size() >= 2 && (name[0] == '"' || name[0] == '\'') && name.back() == name[0]) {
    name = name.substr(1, name.size() - 2);
    h.expand = false;
  }
  if (name.empty()) return std::nullopt;
  h.name = name;
  return h;
}

std::vector<std::string> HandleJsonArgs(const Instruction& ins) {
  if (ins.json) return ins.args;
  std::string joined;
  for (size_t i = 0; i < ins.args.size(); i++) joined += (i ? " " : "") + ins.args[i];
  return ins.args.empty() ? std::vector<std::string>{} : std::vector<std::string>{joined};
}

std::string GetComment(const std::vector<std::string>& comments, const std::string& name) {
  if (name.empty()) return "";
  for (const std::string& raw : comments) {
    std::string line = Trim(raw);
    if (!line.empty() && line[0] == '#') line = Trim(line.substr(1));
    if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

// Go's time.ParseDuration for the units Dockerfiles use.
std::optional<int64_t> ParseGoDuration(const std::string& s) {
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i++;
  }
  double total = 0;
  bool any = false;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
    if (start == i) return std::nullopt;
    std::string digits = s.substr(start, i - start);
    char* end = nullptr;
    double num = std::strtod(digits.c_str(), &end);
    if (end == digits.c_str() || *end != '\0') return std::nullopt;
    size_t us = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') i++;
    std::string unit = s.substr(us, i - us);
    double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "µs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += num * mult;
    any = true;
  }
  if (!any) return std::nullopt;
  return static_cast<int64_t>(neg ? -total : total);
}

Result<int64_t> ParseInterval(const Ctx& ctx, const Flags::Flag& f) {
  if (f.value.empty()) return int64_t{0};
  auto d = ParseGoDuration(f.value);
  if (!d) return ctx.Error("time: invalid duration " + GoQuote(f.value), "use a Go duration such as 30s, 1m30s or 500ms", "--" + f.name);
  if (*d == 0) return int64_t{0};
  if (*d < 1000000)
    return ctx.Error("Interval \"" + f.name + "\" cannot be less than 1ms", "", "--" + f.name);
  return *d;
}


Status ParseSourcesAndDest(const Ctx& ctx, Command* c, const std::string& name) {
  const Instruction& ins = ctx.ins;
  if (ins.args.size() < 2)
    return ctx.Error(name + " requires at least two arguments, but only one was provided. Destination could not be determined",
                     "write " + name + " SOURCE... DEST");
  c->dest = ins.args.back();
  if (WordHeredoc(c->dest)) return ctx.Error(name + " cannot accept a heredoc as a destination");
  for (size_t i = 0; i + 1 < ins.args.size(); i++) {
    const std::string& src = ins.args[i];
    if (auto h = WordHeredoc(src)) {
      SourceContent sc{h->name, "", h->expand};
      for (const Heredoc& hd : ins.heredocs)
        if (hd.name == h->name) sc.data = h->chomp ? internal::ChompHeredoc(hd.content) : hd.content;
      c->src_contents.push_back(std::move(sc));
    } else {
      c->src_paths.push_back(src);
    }
  }
  return Status::OK();
}

const std::map<std::string, CommandKind>& Kinds() {
  static const std::map<std::string, CommandKind> k = {
      {"env", CommandKind::kEnv},         {"maintainer", CommandKind::kMaintainer},
      {"label", CommandKind::kLabel},     {"add", CommandKind::kAdd},
      {"copy", CommandKind::kCopy},       {"onbuild", CommandKind::kOnbuild},
      {"workdir", CommandKind::kWorkdir}, {"run", CommandKind::kRun},
      {"cmd", CommandKind::kCmd},         {"healthcheck", CommandKind::kHealthcheck},
      {"entrypoint", CommandKind::kEntrypoint}, {"expose", CommandKind::kExpose},
      {"user", CommandKind::kUser},       {"volume", CommandKind::kVolume},
      {"stopsignal", CommandKind::kStopSignal}, {"arg", CommandKind::kArg},
      {"shell", CommandKind::kShell}};
  return k;
}

// The parser gives (key, value, delimiter) triples; delimiter "" marks the
// legacy `KEY value` form.
Status ParseKvps(const Ctx& ctx, const std::string& name, Command* c) {
  const auto& a = ctx.ins.args;
  if (a.empty()) return ctx.Error(name + " requires at least one argument");
  if (a.size() % 3 != 0) return ctx.Error("Bad input to " + name + ", too many arguments");
  for (size_t j = 0; j < a.size(); j += 3) {
    if (a[j].empty()) return ctx.Error(name + " names can not be blank");
    c->kvs.push_back({a[j], a[j + 1], a[j + 2].empty()});
  }
  return Status::OK();
}

Status ParseBody(const Ctx& ctx, Command* c) {
  const Instruction& ins = ctx.ins;
  Flags flags(ctx);
  const auto& a = ins.args;
  switch (c->kind) {
    case CommandKind::kEnv:
    case CommandKind::kLabel:
      RETURN_IF_ERROR(flags.Parse());
      return ParseKvps(ctx, c->name, c);
    case CommandKind::kMaintainer:
      if (a.size() != 1) return ctx.Error("MAINTAINER requires exactly one argument");
      RETURN_IF_ERROR(flags.Parse());
      c->value = a[0];
      return Status::OK();
    case CommandKind::kAdd: {
      flags.Add("chown", Flags::kString);
      flags.Add("chmod", Flags::kString);
      flags.Add("link", Flags::kBool);
      flags.Add("keep-git-dir", Flags::kBool);
      flags.Add("checksum", Flags::kString);
      flags.Add("exclude", Flags::kStrings);
      flags.Add("unpack", Flags::kBool);
      RETURN_IF_ERROR(flags.Parse());
      RETURN_IF_ERROR(ParseSourcesAndDest(ctx, c, "ADD"));
      c->chown = flags.Get("chown").value;
      c->chmod = flags.Get("chmod").value;
      c->link = flags.Get("link").True();
      c->keep_git_dir = flags.Get("keep-git-dir").True();
      c->checksum = flags.Get("checksum").value;
      c->excludes = flags.Get("exclude").values;
      if (flags.Get("unpack").used) c->unpack = flags.Get("unpack").True();
      return Status::OK();
    }
    case CommandKind::kCopy: {
      flags.Add("chown", Flags::kString);
      flags.Add("from", Flags::kString);
      flags.Add("chmod", Flags::kString);
      flags.Add("link", Flags::kBool);
      flags.Add("parents", Flags::kBool);
      flags.Add("exclude", Flags::kStrings);
      RETURN_IF_ERROR(flags.Parse());
      RETURN_IF_ERROR(ParseSourcesAndDest(ctx, c, "COPY"));
      c->chown = flags.Get("chown").value;
      c->from = flags.Get("from").value;
      c->chmod = flags.Get("chmod").value;
      c->link = flags.Get("link").True();
      c->parents = flags.Get("parents").True();
      c->excludes = flags.Get("exclude").values;
      return Status::OK();
    }
    case CommandKind::kOnbuild: {
      std::string trigger;
      if (!ins.next.empty()) trigger = ins.next[0].keyword;
      else if (!a.empty()) trigger = a[0];
      if (trigger.empty() && a.empty()) return ctx.Error("ONBUILD requires at least one argument");
      RETURN_IF_ERROR(flags.Parse());
      trigger = Upper(Trim(trigger));
      if (trigger == "ONBUILD")
        return ctx.Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger == "MAINTAINER" || trigger == "FROM")
        return ctx.Error(trigger + " isn't allowed as an ONBUILD trigger");
      // The expression: the original text without the ONBUILD keyword.
      std::string orig = ins.original;
      size_t p = orig.find_first_not_of(" \t");
      if (p == std::string::npos) p = 0;
      if (Lower(orig.substr(p, 7)) == "onbuild") {
        p += 7;
        while (p < orig.size() && std::isspace(static_cast<unsigned char>(orig[p]))) p++;
        orig = orig.substr(p);
      }
      const std::vector<Heredoc>& hds = !ins.heredocs.empty() || ins.next.empty() ? ins.heredocs : ins.next[0].heredocs;
      for (const Heredoc& h : hds) orig += "\n" + h.content + h.name;
      c->value = orig;
      c->trigger = ins.next;
      return Status::OK();
    }
    case CommandKind::kWorkdir:
      if (a.size() != 1) return ctx.Error("WORKDIR requires exactly one argument", "write WORKDIR /path");
      RETURN_IF_ERROR(flags.Parse());
      c->value = a[0];
      return Status::OK();
    case CommandKind::kRun:
      flags.Add("mount", Flags::kStrings);
      flags.Add("network", Flags::kString);
      flags.Add("security", Flags::kString);
      RETURN_IF_ERROR(flags.Parse());
      c->mounts = flags.Get("mount").values;
      c->network = flags.Get("network").value;
      c->security = flags.Get("security").value;
      c->cmd_line = HandleJsonArgs(ins);
      c->prepend_shell = !ins.json;
      c->files = ins.heredocs;
      return Status::OK();
    case CommandKind::kCmd:
    case CommandKind::kEntrypoint:
      RETURN_IF_ERROR(flags.Parse());
      c->cmd_line = HandleJsonArgs(ins);
      c->prepend_shell = !ins.json;
      c->files = ins.heredocs;
      return Status::OK();
    case CommandKind::kHealthcheck: {
      if (a.empty()) return ctx.Error("HEALTHCHECK requires at least one argument", "write HEALTHCHECK CMD command, or HEALTHCHECK NONE");
      std::string typ = Upper(a[0]);
      if (typ == "NONE") {
        if (a.size() != 1) return ctx.Error("HEALTHCHECK NONE takes no arguments");
        RETURN_IF_ERROR(flags.Parse());
        c->health.test = {"NONE"};
        return Status::OK();
      }
      flags.Add("interval", Flags::kString);
      flags.Add("timeout", Flags::kString);
      flags.Add("start-period", Flags::kString);
      flags.Add("start-interval", Flags::kString);
      flags.Add("retries", Flags::kString);
      RETURN_IF_ERROR(flags.Parse());
      if (typ != "CMD") return ctx.Error("Unknown type \"" + typ + "\" in HEALTHCHECK (try CMD)");
      std::vector<std::string> rest(a.begin() + 1, a.end());
      std::vector<std::string> cmd;
      if (ins.json) {
        cmd = rest;
      } else if (!rest.empty()) {
        std::string j;
        for (size_t i = 0; i < rest.size(); i++) j += (i ? " " : "") + rest[i];
        cmd = {j};
      }
      if (cmd.empty()) return ctx.Error("Missing command after HEALTHCHECK CMD");
      c->health.test = {ins.json ? "CMD" : "CMD-SHELL"};
      c->health.test.insert(c->health.test.end(), cmd.begin(), cmd.end());
      ASSIGN_OR_RETURN(c->health.interval_ns, ParseInterval(ctx, flags.Get("interval")));
      ASSIGN_OR_RETURN(c->health.timeout_ns, ParseInterval(ctx, flags.Get("timeout")));
      ASSIGN_OR_RETURN(c->health.start_period_ns, ParseInterval(ctx, flags.Get("start-period")));
      ASSIGN_OR_RETURN(c->health.start_interval_ns, ParseInterval(ctx, flags.Get("start-interval")));
      const std::string& r = flags.Get("retries").value;
      if (!r.empty()) {
        char* end = nullptr;
        long long v = std::strtoll(r.c_str(), &end, 10);
        if (*end != '\0') return ctx.Error("strconv.ParseInt: parsing " + GoQuote(r) + ": invalid syntax", "--retries takes a whole number", "--retries");
        if (v < 0) return ctx.Error("--retries cannot be negative (" + r + ")", "", "--retries");
        c->health.retries = static_cast<int>(v);
      }
      return Status::OK();
    }
    case CommandKind::kExpose:
      if (a.empty()) return ctx.Error("EXPOSE requires at least one argument");
      RETURN_IF_ERROR(flags.Parse());
      c->list = a;
      std::sort(c->list.begin(), c->list.end());
      return Status::OK();
    case CommandKind::kUser:
      if (a.size() != 1) return ctx.Error("USER requires exactly one argument");
      RETURN_IF_ERROR(flags.Parse());
      c->value = a[0];
      return Status::OK();
    case CommandKind::kVolume:
      if (a.empty()) return ctx.Error("VOLUME requires at least one argument");
      RETURN_IF_ERROR(flags.Parse());
      for (const std::string& v : a) {
        std::string t = Trim(v);
        if (t.empty()) return ctx.Error("VOLUME specified can not be an empty string");
        c->list.push_back(t);
      }
      return Status::OK();
    case CommandKind::kStopSignal:
      if (a.size() != 1) return ctx.Error("STOPSIGNAL requires exactly one argument");
      RETURN_IF_ERROR(flags.Parse());
      c->value = a[0];
      return Status::OK();
    case CommandKind::kArg:
      if (a.empty()) return ctx.Error("ARG requires at least one argument", "write ARG NAME or ARG NAME=default");
      RETURN_IF_ERROR(flags.Parse());
      for (const std::string& w : a) {
        ArgDef d;
        size_t eq = w.find('=');
        if (eq != std::string::npos) {
          if (eq == 0) return ctx.Error("ARG names can not be blank");
          d.key = w.substr(0, eq);
          d.value = w.substr(eq + 1);
        } else {
          d.key = w;
        }
        d.comment = GetComment(ins.comments, d.key);
        c->args.push_back(std::move(d));
      }
      return Status::OK();
    case CommandKind::kShell: {
      RETURN_IF_ERROR(flags.Parse());
      std::vector<std::string> sh = HandleJsonArgs(ins);
      if (sh.empty()) return ctx.Error("SHELL requires at least one argument");
      if (!ins.json)
        return ctx.Error("SHELL requires the arguments to be in JSON form", "write SHELL [\"/bin/bash\", \"-c\"]");
      c->list = sh;
      return Status::OK();
    }
  }
  return Status::OK();
}

Result<Stage> ParseFrom(const Ctx& ctx) {
  const Instruction& ins = ctx.ins;
  Stage st;
  const auto& a = ins.args;
  if (a.size() == 3 && Lower(a[1]) == "as") {
    st.name = Lower(a[2]);
    if (!IsValidStageName(st.name))
      return ctx.Error("invalid name for build stage: \"" + a[2] + "\", name can't start with a number or contain symbols",
                       "stage names match [a-z][a-z0-9-_.]*", a[2]);
    if (st.name == "scratch" || st.name == "context")
      return ctx.Error("stage name \"" + st.name + "\" is reserved",
                       "\"scratch\" and \"context\" have special meaning; rename the stage (e.g. \"" + st.name + "-stage\")",
                       a[2]);
  } else if (a.size() != 1) {
    return ctx.Error("FROM requires either one or three arguments", "write FROM image [AS name]");
  }
  Flags flags(ctx);
  flags.Add("platform", Flags::kString);
  RETURN_IF_ERROR(flags.Parse());
  st.base_name = a[0];
  st.platform = flags.Get("platform").value;
  st.code = Trim(ins.original);
  st.range = ins.range;
  st.comment = GetComment(ins.comments, st.name);
  return st;
}

}  // namespace

bool IsValidStageName(const std::string& n) {
  if (n.empty() || !(n[0] >= 'a' && n[0] <= 'z')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

int Stages::Find(const std::string& name) const {
  std::string l = Lower(name);
  int found = -1;
  for (size_t i = 0; i < stages.size(); i++)
    if (!stages[i].name.empty() && stages[i].name == l) found = static_cast<int>(i);
  return found;
}

std::vector<std::string> Stages::Names() const {
  std::vector<std::string> out;
  for (const Stage& s : stages)
    if (!s.name.empty()) out.push_back(s.name);
  return out;
}

Result<Command> ParseCommand(const Instruction& ins, const std::string& filename, const std::string& source) {
  Ctx ctx{ins, filename, source};
  std::string kw = Lower(ins.keyword);
  auto it = Kinds().find(kw);
  if (it == Kinds().end()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : Kinds()) names.push_back(Upper(k));
    names.push_back("FROM");
    std::string guess = ClosestMatch(Upper(kw), names);
    return ctx.Error("unknown instruction: " + Upper(ins.keyword_as_written.empty() ? kw : ins.keyword_as_written),
                     guess.empty() ? "" : "did you mean " + guess + "?");
  }
  Command c;
  c.kind = it->second;
  c.name = Upper(kw);
  c.code = Trim(ins.original);
  c.range = ins.range;
  c.comments = ins.comments;
  RETURN_IF_ERROR(ParseBody(ctx, &c));
  return c;
}

Result<Stages> ParseStages(const Ast& ast) {
  Stages out;
  out.filename = ast.filename;
  for (const Instruction& ins : ast.instructions) {
    if (ins.keyword == "from") {
      Ctx ctx{ins, ast.filename, ast.source};
      ASSIGN_OR_RETURN(Stage st, ParseFrom(ctx));
      out.stages.push_back(std::move(st));
      continue;
    }
    ASSIGN_OR_RETURN(Command c, ParseCommand(ins, ast.filename, ast.source));
    if (out.stages.empty()) {
      if (c.kind == CommandKind::kArg) {
        out.meta_args.push_back(std::move(c));
        continue;
      }
      Ctx ctx{ins, ast.filename, ast.source};
      return ctx.Error("no build stage in current context",
                       "start the Dockerfile with FROM; only ARG may come before the first FROM");
    }
    out.stages.back().commands.push_back(std::move(c));
  }
  return out;
}

std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = std::to_string(v / unit);
    uint64_t r = v % unit;
    if (r) {
      std::string f = std::to_string(r);
      f = std::string(std::to_string(unit).size() - 1 - f.size(), '0') + f;
      while (!f.empty() && f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + frac(u, 1000) + "µs";
  if (u < 1000000000) return sign + frac(u, 1000000) + "ms";
  std::string out;
  uint64_t h = u / 3600000000000ULL;
  u %= 3600000000000ULL;
  uint64_t m = u / 60000000000ULL;
  u %= 60000000000ULL;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += frac(u, 1000000000) + "s";
  return sign + out;
}

}  // namespace kiln::frontend
