#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace kiln {

void InitLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("kiln");
  logger->set_pattern(getenv("KILN_LOG_TIMES") ? "%H:%M:%S.%f %t %^%l%$: %v" : "%^%l%$: %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace kiln
