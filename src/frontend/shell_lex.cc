#include "frontend/shell_lex.h"

#include <algorithm>
#include <cstdint>

#include "frontend/utf8.h"

namespace kiln::frontend {

// ---- VarList ---------------------------------------------------------------

VarList VarList::FromEnv(const std::vector<std::string>& env) {
  VarList l;
  for (const std::string& kv : env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) l.Set(kv, "");
    else l.Set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return l;
}

void VarList::Set(const std::string& key, std::string value) {
  for (auto& [k, v] : items_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(key, std::move(value));
}

void VarList::Erase(const std::string& key) {
  items_.erase(std::remove_if(items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == key; }),
               items_.end());
}

const std::string* VarList::Find(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return &v;
  return nullptr;
}

std::vector<std::string> VarList::Keys() const {
  std::vector<std::string> out;
  for (const auto& kv : items_) out.push_back(kv.first);
  return out;
}

std::vector<std::string> VarList::ToEnv() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [k, v] : items_) out.push_back(k + "=" + v);
  return out;
}

// ---- the lexer ---------------------------------------------------------------

namespace {

constexpr int32_t kEOF = -1;

class Scanner {
 public:
  explicit Scanner(std::vector<char32_t> s) : s_(std::move(s)) {}
  int32_t Peek() const { return i_ < s_.size() ? static_cast<int32_t>(s_[i_]) : kEOF; }
  int32_t Next() { return i_ < s_.size() ? static_cast<int32_t>(s_[i_++]) : kEOF; }

