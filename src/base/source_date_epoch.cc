#include "base/source_date_epoch.h"

#include <charconv>
#include <cstdlib>

namespace kiln {

Result<std::optional<int64_t>> ParseSourceDateEpoch(std::string_view value) {
  if (value.empty()) return std::optional<int64_t>();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
    return Status::InvalidArgument("invalid SOURCE_DATE_EPOCH: " + std::string(value))
        .WithHint("SOURCE_DATE_EPOCH is seconds since 1970-01-01 UTC, e.g. $(git log -1 --format=%ct)");
  }
  return std::optional<int64_t>(n);
}

Result<std::optional<int64_t>> SourceDateEpochFromEnv() {
  const char* v = getenv("SOURCE_DATE_EPOCH");
  return ParseSourceDateEpoch(v ? v : "");
}

void AddSourceDateEpochFromEnv(std::map<std::string, std::string>& build_args) {
  const char* v = getenv("SOURCE_DATE_EPOCH");
  if (v && !build_args.contains("SOURCE_DATE_EPOCH")) build_args["SOURCE_DATE_EPOCH"] = v;
}

}  // namespace kiln
