#include "lint/format.h"

#include <openssl/sha.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

namespace kiln::lint {

namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string Tty(const std::vector<FileResult>& rs, const FormatOptions& o) {
  std::string out;
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      std::string sev = SeverityName(f.severity);
      if (o.color) {
        const char* c = f.severity == Severity::kError     ? "\x1b[91m"
                        : f.severity == Severity::kWarning ? "\x1b[1m\x1b[93m"
                        : f.severity == Severity::kInfo    ? "\x1b[92m"
                                                           : "\x1b[96m";
        sev = std::string(c) + sev + "\x1b[0m";
      }
      std::string pos = f.file + ":" + std::to_string(f.line);
      if (f.code == "DL1000") pos += ":" + std::to_string(f.column);
      out += pos + " " + f.code + " " + sev + ": " + f.message + "\n";
    }
  return out;
}

json JsonFinding(const Finding& f) {
  return json{{"code", f.code}, {"column", f.column}, {"file", f.file},
              {"level", SeverityName(f.severity)}, {"line", f.line}, {"message", f.message}};
}

std::string Json(const std::vector<FileResult>& rs) {
  json arr = json::array();
  for (const auto& r : rs)
    for (const auto& f : r.findings) arr.push_back(JsonFinding(f));
  return Dump(arr) + "\n";
}

std::string XmlAttr(const std::string& name, const std::string& v) {
  std::string out = name + "='";
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == ' ' || c == '.' || c == '/') out += static_cast<char>(c);
    else out += "&#" + std::to_string(static_cast<int>(c)) + ";";
  }
  return out + "' ";
}

// Every linted file gets a <file> node, a clean one too (hadolint 2.15).
std::string Checkstyle(const std::vector<FileResult>& rs) {
  std::string out = "<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'>";
  for (const auto& r : rs) {
    out += "<file " + XmlAttr("name", r.file) + ">";
    for (const auto& f : r.findings)
      out += "<error " + XmlAttr("line", std::to_string(f.line)) + XmlAttr("column", std::to_string(f.column)) +
             XmlAttr("severity", SeverityName(f.severity)) + XmlAttr("message", f.message) +
             XmlAttr("source", f.code) + "/>";
    out += "</file>";
  }
  return out + "</checkstyle>";
}

const char* ClimateSeverity(Severity s) {
  switch (s) {
    case Severity::kError: return "blocker";
    case Severity::kWarning: return "major";
    case Severity::kInfo: return "info";
    case Severity::kStyle: return "minor";
    default: return "";
  }
}

json ClimateIssue(const Finding& f) {
  json loc;
  if (f.code == "DL1000")
    loc = {{"path", f.file},
           {"positions", {{"begin", {{"column", f.column}, {"line", f.line}}}, {"end", {{"column", f.column}, {"line", f.line}}}}}};
  else
    loc = {{"path", f.file}, {"lines", {{"begin", f.line}, {"end", f.line}}}};
  return json{{"type", "issue"},      {"check_name", f.code},
              {"description", f.message}, {"categories", json::array({"Bug Risk"})},
              {"location", loc},      {"severity", ClimateSeverity(f.severity)}};
}

std::string Codeclimate(const std::vector<FileResult>& rs) {
  std::string out;
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      out += Dump(ClimateIssue(f));
      out += '\0';
    }
  return out;
}

std::string Sha1Hex(const std::string& s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  char hex[2 * SHA_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

std::string GitlabCodeclimate(const std::vector<FileResult>& rs) {
  json arr = json::array();
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      json issue = ClimateIssue(f);
      std::string fp = Sha1Hex(Dump(issue));
      issue["fingerprint"] = fp;
      arr.push_back(issue);
    }
  return Dump(arr);
}

std::string Gnu(const std::vector<FileResult>& rs) {
  std::string out;
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      if (f.code == "DL1000")  // hadolint: position, then the parser's message
        out += "hadolint:" + f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " + f.message + "\n";
      else
        out += "hadolint:" + f.file + ":" + std::to_string(f.line) + ": " + f.code + " " + SeverityName(f.severity) +
               ": " + f.message + "\n";
    }
  return out;
}

const char* SarifLevel(Severity s) {
  return s == Severity::kError ? "error" : s == Severity::kWarning ? "warning" : "note";
}

// The rules the results name, in order of first use, with where each is
// documented (helpUri) and its description.
json SarifRules(const std::vector<FileResult>& rs) {
  json rules = json::array();
  std::set<std::string> seen;
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      if (!seen.insert(f.code).second) continue;
      json rule = {{"id", f.code}, {"helpUri", HelpUri(f.code)}};
      if (const RuleInfo* info = FindRule(f.code))
        rule["shortDescription"] = {{"text", std::string(info->message)}};
      rules.push_back(rule);
    }
  return rules;
}

std::string Sarif(const std::vector<FileResult>& rs, const FormatOptions& o) {
  json results = json::array();
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      std::string lang = f.code.rfind("SC", 0) == 0 ? "sh" : "dockerfile";
      results.push_back({{"ruleId", f.code},
                         {"level", SarifLevel(f.severity)},
                         {"message", {{"text", f.message}}},
                         {"locations",
                          json::array({{{"physicalLocation",
                                         {{"artifactLocation", {{"uri", f.file}}},
                                          {"region",
                                           {{"startLine", f.line},
                                            {"endLine", f.line},
                                            {"startColumn", f.column},
                                            {"endColumn", f.column},
                                            {"sourceLanguage", lang}}}}}}})}});
    }
  json doc = {{"version", "2.1.0"},
              {"$schema", "http://json.schemastore.org/sarif-2.1.0"},
              {"runs",
               json::array({{{"tool",
                              {{"driver",
                                {{"name", "Hadolint"},
                                 {"fullName", "Haskell Dockerfile Linter"},
                                 {"downloadUri", "https://github.com/hadolint/hadolint"},
                                 {"version", o.version},
                                 {"shortDescription", {{"text", "Dockerfile linter, validate inline bash, written in Haskell"}}},
                                 {"rules", SarifRules(rs)}}}}},
                             {"results", results},
                             {"defaultSourceLanguage", "dockerfile"}}})}};
  return Dump(doc);
}