 private:
  std::vector<char32_t> s_;
  size_t i_ = 0;
};

class Words {
 public:
  void AddChar(char32_t ch) {
    if (IsSpace(ch)) {
      if (in_word_ && !word_.empty()) {
        words_.push_back(std::move(word_));
        word_.clear();
        in_word_ = false;
      }
    } else {
      AddRawChar(ch);
    }
  }
  void AddRawChar(char32_t ch) {
    AppendUtf8(word_, ch);
    in_word_ = true;
  }
  void AddString(const std::string& s) {
    for (char32_t c : DecodeUtf8(s)) AddChar(c);
  }
  void AddRawString(const std::string& s) {
    word_ += s;
    in_word_ = true;
  }
  std::vector<std::string> Get() {
    if (!word_.empty()) {
      words_.push_back(std::move(word_));
      word_.clear();
      in_word_ = false;
    }
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

bool IsSpecialParam(int32_t c) {
  switch (c) {
    case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
      return true;
  }
  return false;
}

// ---- shell patterns (${v#p}, ${v%p}, ${v/p/r}) ----

struct PatTok {
  enum Kind { kLit, kAny, kStar } kind;
  char32_t ch = 0;
};

Result<std::vector<PatTok>> CompilePattern(const std::vector<char32_t>& p) {
  std::vector<PatTok> out;
  for (size_t i = 0; i < p.size(); i++) {
    char32_t c = p[i];
    if (c == '*') {
      out.push_back({PatTok::kStar});
    } else if (c == '?') {
      out.push_back({PatTok::kAny});
    } else if (c == '\\') {
      // "\}" and "\/" are escapes for the ${} syntax, not part of the pattern.
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) continue;
      if (i + 1 >= p.size() || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\')) {
        std::string bad = "\\";
        if (i + 1 < p.size()) AppendUtf8(bad, p[i + 1]);
        return Status::InvalidArgument("invalid escape '" + bad + "'");
      }
      out.push_back({PatTok::kLit, p[++i]});
    } else {
      out.push_back({PatTok::kLit, c});
    }
  }
  return out;
}

// Leftmost-first (Perl/RE2) match of the tokens at s[start...]: returns the end
// of the match the regex engine would pick, or -1.
long MatchAt(const std::vector<PatTok>& t, size_t ti, const std::vector<char32_t>& s, size_t si, bool greedy) {
  while (ti < t.size()) {
    const PatTok& k = t[ti];
    if (k.kind == PatTok::kStar) {
      // Go's "." does not match a newline.
      size_t max = si;
      while (max < s.size() && s[max] != '\n') max++;
      if (greedy) {
        for (size_t e = max + 1; e-- > si;) {
          long r = MatchAt(t, ti + 1, s, e, greedy);
          if (r >= 0) return r;
        }
      } else {
        for (size_t e = si; e <= max; e++) {
          long r = MatchAt(t, ti + 1, s, e, greedy);
          if (r >= 0) return r;
        }
      }
      return -1;
    }
    if (si >= s.size()) return -1;
    if (k.kind == PatTok::kAny ? s[si] == '\n' : s[si] != k.ch) return -1;
    si++;
    ti++;
  }
  return static_cast<long>(si);
}

std::string Encode(const std::vector<char32_t>& s, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; i++) AppendUtf8(out, s[i]);
  return out;
}

Result<std::string> TrimPrefix(const std::string& pattern, const std::string& value, bool greedy, bool reverse) {
  std::vector<char32_t> p = DecodeUtf8(pattern);
  auto toks = CompilePattern(p);
  if (!toks.ok())
    return Status::InvalidArgument("invalid pattern (" + pattern + ") in substitution: " + toks.status().message());
  std::vector<char32_t> v = DecodeUtf8(value);
  if (reverse) {
    std::reverse(toks->begin(), toks->end());
    std::reverse(v.begin(), v.end());
  }
  long end = MatchAt(*toks, 0, v, 0, greedy);
  size_t cut = end < 0 ? 0 : static_cast<size_t>(end);
  if (!reverse) return Encode(v, cut, v.size());
  std::vector<char32_t> rest(v.begin() + cut, v.end());
  std::reverse(rest.begin(), rest.end());
  return Encode(rest, 0, rest.size());
}

Result<std::string> Replace(const std::string& pattern, const std::string& value, const std::string& repl, bool all) {
  auto toks = CompilePattern(DecodeUtf8(pattern));
  if (!toks.ok())
    return Status::InvalidArgument("invalid pattern (" + pattern + ") in substitution: " + toks.status().message());
  std::vector<char32_t> v = DecodeUtf8(value);
  std::string out;
  size_t pos = 0;
  long prev_end = -1;
  while (pos <= v.size()) {
    long start = -1, end = -1;
    for (size_t s = pos; s <= v.size(); s++) {
      end = MatchAt(*toks, 0, v, s, true);
      if (end >= 0) {
        start = static_cast<long>(s);
        break;
      }
    }
    if (start < 0) break;
    out += Encode(v, pos, start);
    if (end == start && start == prev_end) {
      // An empty match right after the previous match is ignored (Go semantics).
      if (static_cast<size_t>(start) < v.size()) AppendUtf8(out, v[start]);
      pos = start + 1;
      continue;
    }
    out += repl;
    prev_end = end;
    if (end == start) {
      if (static_cast<size_t>(start) < v.size()) AppendUtf8(out, v[start]);
      pos = start + 1;
    } else {
      pos = end;
    }
    if (!all) break;
  }
  if (pos < v.size()) out += Encode(v, pos, v.size());
  return out;
}

class ShellWord {
 public:
  ShellWord(std::vector<char32_t> src, const VarLookup& env, char32_t escape, const ShellLex& opts, ExpandResult* out)
      : sc_(std::move(src)), env_(env), escape_(escape), raw_quotes_(opts.raw_quotes),
        raw_escapes_(opts.raw_escapes), skip_quotes_(opts.skip_process_quotes),
        skip_unset_(opts.skip_unset_env), out_(out) {}

  Status Run() {
    std::string word;
    Words words;
    RETURN_IF_ERROR(ProcessStopOn(kEOF, false, &word, &words));
    out_->word = std::move(word);
    out_->words = words.Get();
    return Status::OK();
  }

 private:
  // Reads up to `stop` (consumed) or the end (stop == kEOF).
  Status ProcessStopOn(int32_t stop, bool raw_escapes, std::string* result, Words* words) {
    bool saved_raw = raw_escapes_;
    if (raw_escapes) raw_escapes_ = true;
    Status st = ProcessStopOnImpl(stop, result, words);
    raw_escapes_ = saved_raw;
    return st;
  }

