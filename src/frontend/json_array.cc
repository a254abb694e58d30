#include "frontend/json_array.h"

#include "frontend/text_util.h"

namespace kiln::frontend::internal {
namespace {

// A strict JSON reader (RFC 8259, as Go's scanner checks it).
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  void SkipWs() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // Reads a string starting at '"'; decoded into *out when out != nullptr.
  bool String(std::string* out) {
    if (Peek() != '"') return false;
    ++pos_;
    while (true) {
      if (AtEnd()) return false;
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) return false;
        char e = s_[pos_++];
        switch (e) {
          case '"': case '\\': case '/':
            if (out) *out += e;
            break;
          case 'b': if (out) *out += '\b'; break;
          case 'f': if (out) *out += '\f'; break;
          case 'n': if (out) *out += '\n'; break;
          case 'r': if (out) *out += '\r'; break;
          case 't': if (out) *out += '\t'; break;
          case 'u': {
            char32_t r;
            if (!Hex4(&r)) return false;
            if (r >= 0xD800 && r < 0xDC00) {
              // A high surrogate: combine with a following \uDC00-\uDFFF.
              size_t save = pos_;
              char32_t lo;
              if (pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
                pos_ += 2;
                if (Hex4(&lo) && lo >= 0xDC00 && lo < 0xE000) {
                  r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                  pos_ = save;
                  r = text::kRuneError;
                }
              } else {
                r = text::kRuneError;
              }
            } else if (r >= 0xDC00 && r < 0xE000) {
              r = text::kRuneError;
            }
            if (out) text::AppendRune(*out, r);
            break;
          }
          default:
            return false;
        }
        continue;
      }
      if (c < 0x80) {
        if (out) *out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      size_t w;
      char32_t r = text::DecodeRune(s_, pos_, &w);
      if (out) {
        if (r == text::kRuneError && w == 1)
          text::AppendRune(*out, text::kRuneError);
        else
          out->append(s_.substr(pos_, w));
      }
      pos_ += w;
    }
  }

  // Skips any JSON value; false when it is malformed.
  bool Value(int depth) {
    if (depth > 10000) return false;
    SkipWs();
    char c = Peek();
    if (c == '"') return String(nullptr);
    if (c == '[') {
      ++pos_;
      SkipWs();
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      while (true) {
        if (!Value(depth + 1)) return false;
        SkipWs();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (Peek() == ']') {
          ++pos_;
          return true;
        }
        return false;
      }
    }
    if (c == '{') {
      ++pos_;
      SkipWs();
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      while (true) {
        SkipWs();
        if (!String(nullptr)) return false;
        SkipWs();
        if (Peek() != ':') return false;
        ++pos_;
        if (!Value(depth + 1)) return false;
        SkipWs();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (Peek() == '}') {
          ++pos_;
          return true;
        }
        return false;
      }
    }
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Number();
  }

 private:
  bool Literal(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) return false;
    pos_ += lit.size();
    return true;
  }
  bool Digit() const { return !AtEnd() && s_[pos_] >= '0' && s_[pos_] <= '9'; }
  bool Number() {
    if (Peek() == '-') ++pos_;
    if (!Digit()) return false;
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (Digit()) ++pos_;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!Digit()) return false;
      while (Digit()) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!Digit()) return false;
      while (Digit()) ++pos_;
    }
    return true;
  }
  bool Hex4(char32_t* r) {
    if (pos_ + 4 > s_.size()) return false;
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    pos_ += 4;
    *r = v;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

JsonArrayResult ParseJsonArray(std::string_view text, std::vector<JsonString>* out,
                               size_t* bad_offset) {
  out->clear();
  // BuildKit: strings.TrimLeftFunc(rest, unicode.IsSpace), then it must start with '['.
  std::string_view trimmed = text::TrimLeftSpace(text);
  size_t base = text.size() - trimmed.size();
  if (trimmed.empty() || trimmed[0] != '[') return JsonArrayResult::kNotArray;
  // Go validates the whole input before decoding: check syntax first.
  {
    Reader check(trimmed);
    if (!check.Value(0)) return JsonArrayResult::kNotArray;
    check.SkipWs();
    if (!check.AtEnd()) return JsonArrayResult::kNotArray;
  }
  // The syntax is valid: walk the top-level elements.
  Reader elems(trimmed);
  elems.Consume('[');
  while (true) {
    elems.SkipWs();
    if (elems.Peek() == ']') break;
    if (elems.Peek() != '"') {
      *bad_offset = base + elems.pos();
      out->clear();
      return JsonArrayResult::kNotStrings;
    }
    JsonString js;
    js.offset = base + elems.pos();
    elems.String(&js.value);
    out->push_back(std::move(js));
    elems.SkipWs();
    if (!elems.Consume(',')) break;
  }
  return JsonArrayResult::kOk;
}

}  // namespace kiln::frontend::internal
