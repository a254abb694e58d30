#include "lint/lint.h"

#include <algorithm>
#include <cctype>

#include "lint/rules.h"
#include "lint/shellcheck.h"

namespace kiln::lint {

void RuleContext::Add(const char* code, int line, const std::string& message) {
  const RuleInfo* r = FindRule(code);
  Finding f;
  f.code = code;
  f.severity = r ? r->severity : Severity::kWarning;
  f.message = message.empty() && r ? std::string(r->message) : message;
  f.line = line;
  f.file = m.ast->filename;
  out.push_back(std::move(f));
}

namespace {

bool IsBlankChar(char c) { return c == ' ' || c == '\t'; }

// Skips blanks from `i`; true if at least one was skipped.
bool SkipBlanks(const std::string& s, size_t& i) {
  size_t start = i;
  while (i < s.size() && IsBlankChar(s[i])) ++i;
  return i > start;
}

bool Word(const std::string& s, size_t& i, std::string_view w) {
  if (s.compare(i, w.size(), w) != 0) return false;
  i += w.size();
  return true;
}

}  // namespace

// hadolint's pragma grammar (Hadolint/Pragma.hs), which must match the whole
// comment: `hadolint` blanks, then `ignore` `=` RULE (`,` RULE)* where a RULE is
// made of the characters DLSC0123456789, or `global ignore=...`, or
// `shell` `=` NAME; each RULE and the NAME may be followed by blanks and an
// inline `# comment` running to the end. Anything else is no pragma.
Pragma ParsePragma(const std::string& t) {
  Pragma p;
  size_t i = 0;
  SkipBlanks(t, i);
  if (!Word(t, i, "hadolint") || !SkipBlanks(t, i)) return p;
  // blanks, then an optional `# ...` to the end; true when the text ends there.
  auto inline_comment_to_end = [&](size_t& k) {
    SkipBlanks(t, k);
    if (k < t.size() && t[k] == '#') k = t.size();
    return k >= t.size();
  };
  Pragma::Kind kind = Pragma::kIgnore;
  if (Word(t, i, "global")) {
    if (!SkipBlanks(t, i)) return p;
    kind = Pragma::kGlobalIgnore;
  } else if (Word(t, i, "stage")) {  // kiln extension
    if (!SkipBlanks(t, i)) return p;
    kind = Pragma::kStageIgnore;
  } else if (Word(t, i, "shell")) {
    SkipBlanks(t, i);
    if (!Word(t, i, "=")) return p;
    SkipBlanks(t, i);
    size_t e = i;
    while (e < t.size() && !IsBlankChar(t[e]) && t[e] != '\n') ++e;
    if (e == i) return p;
    std::string name = t.substr(i, e - i);
    if (!inline_comment_to_end(e)) return p;
    p.kind = Pragma::kShell;
    p.shell = name;
    return p;
  }
  if (!Word(t, i, "ignore")) return p;
  SkipBlanks(t, i);
  if (!Word(t, i, "=")) return p;
  SkipBlanks(t, i);
  std::vector<std::string> codes;
  while (true) {
    size_t e = i;
    while (e < t.size() && std::string_view("DLSC0123456789").find(t[e]) != std::string_view::npos) ++e;
    if (e == i) return p;
    codes.push_back(t.substr(i, e - i));
    i = e;
    SkipBlanks(t, i);
    if (i < t.size() && t[i] == '#') { i = t.size(); break; }
    if (i >= t.size()) break;
    if (t[i] != ',') return p;
    ++i;
    SkipBlanks(t, i);
  }
  p.codes = std::move(codes);
  p.kind = kind;
  return p;
}

namespace {

struct Pragmas {
  std::set<std::string> global;
  std::vector<std::pair<int, std::set<std::string>>> next;   // comment line -> codes
  std::vector<std::pair<int, std::set<std::string>>> stage;  // comment line -> codes
};

Pragmas ReadPragmas(const Model& m) {
  Pragmas p;
  for (const auto& c : m.comments) {
    Pragma pr = ParsePragma(c.text);
    std::set<std::string> set(pr.codes.begin(), pr.codes.end());
    switch (pr.kind) {
      case Pragma::kGlobalIgnore: p.global.insert(set.begin(), set.end()); break;
      case Pragma::kStageIgnore: p.stage.emplace_back(c.line, set); break;
      case Pragma::kIgnore: p.next.emplace_back(c.line, set); break;
      case Pragma::kShell: break;  // only ShellCheck follows it (shellcheck.cc)
      case Pragma::kNone: break;
    }
  }
  return p;
}

// Line ranges [first, last] of the instruction following each `ignore` pragma.
void ApplyPragmas(const Model& m, const Pragmas& p, std::vector<Finding>& fs) {
  const auto& insts = m.ast->instructions;
  struct Span { int first, last; std::set<std::string> codes; };
  std::vector<Span> spans;
  // hadolint: an ignore pragma on line L covers findings on line L+1 only (an
  // instruction starting right below it; not one after a blank or comment line).
  (void)insts;
  for (const auto& [line, codes] : p.next) spans.push_back({line + 1, line + 1, codes});
  for (const auto& [line, codes] : p.stage) {
    int first = 1, last = 1 << 30;
    for (const auto& st : m.stages) {
      if (st.line <= line) first = st.line;
      else { last = st.line - 1; break; }
    }
    spans.push_back({first, last, codes});
  }
  fs.erase(std::remove_if(fs.begin(), fs.end(),
                          [&](const Finding& f) {
                            if (p.global.count(f.code)) return true;
                            for (const auto& s : spans)
                              if (f.line >= s.first && f.line <= s.last && s.codes.count(f.code)) return true;
                            return false;
                          }),
           fs.end());
}

}  // namespace

std::vector<Finding> Lint(const frontend::Ast& ast, const LintOptions& options, std::vector<std::string>* notices) {
  Model m = BuildModel(ast);
  Pragmas pragmas = ReadPragmas(m);
  std::vector<Finding> fs;
  RuleContext ctx{m, options, fs};
  RunInstructionRules(ctx);
  RunCommandRules(ctx);
  if (options.build_checks) RunBuildChecks(ctx);
  if (options.shellcheck) {
    auto scripts = CollectShellScripts(m);
    if (!scripts.empty()) {
      if (!ShellcheckAvailable(options.shellcheck_path)) {
        if (notices) notices->push_back("shellcheck not found (" + options.shellcheck_path +
                                        "): ShellCheck (SC) rules skipped; install Debian's shellcheck package");
      } else {
        auto sc = RunShellcheck(scripts, options.shellcheck_path, ast.filename);
        if (sc.ok()) fs.insert(fs.end(), sc->begin(), sc->end());
        else if (notices) notices->push_back("shellcheck: " + sc.status().ToString());
      }
    }
  }
  for (auto& f : fs) {
    auto it = options.overrides.find(f.code);
    if (it != options.overrides.end()) f.severity = it->second;
  }
  fs.erase(std::remove_if(fs.begin(), fs.end(),
                          [&](const Finding& f) { return f.severity == Severity::kIgnore || options.ignored.count(f.code); }),
           fs.end());
  if (!options.disable_ignore_pragma) ApplyPragmas(m, pragmas, fs);
  // hadolint's order: by line, and on one line in the order of its rule list
  // (DL codes ascending, then ShellCheck); BuildKit's checks come last.
  auto group = [](const std::string& code) { return code.rfind("DL", 0) == 0 ? 0 : code.rfind("SC", 0) == 0 ? 1 : 2; };
  std::stable_sort(fs.begin(), fs.end(), [&](const Finding& a, const Finding& b) {
    if (a.line != b.line) return a.line < b.line;
    int ga = group(a.code), gb = group(b.code);
    if (ga != gb) return ga < gb;
    return ga == 0 && a.code < b.code;
  });
  return fs;
}

Finding ParseErrorFinding(const Status& error, const std::string& file) {
  Finding f;
  f.code = "DL1000";
  f.severity = Severity::kError;
  f.message = error.message().substr(0, error.message().find('\n'));  // hadolint strips newlines
  f.line = error.location().line > 0 ? error.location().line : 1;
  f.column = error.location().column > 0 ? error.location().column : 1;
  f.file = file;
  return f;
}

bool ShouldFail(const std::vector<Finding>& findings, Severity threshold) {
  for (const auto& f : findings)
    if (static_cast<int>(f.severity) <= static_cast<int>(threshold)) return true;
  return false;
}

}  // namespace kiln::lint
