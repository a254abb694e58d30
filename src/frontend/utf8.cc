#include "frontend/utf8.h"

#include <cstdint>

namespace kiln::frontend {

namespace {
constexpr char32_t kRawBase = 0x110000;
}

std::vector<char32_t> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out.push_back(c);
      i++;
      continue;
    }
    int n = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    char32_t cp = n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    bool ok = n > 0 && i + n < s.size();
    if (ok) {
      for (int k = 1; k <= n; k++) {
        unsigned char cc = s[i + k];
        if ((cc & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
    }
    if (ok && ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF))
      ok = false;
    if (!ok) {
      out.push_back(kRawBase + c);
      i++;
      continue;
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

size_t FirstInvalidUtf8(std::string_view s) {
  size_t off = 0;
  for (char32_t c : DecodeUtf8(s)) {
    if (c >= kRawBase) return off;
    off += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return std::string_view::npos;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c >= kRawBase) {
    out.push_back(static_cast<char>(c - kRawBase));
  } else if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

void AppendUtf8(std::string& out, int32_t c) {
  if (c >= 0) AppendUtf8(out, static_cast<char32_t>(c));
}

bool IsSpace(char32_t c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
  }
  return c >= 0x2000 && c <= 0x200A;
}

bool IsDigit(int32_t c) { return c >= '0' && c <= '9'; }

bool IsLetter(int32_t c) {
  if (c < 0) return false;
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c >= static_cast<int32_t>(kRawBase)) return false;
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, symbols, arrows
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK punctuation
  if (c >= 0xFF00 && c <= 0xFF20) return false;  // fullwidth punctuation
  if (IsSpace(static_cast<char32_t>(c))) return false;
  return true;
}

}  // namespace kiln::frontend
