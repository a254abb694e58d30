// Minimal UTF-8 helpers for the lexer and the pattern matchers. Invalid bytes
// decode to U+110000+byte and encode back to the same byte, so no input is lost.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::frontend {

std::vector<char32_t> DecodeUtf8(std::string_view s);
void AppendUtf8(std::string& out, char32_t c);
void AppendUtf8(std::string& out, int32_t c);
// Go's unicode.IsSpace / IsLetter / IsDigit, close enough for Dockerfiles
// (ASCII exact; non-ASCII letters outside punctuation blocks count as letters).
bool IsSpace(char32_t c);
// Byte offset of the first byte that is not valid UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view s);
bool IsLetter(int32_t c);
bool IsDigit(int32_t c);

}  // namespace kiln::frontend
