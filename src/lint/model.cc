#include "lint/model.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace kiln::lint {

using frontend::Instruction;

std::string DropQuotes(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

std::optional<std::string> FlagValue(const std::vector<std::string>& flags, const std::string& name) {
  std::string prefix = "--" + name;
  for (const auto& f : flags) {
    if (f == prefix) return std::string();
    if (f.rfind(prefix + "=", 0) == 0) return f.substr(prefix.size() + 1);
  }
  return std::nullopt;
}

namespace {

// Quote removal as the Dockerfile word rules do it (no expansion).
std::string Unquote(const std::string& s) {
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote == 0 && (c == '"' || c == '\'')) { quote = c; continue; }
    if (quote && c == quote) { quote = 0; continue; }
    if (c == '\\' && quote != '\'' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (quote == 0 || n == '"' || n == '\\' || n == '$') { out += n; ++i; continue; }
    }
    out += c;
  }
  return out;
}

bool LooksLikeRegistry(const std::string& part) {
  return part.find('.') != std::string::npos || part.find(':') != std::string::npos || part == "localhost";
}

void FillFrom(Inst& in) {
  const Instruction& a = *in.ast;
  if (!a.args.empty()) in.from.image = ParseImageRef(a.args[0]);
  if (a.args.size() >= 3 && Lower(a.args[1]) == "as") {
    in.from.alias = a.args[2];
    in.from.as_word = a.args[1];
  }
  if (auto p = FlagValue(a.flags, "platform")) {
    in.from.platform = *p;
    in.from.has_platform = true;
  }
}

// hadolint's parser (language-docker) keeps a quoted COPY/ADD argument with
// spaces as one word and keeps backslashes (Windows paths): regroup the
// whitespace-split words while a quote is open.
std::vector<std::string> RegroupQuoted(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  char quote = 0;
  for (const auto& w : args) {
    if (quote) out.back() += " " + w;
    else out.push_back(w);
    for (char c : w) {
      if (quote == 0 && (c == '"' || c == '\'')) quote = c;
      else if (quote && c == quote) quote = 0;
    }
  }
  return out;
}

// Quote characters removed, backslashes kept.
std::string StripQuoteChars(const std::string& s) {
  std::string out;
  char quote = 0;
  for (char c : s) {
    if (quote == 0 && (c == '"' || c == '\'')) { quote = c; continue; }
    if (quote && c == quote) { quote = 0; continue; }
    out += c;
  }
  return out;
}

void FillCopy(Inst& in) {
  const Instruction& a = *in.ast;
  std::vector<std::string> words = a.json ? a.args : RegroupQuoted(a.args);
  if (!words.empty()) {
    in.copy.dest = words.back();
    for (size_t i = 0; i + 1 < words.size(); ++i)
      in.copy.sources.push_back(a.json ? words[i] : StripQuoteChars(words[i]));
  }
  if (auto f = FlagValue(a.flags, "from")) {
    in.copy.from = Unquote(*f);
    in.copy.has_from = true;
  }
}

// ENV/LABEL args are (key, value, separator) triples; separator "" = legacy form.
void FillPairs(Inst& in) {
  const auto& args = in.ast->args;
  for (size_t i = 0; i < args.size(); i += 3) {
    in.pairs.emplace_back(Unquote(args[i]), i + 1 < args.size() ? Unquote(args[i + 1]) : "");
    if (i + 2 < args.size() && args[i + 2].empty()) in.legacy_kv = true;
  }
}

void FillArg(Inst& in) {
  for (const auto& w : in.ast->args) {
    size_t eq = w.find('=');
    if (eq == std::string::npos) in.args_decl.emplace_back(w, std::nullopt);
    else in.args_decl.emplace_back(w.substr(0, eq), Unquote(w.substr(eq + 1)));
  }
  if (!in.args_decl.empty()) {
    in.arg_name = in.args_decl[0].first;
    in.arg_has_default = in.args_decl[0].second.has_value();
    in.arg_default = in.args_decl[0].second.value_or("");
  }
}

