#pragma once
// SOURCE_DATE_EPOCH (reproducible-builds.org): the time, in seconds since 1970-01-01 UTC, that a
// reproducible output uses instead of "now". One parser for every reader of it (the frontend's
// build argument, `kiln import`'s environment, `kiln build`'s environment as buildx passes it).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kiln {

// "" is unset (nullopt); anything but a non-negative decimal integer is an error naming the value.
Result<std::optional<int64_t>> ParseSourceDateEpoch(std::string_view value);

// The SOURCE_DATE_EPOCH environment variable, parsed (nullopt when unset or empty).
Result<std::optional<int64_t>> SourceDateEpochFromEnv();

// As buildx does: when the environment sets SOURCE_DATE_EPOCH and `build_args` does not, the
// environment's value becomes the build argument (an explicit --build-arg wins).
void AddSourceDateEpochFromEnv(std::map<std::string, std::string>& build_args);

}  // namespace kiln
