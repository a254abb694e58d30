// Go-compatible text helpers for the Dockerfile parser: BuildKit's parser is
// written against Go's strings/unicode packages, and reading Dockerfiles
// exactly as BuildKit does means deciding "is this a space" the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::frontend::text {

constexpr char32_t kRuneError = 0xFFFD;

// Decodes one UTF-8 rune at s[pos] like Go's utf8.DecodeRuneInString: an
// invalid or truncated sequence decodes as (kRuneError, 1).
char32_t DecodeRune(std::string_view s, size_t pos, size_t* width);
// Like Go's utf8.DecodeLastRuneInString.
char32_t DecodeLastRune(std::string_view s, size_t* width);
// Appends r encoded as UTF-8 (invalid code points become U+FFFD).
void AppendRune(std::string& out, char32_t r);

// Go's unicode.IsSpace.
bool IsSpace(char32_t r);
// unicode.IsSpace applied to a single byte as a rune (Go's rune(line[pos])).
inline bool IsSpaceByte(unsigned char c) { return IsSpace(c); }

// strings.TrimLeftFunc(s, unicode.IsSpace) and friends.
std::string_view TrimLeftSpace(std::string_view s);
std::string_view TrimRightSpace(std::string_view s);
inline std::string_view TrimSpace(std::string_view s) { return TrimRightSpace(TrimLeftSpace(s)); }

// The regexp [\t\v\f\r ]+ BuildKit splits on.
inline bool IsAsciiBlank(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}
// regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, n): n < 0 means all pieces.
// Each piece is a view into s.
std::vector<std::string_view> SplitBlanks(std::string_view s, int n);

std::string ToLower(std::string_view s);  // ASCII only, like the keywords
std::string ToUpper(std::string_view s);

// Go's strconv.Quote: a double-quoted Go string literal.
std::string GoQuote(std::string_view s);
// Go's strconv.QuoteRune, which is also what fmt's %q prints for an integer
// ('\x05', 'A').
std::string GoQuoteRune(int64_t r);

}  // namespace kiln::frontend::text
