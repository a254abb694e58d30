// base64, standard alphabet, padded (RFC 4648 section 4): HTTP Basic
// credentials on both ends (registry client, cache server) and docker's
// config.json "auth" entries.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kiln {

std::string Base64Encode(std::string_view in);
// Strict: the length must be a multiple of 4 and every byte in the alphabet
// (callers that tolerate line breaks remove whitespace first).
Result<std::string> Base64Decode(std::string_view in);

}  // namespace kiln
