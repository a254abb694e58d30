// The JSON ("exec") form of a Dockerfile instruction, read as Go's
// encoding/json reads it into []interface{} (what BuildKit does).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::frontend::internal {

enum class JsonArrayResult {
  kOk,            // a JSON array of strings
  kNotArray,      // not valid JSON, or not an array: BuildKit falls back to shell form
  kNotStrings,    // valid JSON array with a non-string element: a hard error
};

struct JsonString {
  std::string value;   // decoded (invalid UTF-8 and lone surrogates become U+FFFD)
  size_t offset = 0;   // offset of the opening quote in the input
};

// Parses `text` (leading whitespace allowed; trailing whitespace allowed;
// nothing else may follow the array). On kNotStrings, *bad_offset is the
// offset of the first non-string element.
JsonArrayResult ParseJsonArray(std::string_view text, std::vector<JsonString>* out,
                               size_t* bad_offset);

}  // namespace kiln::frontend::internal
