#include "lint/shell.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kiln::lint {

namespace {

bool IsOpChar(char c) { return c == '|' || c == '&' || c == ';' || c == '<' || c == '>' || c == '(' || c == ')'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

struct Token {
  enum Kind { kWord, kOp } kind = kWord;
  std::string text;  // word: quotes removed; op: the operator ("\n" for newline)
  std::string raw;   // word as written
  std::vector<std::string> subs;  // command substitutions inside the word
};

// Index just past the `close` that balances an already consumed `open`,
// skipping quotes and escapes; text.size() when unbalanced.
size_t SkipBalanced(std::string_view s, size_t i, char open, char close) {
  int depth = 1;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\') { i += 2; continue; }
    if (c == '\'') {
      size_t j = s.find('\'', i + 1);
      i = j == std::string_view::npos ? s.size() : j + 1;
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return s.size();
}

size_t SkipBacktick(std::string_view s, size_t i) {  // i just past the opening `
  while (i < s.size() && s[i] != '`') i += s[i] == '\\' ? 2 : 1;
  return std::min(i + 1, s.size());
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    while (true) {
      SkipBlanks();
      if (i_ >= s_.size()) break;
      char c = s_[i_];
      if (c == '#') {  // comment to end of line
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        continue;
      }
      if (c == '\n') {
        ++i_;
        out.push_back(Op("\n"));
        SkipHeredocs();
        continue;
      }
      if (IsOpChar(c)) {
        out.push_back(Op(ReadOp()));
        continue;
      }
      out.push_back(ReadWord());
      if (!pending_heredoc_target_) continue;
      pending_heredoc_target_ = false;
      heredocs_.push_back({out.back().text, heredoc_strip_});
    }
    return out;
  }

 private:
  static Token Op(std::string t) {
    Token k;
    k.kind = Token::kOp;
    k.text = std::move(t);
    return k;
  }

  void SkipBlanks() {
    while (i_ < s_.size()) {
      if (IsBlank(s_[i_])) { ++i_; continue; }
      if (s_[i_] == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') { i_ += 2; continue; }
      break;
    }
  }

  std::string ReadOp() {
    static const char* kOps[] = {"&&", "||", ";;", ";&", "|&", "<<-", "<<<", "<<", ">>", "&>>", "&>",
                                 ">&", "<&", "<>", ">|", "|", "&", ";", "<", ">", "(", ")"};
    for (const char* op : kOps) {
      std::string_view o(op);
      if (s_.substr(i_, o.size()) == o) {
        i_ += o.size();
        if (o == "<<" || o == "<<-") {
          pending_heredoc_target_ = true;
          heredoc_strip_ = o == "<<-";
        }
        return std::string(o);
      }
    }
    return std::string(1, s_[i_++]);
  }

  void SkipHeredocs() {
    for (const auto& [delim, strip] : heredocs_) {
      while (i_ < s_.size()) {
        size_t eol = s_.find('\n', i_);
        if (eol == std::string_view::npos) eol = s_.size();
        std::string_view line = s_.substr(i_, eol - i_);
        i_ = std::min(eol + 1, s_.size());
        if (strip) while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
        if (line == delim) break;
      }
    }
    heredocs_.clear();
  }

  // $..., ${...}, $(...), $((...)): appended verbatim; $(...) recorded as a substitution.
  void ReadDollar(Token& t) {
    size_t start = i_;
    ++i_;
    if (i_ < s_.size() && s_[i_] == '(') {
      bool arith = i_ + 1 < s_.size() && s_[i_ + 1] == '(';
      size_t end = SkipBalanced(s_, i_ + 1, '(', ')');
      if (!arith) t.subs.emplace_back(s_.substr(i_ + 1, end - i_ - 2 < s_.size() ? end - i_ - 2 : 0));
      i_ = end;
    } else if (i_ < s_.size() && s_[i_] == '{') {
      i_ = SkipBalanced(s_, i_ + 1, '{', '}');
    } else {
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
      if (i_ == start + 1 && i_ < s_.size() && std::string_view("@*#?$!-0123456789").find(s_[i_]) != std::string_view::npos) ++i_;
    }
    std::string_view piece = s_.substr(start, i_ - start);
    t.text += piece;
    t.raw += piece;
  }

  void ReadBacktick(Token& t) {
    size_t start = i_;
    size_t end = SkipBacktick(s_, i_ + 1);
    t.subs.emplace_back(s_.substr(i_ + 1, end > i_ + 1 ? end - i_ - 2 : 0));
    i_ = end;
    t.text += s_.substr(start, i_ - start);
    t.raw += s_.substr(start, i_ - start);
  }

  Token ReadWord() {
    Token t;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (IsBlank(c) || c == '\n' || IsOpChar(c)) break;
      if (c == '\\') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '\n') { i_ += 2; continue; }
        if (i_ + 1 < s_.size()) t.text += s_[i_ + 1];
        t.raw += s_.substr(i_, 2);
        i_ += 2;
        continue;
      }
      if (c == '\'') {
        size_t j = s_.find('\'', i_ + 1);
        if (j == std::string_view::npos) j = s_.size();
        t.text += s_.substr(i_ + 1, j - i_ - 1);
        t.raw += s_.substr(i_, std::min(j + 1, s_.size()) - i_);
        i_ = std::min(j + 1, s_.size());
        continue;
      }
      if (c == '"') {
        size_t start = i_;
        ++i_;
        while (i_ < s_.size() && s_[i_] != '"') {
          char d = s_[i_];
          if (d == '\\' && i_ + 1 < s_.size()) {
            char e = s_[i_ + 1];
            if (e == '\n') { i_ += 2; continue; }
            if (e == '$' || e == '`' || e == '"' || e == '\\') t.text += e;
            else { t.text += d; t.text += e; }
            i_ += 2;
            continue;
          }
          if (d == '$') { size_t rs = t.raw.size(); ReadDollar(t); t.raw.resize(rs); continue; }
          if (d == '`') { size_t rs = t.raw.size(); ReadBacktick(t); t.raw.resize(rs); continue; }
          t.text += d;
          ++i_;
        }
        i_ = std::min(i_ + 1, s_.size());
        t.raw += s_.substr(start, i_ - start);
        continue;
      }
      if (c == '$') { ReadDollar(t); continue; }
      if (c == '`') { ReadBacktick(t); continue; }
      t.text += c;
      t.raw += c;
      ++i_;
    }
    return t;
  }

