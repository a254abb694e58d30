#include "lint/lint.h"

#include <algorithm>
#include <regex>

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

std::vector<std::string> SplitCodes(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Pragmas {
  std::set<std::string> global;
  std::vector<std::pair<int, std::set<std::string>>> next;   // comment line -> codes
  std::vector<std::pair<int, std::set<std::string>>> stage;  // comment line -> codes
  bool non_posix_shell = false;
};

Pragmas ReadPragmas(const Model& m) {
  static const std::regex re(R"(^hadolint\s+(global\s+|stage\s+)?ignore\s*=\s*([A-Za-z0-9_, \t]*))");
  static const std::regex shell_re(R"(^hadolint\s+shell\s*=\s*(\S+))");
  Pragmas p;
  for (const auto& c : m.comments) {
    std::smatch mt;
    if (std::regex_search(c.text, mt, re)) {
      auto codes = SplitCodes(mt[2].str());
      std::string scope = mt[1].str();
      std::set<std::string> set(codes.begin(), codes.end());
      if (scope.rfind("global", 0) == 0) p.global.insert(set.begin(), set.end());
      else if (scope.rfind("stage", 0) == 0) p.stage.emplace_back(c.line, set);
      else p.next.emplace_back(c.line, set);
    } else if (std::regex_search(c.text, mt, shell_re)) {
      p.non_posix_shell = IsNonPosixShell(mt[1].str());
    }
  }
  return p;
}

// Line ranges [first, last] of the instruction following each `ignore` pragma.
void ApplyPragmas(const Model& m, const Pragmas& p, std::vector<Finding>& fs) {
  const auto& insts = m.ast->instructions;
  struct Span { int first, last; std::set<std::string> codes; };
  std::vector<Span> spans;
  for (const auto& [line, codes] : p.next)
    for (const auto& ins : insts)
      if (ins.range.start.line > line) {
        spans.push_back({ins.range.start.line, ins.range.end.line, codes});
        break;
      }
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
  RuleContext ctx{m, options, fs, pragmas.non_posix_shell};
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
  std::stable_sort(fs.begin(), fs.end(), [](const Finding& a, const Finding& b) { return a.line < b.line; });
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
