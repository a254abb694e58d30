// Logging goes through spdlog; this sets it up once for the CLI.
#pragma once

#include <spdlog/spdlog.h>

namespace kiln {
// level: "trace", "debug", "info", "warn", "error", "off". Logs go to stderr.
void InitLogging(const std::string& level);
}  // namespace kiln