  std::string_view s_;
  size_t i_ = 0;
  bool pending_heredoc_target_ = false;
  bool heredoc_strip_ = false;
  std::vector<std::pair<std::string, bool>> heredocs_;
};

bool IsAssignment(const std::string& raw) {
  size_t i = 0;
  if (raw.empty() || !(std::isalpha(static_cast<unsigned char>(raw[0])) || raw[0] == '_')) return false;
  while (i < raw.size() && (std::isalnum(static_cast<unsigned char>(raw[i])) || raw[i] == '_')) ++i;
  if (i < raw.size() && raw[i] == '[') {
    size_t j = raw.find(']', i);
    if (j == std::string::npos) return false;
    i = j + 1;
  }
  if (i < raw.size() && raw[i] == '+') ++i;
  return i < raw.size() && raw[i] == '=';
}

const std::set<std::string, std::less<>>& Reserved() {
  static const std::set<std::string, std::less<>> k = {"if", "then", "else", "elif", "fi", "do", "done",
                                                      "while", "until", "{", "}", "!", "esac", "time"};
  return k;
}

std::vector<ShellArg> FlagsOf(const std::vector<ShellArg>& args) {
  std::vector<ShellArg> out;
  for (const auto& a : args) {
    const std::string& s = a.text;
    if (s == "--" || s == "-" || s.empty() || s[0] != '-') continue;
    if (s.rfind("--", 0) == 0) {
      out.push_back({s.substr(2, s.find('=') == std::string::npos ? std::string::npos : s.find('=') - 2), a.id});
    } else {
      for (size_t i = 1; i < s.size(); ++i) out.push_back({std::string(1, s[i]), a.id});
    }
  }
  return out;
}

