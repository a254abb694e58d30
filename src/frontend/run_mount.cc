// RUN --mount=... parsing, as BuildKit's instructions/commands_runmount.go.
#include <algorithm>

#include "base/strings.h"
#include "frontend/diagnostic.h"
#include "frontend/lower_internal.h"

namespace kiln::frontend::internal {

namespace {

// One record of Go's encoding/csv (comma-separated, "..." quoting with "").
Result<std::vector<std::string>> ReadCsv(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < s.size() && s[i] == '"') {
      i++;
      for (;;) {
        if (i >= s.size()) return Status::InvalidArgument("failed to parse csv mounts: extraneous or missing \" in quoted-field");
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.size() && s[i] != ',')
        return Status::InvalidArgument("failed to parse csv mounts: extraneous or missing \" in quoted-field");
    } else {
      while (i < s.size() && s[i] != ',') {
        if (s[i] == '"') return Status::InvalidArgument("failed to parse csv mounts: bare \" in non-quoted-field");
        field += s[i++];
      }
    }
    out.push_back(std::move(field));
    if (i >= s.size()) break;
    i++;  // ','
  }
  return out;
}

Result<bool> ParseBool(const std::string& key, const std::string& v) {
  if (auto b = ParseGoBool(v)) return *b;
  return Status::InvalidArgument("invalid value for " + key + ": " + v);
}

Result<int64_t> RamInBytes(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.')) i++;
  if (i == 0) return Status::InvalidArgument("invalid value for size: " + v);
  std::string digits = v.substr(0, i);
  char* end = nullptr;
  double n = std::strtod(digits.c_str(), &end);
  if (end == digits.c_str() || *end != '\0') return Status::InvalidArgument("invalid value for size: " + v);
  std::string unit = v.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  double mult = 1;
  if (unit == "") mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else return Status::InvalidArgument("invalid value for size: " + v);
  return static_cast<int64_t>(n * mult);
}

Result<uint32_t> ParseUint(const std::string& v, int base, const std::string& what) {
  if (v.empty()) return Status::InvalidArgument("invalid value " + v + " for " + what);
  char* end = nullptr;
  unsigned long long x = std::strtoull(v.c_str(), &end, base);
  if (*end != '\0' || x > 0xffffffffULL) return Status::InvalidArgument("invalid value " + v + " for " + what);
  return static_cast<uint32_t>(x);
}

}  // namespace