  Status ProcessStopOnImpl(int32_t stop, std::string* result, Words* words) {
    while (sc_.Peek() != kEOF) {
      int32_t ch = sc_.Peek();
      if (stop != kEOF && ch == stop) {
        sc_.Next();
        return Status::OK();
      }
      if (ch == '$' || (!skip_quotes_ && (ch == '\'' || ch == '"'))) {
        std::string tmp;
        if (ch == '$') RETURN_IF_ERROR(ProcessDollar(&tmp));
        else if (ch == '\'') RETURN_IF_ERROR(ProcessSingleQuote(&tmp));
        else RETURN_IF_ERROR(ProcessDoubleQuote(&tmp));
        *result += tmp;
        if (ch == '$') words->AddString(tmp);
        else words->AddRawString(tmp);
        continue;
      }
      ch = sc_.Next();
      if (static_cast<char32_t>(ch) == escape_) {
        if (raw_escapes_) {
          words->AddRawChar(ch);
          AppendUtf8(*result, ch);
        }
        ch = sc_.Next();
        if (ch == kEOF) break;
        words->AddRawChar(ch);
      } else {
        words->AddChar(ch);
      }
      AppendUtf8(*result, ch);
    }
    if (stop != kEOF) {
      std::string s;
      AppendUtf8(s, stop);
      return Status::InvalidArgument("unexpected end of statement while looking for matching " + s);
    }
    return Status::OK();
  }

  Status ProcessSingleQuote(std::string* result) {
    int32_t ch = sc_.Next();
    if (raw_quotes_) AppendUtf8(*result, ch);
    for (;;) {
      ch = sc_.Next();
      if (ch == kEOF) return Status::InvalidArgument("unexpected end of statement while looking for matching single-quote");
      if (ch == '\'') {
        if (raw_quotes_) AppendUtf8(*result, ch);
        return Status::OK();
      }
      AppendUtf8(*result, ch);
    }
  }

  Status ProcessDoubleQuote(std::string* result) {
    int32_t ch = sc_.Next();
    if (raw_quotes_) AppendUtf8(*result, ch);
    for (;;) {
      int32_t p = sc_.Peek();
      if (p == kEOF) return Status::InvalidArgument("unexpected end of statement while looking for matching double-quote");
      if (p == '"') {
        ch = sc_.Next();
        if (raw_quotes_) AppendUtf8(*result, ch);
        return Status::OK();
      }
      if (p == '$') {
        std::string v;
        RETURN_IF_ERROR(ProcessDollar(&v));
        *result += v;
        continue;
      }
      ch = sc_.Next();
      if (static_cast<char32_t>(ch) == escape_) {
        int32_t n = sc_.Peek();
        if (n == kEOF) continue;  // a trailing escape is dropped
        if (n == '"' || n == '$' || static_cast<char32_t>(n) == escape_) {
          if (raw_escapes_) AppendUtf8(*result, ch);
          ch = sc_.Next();
        }
      }
      AppendUtf8(*result, ch);
    }
  }

  std::string ProcessName() {
    std::string name;
    while (sc_.Peek() != kEOF) {
      int32_t ch = sc_.Peek();
      if (name.empty() && IsDigit(ch)) {
        while (sc_.Peek() != kEOF && IsDigit(sc_.Peek())) AppendUtf8(name, sc_.Next());
        return name;
      }
      if (name.empty() && IsSpecialParam(ch)) {
        AppendUtf8(name, sc_.Next());
        return name;
      }
      if (!IsLetter(ch) && !IsDigit(ch) && ch != '_') break;
      AppendUtf8(name, sc_.Next());
    }
    return name;
  }

  static constexpr int kMaxDollarDepth = 20000;
  int dollar_depth_ = 0;

  const std::string* GetEnv(const std::string& name) {
    const std::string* v = env_.Find(name);
    if (v) out_->matched.insert(name);
    else out_->unmatched.insert(name);
    return v;
  }

