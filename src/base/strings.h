// Small string helpers every module uses; one copy of each (ASCII only, like
// the Dockerfile keywords, HTTP header names and flag values they serve).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln {

// ASCII lower case ("FROM" -> "from"); bytes >= 0x80 are left alone.
std::string Lower(std::string s);

inline bool StartsWith(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }
inline bool EndsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }
inline bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// `s` without leading and trailing bytes from `chars`.
std::string Trim(std::string_view s, std::string_view chars = " \t\r\n");
// `s` without trailing bytes from `chars`.
std::string TrimRight(std::string_view s, std::string_view chars = " \t\r\n");

// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False;
// anything else (including "") is nullopt. Callers word their own error.
std::optional<bool> ParseGoBool(std::string_view v);

}  // namespace kiln
