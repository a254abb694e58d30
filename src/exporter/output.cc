#include "exporter/output.h"

#include <stdexcept>

#include "base/strings.h"

namespace kiln::exporter {

const char* OutputTypeName(OutputType t) {
  switch (t) {
    case OutputType::kImage: return "image";
    case OutputType::kOci: return "oci";
    case OutputType::kDocker: return "docker";
    case OutputType::kLocal: return "local";
    case OutputType::kTar: return "tar";
  }
  return "?";
}

Result<std::vector<std::string>> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  size_t i = 0;
  bool field_start = true;
  while (i <= line.size()) {
    if (i == line.size()) {
      out.push_back(cur);
      break;
    }
    char c = line[i];
    if (field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return Status::InvalidArgument("unterminated quote in \"" + line + "\"");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        return Status::InvalidArgument("extraneous text after a quoted field in \"" + line + "\"");
      }
      field_start = false;
      continue;
    }
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
      field_start = true;
      ++i;
      continue;
    }
    cur += c;
    field_start = false;
    ++i;
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> SplitKeyValues(const std::string& flag,
                                                                        const std::string& value) {
  auto fields = SplitCsv(value);
  if (!fields.ok()) return Status::InvalidArgument(flag + " " + value + ": " + fields.status().message());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : *fields) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument(flag + " " + value + ": `" + f + "` is not KEY=VALUE");
    out.emplace_back(f.substr(0, eq), f.substr(eq + 1));
  }
  return out;
}

namespace {

Result<bool> ParseBool(const std::string& key, const std::string& v) {
  if (v.empty()) return true;  // a bare key ("push") means true, as in BuildKit's exporters
  if (auto b = ParseGoBool(v)) return *b;
  return Status::InvalidArgument("invalid value \"" + v + "\" for " + key + ": want true or false");
}

void SplitNames(const std::string& v, std::vector<std::string>* names) {
  size_t i = 0;
  while (i <= v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string::npos) j = v.size();
    std::string n = v.substr(i, j - i);
    if (!n.empty()) names->push_back(n);
    i = j + 1;
  }
}

}  // namespace

Result<OutputSpec> ParseOutput(const std::string& value) {
  OutputSpec spec;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid --output \"" + value + "\": " + why)
        .WithHint("e.g. -o type=oci,dest=out.tar | type=docker,dest=img.tar | type=local,dest=DIR | "
                  "type=tar,dest=fs.tar | type=image,name=REF | DIR | -");
  };
  if (value.empty()) return bad("empty value");
  if (value == "-") {
    spec.type = OutputType::kTar;
    spec.dest = "-";
    return spec;
  }
  if (value.find('=') == std::string::npos && value.find(',') == std::string::npos) {
    spec.type = OutputType::kLocal;
    spec.dest = value;
    return spec;
  }
  auto fields = SplitCsv(value);
  if (!fields.ok()) return bad(fields.status().message());
  bool have_type = false;
  for (const auto& f : *fields) {
    size_t eq = f.find('=');
    std::string key = f.substr(0, eq);
    std::string v = eq == std::string::npos ? "" : f.substr(eq + 1);
    for (auto& ch : key) ch = static_cast<char>(tolower(ch));
    if (key == "type") {
      have_type = true;
      if (v == "image") spec.type = OutputType::kImage;
      else if (v == "registry") { spec.type = OutputType::kImage; spec.push = true; }
      else if (v == "oci") spec.type = OutputType::kOci;
      else if (v == "docker") spec.type = OutputType::kDocker;
      else if (v == "local") spec.type = OutputType::kLocal;
      else if (v == "tar") spec.type = OutputType::kTar;
      else return bad("unknown type \"" + v + "\" (want image, registry, oci, docker, local or tar)");
    } else if (key == "dest") {
      if (v.empty()) return bad("dest is empty");
      spec.dest = v;
    } else if (key == "name") {
      SplitNames(v, &spec.names);
    } else if (key == "tar") {
      auto b = ParseBool(key, v);
      if (!b.ok()) return bad(b.status().message());
      spec.tar = *b;
    } else if (key == "push") {
      auto b = ParseBool(key, v);
      if (!b.ok()) return bad(b.status().message());
      spec.push = *b;
    } else if (key == "compression") {
      if (v != "gzip" && v != "zstd" && v != "uncompressed" && v != "estargz") {
        return bad("unknown compression \"" + v + "\" (want gzip, zstd or uncompressed)");
      }
      if (v == "estargz") return bad("compression=estargz is not supported by kiln");
      spec.compression.type = v;
      spec.compression.type_set = true;
    } else if (key == "compression-level") {
      int level = 0;
      try {
        size_t pos = 0;
        level = std::stoi(v, &pos);
        if (pos != v.size()) throw std::invalid_argument(v);
      } catch (...) {
        return bad("compression-level must be an integer, got \"" + v + "\"");
      }
      spec.compression.level = level;
    } else if (key == "force-compression") {
      auto b = ParseBool(key, v);
      if (!b.ok()) return bad(b.status().message());
      spec.compression.force = *b;
    } else if (key == "oci-mediatypes") {
      auto b = ParseBool(key, v);
      if (!b.ok()) return bad(b.status().message());
      spec.oci_mediatypes = *b;
    } else if (key == "rewrite-timestamp") {
      auto b = ParseBool(key, v);
      if (!b.ok()) return bad(b.status().message());
      spec.rewrite_timestamp = *b;
    } else if (key.rfind("annotation-manifest.", 0) == 0) {
      spec.manifest_annotations[f.substr(20, eq == std::string::npos ? std::string::npos : eq - 20)] = v;
    } else if (key.rfind("annotation-index.", 0) == 0) {
      spec.index_annotations[f.substr(17, eq == std::string::npos ? std::string::npos : eq - 17)] = v;
    } else if (key.rfind("annotation.", 0) == 0) {
      spec.manifest_annotations[f.substr(11, eq == std::string::npos ? std::string::npos : eq - 11)] = v;
    } else if (key == "unpack" || key == "store" || key == "dangling-name-prefix" || key == "name-canonical" ||
               key == "buildinfo" || key == "attestation-prefix") {
      // accepted for compatibility; no effect in kiln
    } else {
      return bad("unknown key \"" + key + "\"");
    }
  }
  if (!have_type) return bad("missing type= (or give a directory, or - for stdout)");
  if (spec.compression.level) {
    int lvl = *spec.compression.level;
    if (spec.compression.type == "gzip" && (lvl < 0 || lvl > 9)) return bad("gzip compression-level must be 0-9");
    if (spec.compression.type == "zstd" && (lvl < 0 || lvl > 22)) return bad("zstd compression-level must be 0-22");
  }
  switch (spec.type) {
    case OutputType::kLocal:
      if (spec.dest.empty()) return bad("type=local needs dest=DIR");
      if (spec.dest == "-") return bad("type=local cannot write to stdout; use type=tar,dest=-");
      break;
    case OutputType::kTar:
    case OutputType::kOci:
    case OutputType::kDocker:
      if (spec.dest.empty()) return bad(std::string("type=") + OutputTypeName(spec.type) + " needs dest=FILE (or dest=- for stdout)");
      if (!spec.tar && spec.dest == "-") return bad("tar=false cannot write to stdout");
      break;
    case OutputType::kImage:
      if (!spec.dest.empty()) return bad("type=image takes name=, not dest=");
      break;
  }
  return spec;
}

}  // namespace kiln::exporter