void FillRun(Inst& in) {
  const Instruction& a = *in.ast;
  std::string script;
  if (a.json) {
    for (size_t i = 0; i < a.args.size(); ++i) script += (i ? " " : "") + a.args[i];
  } else if (!a.args.empty()) {
    script = a.args[0];
  }
  if (!a.heredocs.empty()) {
    std::string trimmed = script;
    trimmed.erase(0, trimmed.find_first_not_of(" \t"));
    if (trimmed.rfind("<<", 0) == 0 && a.heredocs.size() == 1) {
      script = a.heredocs[0].content;  // the heredoc is the script
    } else {
      script += "\n";
      for (const auto& h : a.heredocs) script += h.content + h.name + "\n";
    }
  }
  in.script = script;
  in.shell = ParseShell(script);
}

void Fill(Inst& in) {
  for (const auto& w : in.ast->args) in.words.push_back(Unquote(w));
  const std::string& k = in.kw;
  if (k == "from") FillFrom(in);
  else if (k == "copy" || k == "add") FillCopy(in);
  else if (k == "env" || k == "label") FillPairs(in);
  else if (k == "arg") FillArg(in);
  else if (k == "run") FillRun(in);
}


}  // namespace

ImageRef ParseImageRef(const std::string& raw_in) {
  ImageRef r;
  r.raw = raw_in;
  std::string s = Unquote(raw_in);
  size_t at = s.find('@');
  if (at != std::string::npos) {
    r.digest = s.substr(at + 1);
    s = s.substr(0, at);
  }
  size_t slash = s.find('/');
  if (slash != std::string::npos && LooksLikeRegistry(s.substr(0, slash))) {
    r.registry = s.substr(0, slash);
    s = s.substr(slash + 1);
  }
  size_t colon = s.rfind(':');
  if (colon != std::string::npos && s.find('/', colon) == std::string::npos) {
    r.tag = s.substr(colon + 1);
    s = s.substr(0, colon);
  }
  r.name = s;
  return r;
}

Model BuildModel(const frontend::Ast& ast) {
  Model m;
  m.ast = &ast;
  int stage = -1;
  for (const auto& ins : ast.instructions) {
    Inst in;
    in.ast = &ins;
    in.outer = &ins;
    in.kw = Lower(ins.keyword);
    in.line = ins.range.start.line;
    if (in.kw == "from") {
      ++stage;
    }
    in.stage = stage;
    Fill(in);
    if (in.kw == "from") {
      Stage st;
      st.index = stage;
      st.line = in.line;
      st.inst = static_cast<int>(m.insts.size());
      st.from = in.from;
      m.stages.push_back(st);
    }
    m.insts.push_back(std::move(in));
    if (Lower(ins.keyword) == "onbuild" && !ins.next.empty()) {
      Inst t;
      t.ast = &ins.next[0];
      t.outer = &ins;
      t.kw = Lower(ins.next[0].keyword);
      t.line = ins.range.start.line;
      t.onbuild = true;
      t.stage = stage;
      Fill(t);
      m.insts.push_back(std::move(t));
    }
  }
  // Comment lines: '#' lines not inside an instruction's range.
  int nlines = 1;
  for (char c : ast.source) nlines += c == '\n';
  std::vector<bool> inside(nlines + 2, false);
  for (const auto& ins : ast.instructions)
    for (int l = ins.range.start.line; l <= ins.range.end.line && l <= nlines; ++l)
      if (l >= 1) inside[l] = true;
  size_t pos = 0;
  for (int line = 1; pos <= ast.source.size(); ++line) {
    size_t eol = ast.source.find('\n', pos);
    if (eol == std::string::npos) eol = ast.source.size();
    std::string text = Trim(ast.source.substr(pos, eol - pos), " \t\r");
    if (line < static_cast<int>(inside.size()) && !inside[line] && !text.empty() && text[0] == '#')
      m.comments.push_back({line, Trim(text.substr(1), " \t\r")});
    pos = eol + 1;
  }
  return m;
}

}  // namespace kiln::lint