Result<MountSpec> ParseMount(const std::string& csv,
                             const std::function<Result<std::string>(const std::string&)>* expand) {
  ASSIGN_OR_RETURN(std::vector<std::string> fields, ReadCsv(csv));
  MountSpec m;
  bool ro_auto = true;
  static const std::vector<std::string> kKeys = {"type", "from", "source", "target", "readonly", "id", "sharing",
                                                 "required", "mode", "uid", "gid", "src", "dst", "ro", "rw",
                                                 "readwrite", "size", "env", "destination"};
  for (const std::string& field : fields) {
    size_t eq = field.find('=');
    std::string key = field.substr(0, eq), value = eq == std::string::npos ? "" : field.substr(eq + 1);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!expand) {
      // Without an expander (instruction parsing) only from= is read; the rest
      // is checked when the RUN is dispatched, as in BuildKit.
      if (key == "from" && eq != std::string::npos) {
        if (value.find('$') != std::string::npos && value.size() > value.find('$') + 1)
          return Status::InvalidArgument("'from' doesn't support variable expansion, define alias stage instead");
        m.from = value;
      }
      continue;
    }
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro") {
        m.readonly = true;
        ro_auto = false;
        continue;
      }
      if (key == "readwrite" || key == "rw") {
        m.readonly = false;
        ro_auto = false;
        continue;
      }
      if (key == "required") {
        if (m.type == "secret" || m.type == "ssh") {
          m.required = true;
          continue;
        }
        return Status::InvalidArgument("unexpected key '" + key + "' for mount type '" + m.type + "'");
      }
      return Status::InvalidArgument("invalid field '" + field + "' must be a key=value pair");
    }
    if (key == "from" && value.find('$') != std::string::npos && value.size() > value.find('$') + 1)
      return Status::InvalidArgument("'from' doesn't support variable expansion, define alias stage instead");
    if (expand && key != "from") {
      ASSIGN_OR_RETURN(value, (*expand)(value));
    }
    if (key == "type") {
      std::string v = value;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (v != "bind" && v != "cache" && v != "tmpfs" && v != "secret" && v != "ssh") {
        std::string guess = ClosestMatch(v, {"bind", "cache", "tmpfs", "secret", "ssh"});
        return Status::InvalidArgument("unsupported mount type \"" + value + "\"")
            .WithHint((guess.empty() ? "" : "did you mean " + guess + "? ") + "types: bind, cache, tmpfs, secret, ssh");
      }
      m.type = v;
    } else if (key == "from") {
      m.from = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro") {
      ASSIGN_OR_RETURN(m.readonly, ParseBool(key, value));
      ro_auto = false;
    } else if (key == "readwrite" || key == "rw") {
      ASSIGN_OR_RETURN(bool rw, ParseBool(key, value));
      m.readonly = !rw;
      ro_auto = false;
    } else if (key == "required") {
      if (m.type != "secret" && m.type != "ssh")
        return Status::InvalidArgument("unexpected key '" + key + "' for mount type '" + m.type + "'");
      ASSIGN_OR_RETURN(m.required, ParseBool(key, value));
    } else if (key == "size") {
      if (m.type != "tmpfs") return Status::InvalidArgument("unexpected key '" + key + "' for mount type '" + m.type + "'");
      ASSIGN_OR_RETURN(m.size, RamInBytes(value));
    } else if (key == "id") {
      m.id = value;
    } else if (key == "sharing") {
      std::string v = value;
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (v != "shared" && v != "private" && v != "locked")
        return Status::InvalidArgument("unsupported sharing value \"" + value + "\"").WithHint("use shared, private or locked");
      m.sharing = v;
    } else if (key == "mode") {
      ASSIGN_OR_RETURN(uint32_t v, ParseUint(value, 8, "mode"));
      m.mode = v;
    } else if (key == "uid") {
      ASSIGN_OR_RETURN(uint32_t v, ParseUint(value, 10, "uid"));
      m.uid = v;
    } else if (key == "gid") {
      ASSIGN_OR_RETURN(uint32_t v, ParseUint(value, 10, "gid"));
      m.gid = v;
    } else if (key == "env") {
      if (m.type != "secret") return Status::InvalidArgument("unexpected key '" + key + "' for mount type '" + m.type + "'");
      m.env = value;
    } else {
      std::string guess = ClosestMatch(key, kKeys);
      return Status::InvalidArgument("unexpected key '" + key + "' in '" + field + "'")
          .WithHint(guess.empty() ? "valid keys: type, from, source, target, readonly, id, sharing, required, mode, uid, gid, size, env"
                                  : "did you mean " + guess + "?");
    }
  }
  if (!expand) return m;
  bool file_info = m.type == "secret" || m.type == "ssh" || m.type == "cache";
  if (!file_info) {
    if (m.mode) return Status::InvalidArgument("mode not allowed for \"" + m.type + "\" type mounts");
    if (m.uid) return Status::InvalidArgument("uid not allowed for \"" + m.type + "\" type mounts");
    if (m.gid) return Status::InvalidArgument("gid not allowed for \"" + m.type + "\" type mounts");
  }
  if (ro_auto) m.readonly = !(m.type == "cache" || m.type == "tmpfs");
  if (m.type == "secret") {
    if (!m.from.empty()) return Status::InvalidArgument("secret mount should not have a from");
    if (!m.sharing.empty()) return Status::InvalidArgument("secret mount should not define sharing");
    if (m.source.empty() && m.target.empty() && m.id.empty() && m.env.empty())
      return Status::InvalidArgument("invalid secret mount. one of source, target required")
          .WithHint("write --mount=type=secret,id=NAME[,target=/path][,env=VAR]");
    if (!m.source.empty() && !m.id.empty()) return Status::InvalidArgument("both source and id can't be set");
  }
  if (!m.sharing.empty() && m.type != "cache")
    return Status::InvalidArgument("invalid cache sharing set for " + m.type + " mount");
  m.ro_auto = ro_auto;
  return m;
}

}  // namespace kiln::frontend::internal
