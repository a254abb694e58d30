#include "frontend/text_util.h"

namespace kiln::frontend::text {

char32_t DecodeRune(std::string_view s, size_t pos, size_t* width) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  size_t n = s.size() - pos;
  unsigned char c0 = b(0);
  *width = 1;
  if (c0 < 0x80) return c0;
  auto cont = [&](size_t i) { return i < n && (b(i) & 0xC0) == 0x80; };
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    if (!cont(1)) return kRuneError;
    *width = 2;
    return ((c0 & 0x1F) << 6) | (b(1) & 0x3F);
  }
  if (c0 >= 0xE0 && c0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return kRuneError;
    if (c0 == 0xE0 && b(1) < 0xA0) return kRuneError;  // overlong
    if (c0 == 0xED && b(1) > 0x9F) return kRuneError;  // surrogate
    *width = 3;
    return ((c0 & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  }
  if (c0 >= 0xF0 && c0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return kRuneError;
    if (c0 == 0xF0 && b(1) < 0x90) return kRuneError;
    if (c0 == 0xF4 && b(1) > 0x8F) return kRuneError;
    *width = 4;
    return ((c0 & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
  return kRuneError;
}

char32_t DecodeLastRune(std::string_view s, size_t* width) {
  // Find the start of the last rune: back up over at most 3 continuation bytes.
  size_t end = s.size();
  size_t start = end - 1;
  size_t lim = end >= 4 ? end - 4 : 0;
  while (start > lim && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  size_t w;
  char32_t r = DecodeRune(s, start, &w);
  if (start + w != end) {
    *width = 1;
    return kRuneError;
  }
  *width = w;
  return r;
}

void AppendRune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

bool IsSpace(char32_t r) {
  if (r < 0x80) return r == ' ' || (r >= '\t' && r <= '\r');
  switch (r) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

std::string_view TrimLeftSpace(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t w;
    char32_t r = DecodeRune(s, pos, &w);
    if (!IsSpace(r)) break;
    pos += w;
  }
  return s.substr(pos);
}

std::string_view TrimRightSpace(std::string_view s) {
  while (!s.empty()) {
    size_t w;
    char32_t r = DecodeLastRune(s, &w);
    if (!IsSpace(r)) break;
    s.remove_suffix(w);
  }
  return s;
}

std::vector<std::string_view> SplitBlanks(std::string_view s, int n) {
  std::vector<std::string_view> out;
  if (n == 0) return out;
  size_t start = 0, pos = 0;
  while (pos < s.size()) {
    if (n > 0 && static_cast<int>(out.size()) == n - 1) break;
    if (!IsAsciiBlank(s[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (pos < s.size() && IsAsciiBlank(s[pos])) ++pos;
    // Go's Split: a match at the very start of s with an empty match before it
    // still yields an empty first piece.
    out.push_back(s.substr(start, end - start));
    start = pos;
  }
  out.push_back(s.substr(start));
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

namespace {

// Go's unicode.IsPrint, approximated: letters, marks, numbers, punctuation,
// symbols and U+0020. Non-printable: controls, format characters, separators
// other than the ASCII space, surrogates, private use and noncharacters.
// (Unassigned code points are treated as printable.)
bool IsPrint(char32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r <= 0x9F) return false;                        // C1 controls
  switch (r) {
    case 0xA0: case 0xAD: case 0x061C: case 0x180E: case 0x1680: case 0x3000:
    case 0xFEFF: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x070F: case 0x08E2: case 0x110BD: case 0x110CD:
      return false;
    default:
      break;
  }
  if (r >= 0x0600 && r <= 0x0605) return false;
  if (r >= 0x06DD && r <= 0x06DD) return false;
  if (r >= 0x0890 && r <= 0x0891) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;       // spaces, ZW*, LRM/RLM
  if (r >= 0x202A && r <= 0x202E) return false;
  if (r >= 0x2060 && r <= 0x206F) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;       // surrogates, private use
  if (r >= 0xFFF9 && r <= 0xFFFB) return false;
  if ((r & 0xFFFE) == 0xFFFE) return false;           // noncharacters
  if (r >= 0xFDD0 && r <= 0xFDEF) return false;
  if (r >= 0x13430 && r <= 0x1343F) return false;
  if (r >= 0x1BCA0 && r <= 0x1BCA3) return false;
  if (r >= 0x1D173 && r <= 0x1D17A) return false;
  if (r >= 0xE0000 && r <= 0xE007F) return false;     // tags
  if (r >= 0xF0000) return false;                     // private use planes
  return true;
}

void AppendHex(std::string& out, uint32_t v, int digits) {
  static const char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 0xF];
}

// Appends r as strconv's quoting does: `quote` and backslash escaped,
// printable runes as they are (raw: the original bytes), others escaped.
void AppendQuotedRune(std::string& out, char32_t r, char quote, std::string_view raw) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out += '\\';
    out += static_cast<char>(r);
  } else if (IsPrint(r)) {
    if (raw.empty()) AppendRune(out, r);
    else out.append(raw);
  } else {
    switch (r) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (r < ' ' || r == 0x7F) {
          out += "\\x";
          AppendHex(out, r, 2);
        } else if (r < 0x10000) {
          out += "\\u";
          AppendHex(out, r, 4);
        } else {
          out += "\\U";
          AppendHex(out, r, 8);
        }
    }
  }
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  size_t pos = 0;
  while (pos < s.size()) {
    size_t w;
    char32_t r = DecodeRune(s, pos, &w);
    if (r == kRuneError && w == 1) {
      out += "\\x";
      AppendHex(out, static_cast<unsigned char>(s[pos]), 2);
    } else {
      AppendQuotedRune(out, r, '"', s.substr(pos, w));
    }
    pos += w;
  }
  out += '"';
  return out;
}

std::string GoQuoteRune(int64_t r) {
  // Like Go's utf8.ValidRune: out of range and surrogates become U+FFFD.
  if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string out = "'";
  AppendQuotedRune(out, static_cast<char32_t>(r), '\'', {});
  return out + "'";
}

}  // namespace kiln::frontend::text