// hadolint's codacy format: one JSON object per line.
std::string Codacy(const std::vector<FileResult>& rs) {
  std::string out;
  for (const auto& r : rs)
    for (const auto& f : r.findings)
      out += Dump(json{{"filename", f.file}, {"line", f.line}, {"message", f.message}, {"patternId", f.code}}) + "\n";
  return out;
}

std::string Sonarqube(const std::vector<FileResult>& rs) {
  json issues = json::array();
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      bool parse = f.code == "DL1000";
      const char* sev = parse ? "BLOCKER"
                        : f.severity == Severity::kError ? "CRITICAL"
                        : f.severity == Severity::kWarning ? "MAJOR"
                        : f.severity == Severity::kInfo ? "MINOR" : "INFO";
      issues.push_back({{"engineId", "Hadolint"},
                        {"ruleId", f.code},
                        {"severity", sev},
                        {"type", f.severity == Severity::kError ? "BUG" : "CODE_SMELL"},
                        {"primaryLocation",
                         {{"message", f.message},
                          {"filePath", f.file},
                          {"textRange",
                           {{"startLine", f.line},
                            {"endLine", f.line},
                            {"startColumn", parse ? f.column : 0},
                            {"endColumn", parse ? f.column : 1}}}}}});
    }
  return Dump(json{{"issues", issues}});
}

// XML text with &, <, > (and in attributes " and ') escaped, as xml-conduit writes it.
std::string XmlEscape(const std::string& s, bool attribute) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (attribute && c == '"') out += "&quot;";
    else if (attribute && c == '\'') out += "&#39;";
    else out += c;
  }
  return out;
}

std::string JunitCase(const Finding& f, const std::string& file) {
  auto a = [](const char* k, const std::string& v) { return std::string(" ") + k + "=\"" + XmlEscape(v, true) + "\""; };
  std::string line = std::to_string(f.line);
  if (f.code == "DL1000") {
    std::string col = std::to_string(f.column);
    return "<testcase" + a("id", "hadolint.error") + a("name", "DL1000") + a("time", "0.001") + "><failure" +
           a("message", "parse error at line " + line + ", column " + col) + a("type", "error") + ">" +
           XmlEscape("Parse Error in " + file + "\nLine: " + line + "\nColumn: " + col + "\nParse Error: " + f.message +
                         "\n",
                     false) +
           "</failure></testcase>";
  }
  std::string sev = SeverityName(f.severity);
  return "<testcase" + a("id", "hadolint.rule." + f.code) + a("time", "0.001") + "><failure" + a("id", f.code) +
         a("message", f.message) + a("type", sev) + ">" +
         XmlEscape("File: " + file + "\nLine: " + line + "\nCategory: Hadolint - Dockerfile Static Analysis\n" + sev +
                       ": " + f.message + "\n",
                   false) +
         "</failure></testcase>";
}

// hadolint 2.15's junit format: one <testsuite> per file, one <testcase> per
// finding; the run is named by the time it ran (UTC).
std::string Junit(const std::vector<FileResult>& rs, const FormatOptions& o) {
  std::time_t now = o.now ? o.now : std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char id[32], name[64];
  std::strftime(id, sizeof id, "%Y%m%d_%H%M%S", &tm);
  std::strftime(name, sizeof name, "Hadolint run at %Y-%m-%d %H:%M:%S", &tm);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><testsuites id=\"" + std::string(id) + "\" name=\"" +
                    name + "\" time=\"0.001\">";
  for (const auto& r : rs) {
    size_t parse_errors = 0;
    for (const auto& f : r.findings) parse_errors += f.code == "DL1000";
    out += "<testsuite errors=\"" + std::to_string(parse_errors) + "\" failures=\"" + std::to_string(r.findings.size()) +
           "\" id=\"hadolint\" name=\"Hadolint " + XmlEscape(o.version, true) + "\" time=\"0.001\"";
    if (r.findings.empty()) {
      out += "/>";
      continue;
    }
    out += ">";
    for (const auto& f : r.findings) out += JunitCase(f, r.file);
    out += "</testsuite>";
  }
  return out + "</testsuites>";
}

}  // namespace

std::string FormatReport(const std::string& format, const std::vector<FileResult>& results, const FormatOptions& o) {
  if (format == "tty") return Tty(results, o);
  if (format == "json") return Json(results);
  if (format == "checkstyle") return Checkstyle(results);
  if (format == "codeclimate") return Codeclimate(results);
  if (format == "gitlab_codeclimate") return GitlabCodeclimate(results);
  if (format == "gnu") return Gnu(results);
  if (format == "sarif") return Sarif(results, o);
  if (format == "sonarqube") return Sonarqube(results);
  if (format == "codacy") return Codacy(results);
  if (format == "junit") return Junit(results, o);
  return "";
}

}  // namespace kiln::lint