class Parser {
 public:
  Parser(ParsedShell& out, int& next_id, int depth = 0) : out_(out), next_id_(next_id), depth_(depth) {}

  void Run(std::string_view script) {
    std::vector<Token> toks = Lexer(script).Run();
    for (size_t k = 0; k < toks.size(); ++k) {
      Token& t = toks[k];
      if (t.kind == Token::kOp) {
        HandleOp(t.text, toks, k);
        continue;
      }
      for (const auto& sub : t.subs) pending_subs_.push_back(sub);
      HandleWord(t);
    }
    Finish();
  }

 private:
  void HandleOp(const std::string& op, std::vector<Token>& toks, size_t& k) {
    static const std::set<std::string, std::less<>> kRedirs = {"<<-", "<<<", "<<", ">>", "&>>", "&>", ">&",
                                                               "<&", "<>", ">|", "<", ">"};
    if (kRedirs.count(op)) {
      if (!cmd_.name.empty() || !words_started_) {
        // A leading fd number ("2>") was read as a word: drop it.
        if (!cmd_.args.empty() && IsFdNumber(cmd_.args.back().text)) cmd_.args.pop_back();
      }
      if (k + 1 < toks.size() && toks[k + 1].kind == Token::kWord) {
        for (const auto& sub : toks[k + 1].subs) pending_subs_.push_back(sub);
        ++k;  // the redirection target
      }
      return;
    }
    if (op == "|" || op == "|&") out_.has_pipes = true;
    if (op == ")" && in_case_pattern_) {  // end of a case pattern
      in_case_pattern_ = false;
      return;
    }
    Finish();
  }

  static bool IsFdNumber(const std::string& s) {
    return !s.empty() && s.size() <= 2 && std::all_of(s.begin(), s.end(), ::isdigit);
  }

  void HandleWord(const Token& t) {
    int id = next_id_++;
    if (skip_until_sep_) {
      if (case_header_ && t.text == "in") { case_header_ = false; skip_until_sep_ = false; in_case_ = true; in_case_pattern_ = true; }
      return;
    }
    if (cmd_.name.empty()) {
      if (in_case_ && t.text == "esac") { in_case_ = false; in_case_pattern_ = false; return; }
      if (in_case_pattern_) return;
      if (Reserved().count(t.text) && t.raw == t.text) return;
      if ((t.text == "for" || t.text == "select") && t.raw == t.text) { skip_until_sep_ = true; return; }
      if (t.text == "case" && t.raw == t.text) { skip_until_sep_ = true; case_header_ = true; return; }
      if (t.text == "function" && t.raw == t.text) { skip_until_sep_ = true; return; }
      if (IsAssignment(t.raw)) return;
      cmd_.name = t.text;
      name_raw_ = t.raw;
      words_started_ = true;
      return;
    }
    cmd_.args.push_back({t.text, id});
  }

