#include "frontend/heredoc.h"

#include <cstdint>

#include "frontend/text_util.h"

namespace kiln::frontend::internal {
namespace {

struct RawWord {
  std::string_view text;
  size_t offset;
};

// Skips a ${...} starting at s[pos] == '$' && s[pos+1] == '{'; returns the
// position after the closing brace, or npos when unterminated.
size_t SkipBraced(std::string_view s, size_t pos) {
  int depth = 0;
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i + 1;
  }
  return std::string_view::npos;
}

// Splits `line` into raw words as BuildKit's lexer does with RawQuotes and
// RawEscapes on (the word text is the source text). Returns false when the
// lexer would fail (unterminated quote): BuildKit then finds no heredocs.
bool SplitRawWords(std::string_view s, std::vector<RawWord>* out) {
  size_t start = std::string_view::npos;
  auto begin = [&](size_t at) {
    if (start == std::string_view::npos) start = at;
  };
  auto end = [&](size_t at) {
    if (start != std::string_view::npos) out->push_back({s.substr(start, at - start), start});
    start = std::string_view::npos;
  };
  size_t pos = 0;
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '\'') {
      begin(pos);
      size_t close = s.find('\'', pos + 1);
      if (close == std::string_view::npos) return false;
      pos = close + 1;
      continue;
    }
    if (c == '"') {
      begin(pos);
      size_t i = pos + 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
      }
      if (i >= s.size()) return false;
      pos = i + 1;
      continue;
    }
    if (c == '$' && pos + 1 < s.size() && s[pos + 1] == '{') {
      begin(pos);
      size_t after = SkipBraced(s, pos);
      if (after == std::string_view::npos) return false;
      pos = after;
      continue;
    }
    if (c == '<' && pos + 1 < s.size() && s[pos + 1] == '<') {
      // BuildKit's lexer keeps the blanks after "<<" in the word, so that
      // `<<  EOF` is one word (the heredoc regexp then skips them).
      begin(pos);
      pos += 2;
      while (pos < s.size() && text::IsSpace(static_cast<unsigned char>(s[pos])) &&
             static_cast<unsigned char>(s[pos]) < 0x80)
        ++pos;
      continue;
    }
    if (c == '\\') {
      begin(pos);
      pos += 2;
      if (pos > s.size()) pos = s.size();
      continue;
    }
    size_t w;
    char32_t r = text::DecodeRune(s, pos, &w);
    if (text::IsSpace(r)) {
      end(pos);
    } else {
      begin(pos);
    }
    pos += w;
  }
  end(s.size());
  return true;
}

// Lexes a heredoc word with quotes and escapes processed. Returns the number
// of words it makes; *quoted says whether a quote acted as quoting.
int Unquote(std::string_view s, std::string* word, bool* quoted) {
  int words = 0;
  bool in_word = false;
  *quoted = false;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) {
      ++words;
      *word = cur;
    }
    cur.clear();
    in_word = false;
  };
  size_t pos = 0;
  while (pos < s.size()) {
    char c = s[pos];
    if (c == '\'') {
      size_t close = s.find('\'', pos + 1);
      if (close == std::string_view::npos) return 0;
      cur.append(s.substr(pos + 1, close - pos - 1));
      *quoted = true;
      in_word = true;
      pos = close + 1;
      continue;
    }
    if (c == '"') {
      size_t i = pos + 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size() &&
            (s[i + 1] == '"' || s[i + 1] == '$' || s[i + 1] == '\\')) {
          ++i;
        }
        cur += s[i];
      }
      if (i >= s.size()) return 0;
      *quoted = true;
      in_word = true;
      pos = i + 1;
      continue;
    }
    if (c == '\\') {
      if (pos + 1 < s.size()) cur += s[pos + 1];
      in_word = true;
      pos += 2;
      continue;
    }
    size_t w;
    char32_t r = text::DecodeRune(s, pos, &w);
    if (text::IsSpace(r)) {
      if (in_word) flush();
    } else {
      cur.append(s.substr(pos, w));
      in_word = true;
    }
    pos += w;
  }
  flush();
  return words;
}

}  // namespace

std::vector<HeredocStart> HeredocsFromLine(std::string_view line) {
  std::vector<HeredocStart> out;
  std::vector<RawWord> words;
  if (!SplitRawWords(line, &words)) return out;
  for (const RawWord& w : words) {
    // ^(\d*)<<(-?)\s*([^<]*)$
    std::string_view t = w.text;
    size_t digits = 0;
    while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
    if (t.substr(digits, 2) != "<<") continue;
    size_t p = digits + 2;
    bool chomp = p < t.size() && t[p] == '-';
    if (chomp) ++p;
    while (p < t.size() && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\f' ||
                            t[p] == '\r'))
      ++p;
    std::string_view rest = t.substr(p);
    if (rest.empty() || rest.find('<') != std::string_view::npos) continue;
    HeredocStart h;
    int n = Unquote(rest, &h.name, &h.expand);
    if (n != 1) continue;
    h.expand = !h.expand;
    h.chomp = chomp;
    uint64_t fd = 0;
    for (size_t i = 0; i < digits; ++i) {
      fd = fd * 10 + static_cast<uint64_t>(t[i] - '0');
      if (fd > 1000000) fd = 1000000;
    }
    h.fd = static_cast<int>(fd);
    h.offset = w.offset;
    out.push_back(std::move(h));
  }
  return out;
}

std::string ChompHeredoc(const std::string& s) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string::npos ? s.size() : nl + 1;
    size_t b = pos;
    while (b < end && s[b] == '\t') b++;
    out.append(s, b, end - b);
    pos = end;
  }
  return out;
}

}  // namespace kiln::frontend::internal