  Status ProcessDollar(std::string* out) {
    // ${A:-${B:-...}} nests by recursion: bounded so that no input exhausts
    // the stack (kiln runs on a 256 MB stack; docker builds 7,000 levels).
    if (dollar_depth_ >= kMaxDollarDepth)
      return Status::InvalidArgument("variable substitutions nested more than " + std::to_string(kMaxDollarDepth) + " deep")
          .WithHint("flatten the ${VAR:-...} nesting");
    struct Depth {
      int* d;
      ~Depth() { --*d; }
    } depth{&++dollar_depth_};
    sc_.Next();  // '$'
    if (sc_.Peek() != '{') {
      std::string name = ProcessName();
      if (name.empty()) {
        *out = "$";
        return Status::OK();
      }
      const std::string* v = GetEnv(name);
      if (!v && skip_unset_) *out = "$" + name;
      else *out = v ? *v : "";
      return Status::OK();
    }
    sc_.Next();  // '{'
    int32_t p = sc_.Peek();
    if (p == kEOF) return Status::InvalidArgument("syntax error: missing '}'");
    if (p == '{' || p == '}' || p == ':') return Status::InvalidArgument("syntax error: bad substitution");
    std::string name = ProcessName();
    int32_t ch = sc_.Next();
    if (ch == kEOF) return Status::InvalidArgument("syntax error: missing '}'");
    std::string chs;
    AppendUtf8(chs, ch);
    bool null_is_unset = false;
    if (ch == '}') {
      const std::string* v = GetEnv(name);
      if (!v && skip_unset_) *out = "${" + name + "}";
      else *out = v ? *v : "";
      return Status::OK();
    }
    if (ch == ':') {
      null_is_unset = true;
      ch = sc_.Next();
      if (ch == kEOF) return Status::InvalidArgument("syntax error: missing '}'");
      AppendUtf8(chs, ch);
    }
    if (null_is_unset || ch == '+' || ch == '-' || ch == '?' || ch == '#' || ch == '%') {
      bool raw = ch == '#' || ch == '%';
      if (null_is_unset && raw) return Status::InvalidArgument("unsupported modifier (" + chs + ") in substitution");
      std::string word;
      Words ignored;
      Status st = ProcessStopOn('}', raw, &word, &ignored);
      if (!st.ok()) {
        if (sc_.Peek() == kEOF) return Status::InvalidArgument("syntax error: missing '}'");
        return st;
      }
      const std::string* v = GetEnv(name);
      if (!v && skip_unset_) {
        *out = "${" + name + chs + word + "}";
        return Status::OK();
      }
      bool set = v != nullptr;
      std::string value = v ? *v : "";
      switch (ch) {
        case '-':
          *out = (!set || (null_is_unset && value.empty())) ? word : value;
          return Status::OK();
        case '+':
          *out = (!set || (null_is_unset && value.empty())) ? "" : word;
          return Status::OK();
        case '?':
          if (!set) return Status::InvalidArgument(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
          if (null_is_unset && value.empty())
            return Status::InvalidArgument(name + ": " + (word.empty() ? "is not allowed to be empty" : word));
          *out = value;
          return Status::OK();
        case '#':
        case '%': {
          bool greedy = false;
          if (!word.empty() && static_cast<unsigned char>(word[0]) == static_cast<unsigned>(ch)) {
            greedy = true;
            word.erase(0, 1);
          }
          ASSIGN_OR_RETURN(*out, TrimPrefix(word, value, greedy, ch == '%'));
          return Status::OK();
        }
        default:
          return Status::InvalidArgument("unsupported modifier (" + chs + ") in substitution");
      }
    }
    if (ch == '/') {
      bool all = sc_.Peek() == '/';
      if (all) sc_.Next();
      std::string pattern, repl;
      Words ignored;
      Status st = ProcessStopOn('/', true, &pattern, &ignored);
      if (!st.ok()) {
        if (sc_.Peek() == kEOF) return Status::InvalidArgument("syntax error: missing '/' in ${}");
        return st;
      }
      st = ProcessStopOn('}', true, &repl, &ignored);
      if (!st.ok()) {
        if (sc_.Peek() == kEOF) return Status::InvalidArgument("syntax error: missing '}'");
        return st;
      }
      const std::string* v = GetEnv(name);
      if (!v && skip_unset_) {
        *out = "${" + name + "/" + pattern + "/" + repl + "}";
        return Status::OK();
      }
      ASSIGN_OR_RETURN(*out, Replace(pattern, v ? *v : "", repl, all));
      return Status::OK();
    }
    return Status::InvalidArgument("unsupported modifier (" + chs + ") in substitution");
  }

  Scanner sc_;
  const VarLookup& env_;
  char32_t escape_;
  bool raw_quotes_, raw_escapes_, skip_quotes_, skip_unset_;
  ExpandResult* out_;
};

}  // namespace

Result<ExpandResult> ShellLex::Process(std::string_view word, const VarLookup& env) const {
  ExpandResult r;
  ShellWord sw(DecodeUtf8(word), env, escape_, *this, &r);
  Status st = sw.Run();
  if (!st.ok()) return Status::InvalidArgument("failed to process " + GoQuote(word) + ": " + st.message());
  return r;
}

Result<std::string> ShellLex::ProcessWord(std::string_view word, const VarLookup& env) const {
  ASSIGN_OR_RETURN(ExpandResult r, Process(word, env));
  return std::move(r.word);
}

Result<std::vector<std::string>> ShellLex::ProcessWords(std::string_view word, const VarLookup& env) const {
  ASSIGN_OR_RETURN(ExpandResult r, Process(word, env));
  return std::move(r.words);
}

}  // namespace kiln::frontend