  // ShellCheck's getCommandName: `busybox|builtin|command|run X` and `exec X`
  // name X (the arguments stay all words after the first); a first word that
  // is not a literal (`$CC`) names no command.
  static bool EffectiveName(ShellCommand& c, const std::string& first_raw) {
    if (first_raw.find_first_of("$`") != std::string::npos) return false;
    const std::string& n = c.name;
    if (n == "busybox" || n == "builtin" || n == "command" || n == "run") {
      if (!c.args.empty() && c.args[0].text.rfind("-", 0) != 0) c.name = c.args[0].text;
    } else if (n == "exec") {
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& a = c.args[i].text;
        if (a == "-a") { ++i; continue; }
        if (a == "-c" || a == "-l" || a == "-cl" || a == "-lc") continue;
        if (a.rfind("-", 0) == 0) break;
        c.name = a;
        break;
      }
    }
    return true;
  }

  void Finish() {
    if (!cmd_.name.empty() && EffectiveName(cmd_, name_raw_)) {
      cmd_.flags = FlagsOf(cmd_.args);
      out_.commands.push_back(std::move(cmd_));
    }
    cmd_ = ShellCommand();
    words_started_ = false;
    skip_until_sep_ = skip_until_sep_ && case_header_;
    if (in_case_) in_case_pattern_ = true;
    std::vector<std::string> subs;
    subs.swap(pending_subs_);
    if (depth_ >= kMaxDepth) return;  // $( $( ... nested deeper than any real script
    for (const auto& sub : subs) {
      Parser nested(out_, next_id_, depth_ + 1);
      nested.Run(sub);
    }
  }

  static constexpr int kMaxDepth = 32;
  ParsedShell& out_;
  int& next_id_;
  int depth_;
  ShellCommand cmd_;
  std::string name_raw_;
  bool words_started_ = false;
  bool skip_until_sep_ = false;
  bool case_header_ = false;
  bool in_case_ = false;
  bool in_case_pattern_ = false;
  std::vector<std::string> pending_subs_;
};

}  // namespace

bool ShellCommand::HasArgs(std::string_view n, std::initializer_list<std::string_view> any_of) const {
  if (name != n) return false;
  for (const auto& a : args)
    for (auto w : any_of)
      if (a.text == w) return true;
  return false;
}

bool ShellCommand::HasArg(std::string_view a) const {
  for (const auto& x : args)
    if (x.text == a) return true;
  return false;
}

bool ShellCommand::HasPrefixArg(std::string_view n, std::string_view prefix) const {
  if (name != n) return false;
  for (const auto& a : args)
    if (std::string_view(a.text).substr(0, prefix.size()) == prefix) return true;
  return false;
}

bool ShellCommand::HasFlag(std::string_view f) const {
  for (const auto& x : flags)
    if (x.text == f) return true;
  return false;
}

bool ShellCommand::HasAnyFlag(std::initializer_list<std::string_view> fs) const {
  for (auto f : fs)
    if (HasFlag(f)) return true;
  return false;
}

std::vector<std::string> ShellCommand::Args() const {
  std::vector<std::string> out;
  for (const auto& a : args) out.push_back(a.text);
  return out;
}

std::vector<std::string> ShellCommand::ArgsNoFlags() const {
  std::set<int> flag_ids;
  for (const auto& f : flags) flag_ids.insert(f.id);
  std::vector<std::string> out;
  for (const auto& a : args)
    if (!flag_ids.count(a.id)) out.push_back(a.text);
  return out;
}

ShellCommand ShellCommand::DropFlagArg(std::initializer_list<std::string_view> fs) const {
  std::set<int> drop;
  for (const auto& f : flags) {
    bool wanted = false;
    for (auto w : fs) wanted = wanted || f.text == w;
    if (!wanted) continue;
    int next = -1;
    for (const auto& a : args)
      if (a.id > f.id && (next < 0 || a.id < next)) next = a.id;
    if (next >= 0) drop.insert(next);
  }
  ShellCommand out;
  out.name = name;
  out.flags = flags;
  for (const auto& a : args)
    if (!drop.count(a.id)) out.args.push_back(a);
  return out;
}

std::vector<std::string> ShellCommand::FlagArg(std::string_view f) const {
  std::vector<std::string> out;
  for (const auto& fl : flags) {
    if (fl.text != f) continue;
    for (const auto& a : args)
      if (a.id > fl.id) { out.push_back(a.text); break; }
  }
  return out;
}

bool ParsedShell::Uses(std::string_view program) const {
  for (const auto& c : commands)
    if (c.name == program) return true;
  return false;
}

bool ParsedShell::AnyCommand(bool (*pred)(const ShellCommand&)) const {
  for (const auto& c : commands)
    if (pred(c)) return true;
  return false;
}

ParsedShell ParseShell(std::string_view script) {
  ParsedShell out;
  out.original = std::string(script);
  int next_id = 0;
  Parser(out, next_id).Run(script);
  return out;
}

std::string ShellBasename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace kiln::lint
