// The command line's words for a RUN step's resources (runner::Resources), as
// `docker build` had them: --memory 512m, --cpu-quota 50000, --cpu-period
// 100000, --pids-limit 4096.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "runner/executor.h"

namespace kiln::runner {

// docker's RAMInBytes: a number with an optional unit b, k, m, g, t (powers of
// 1024; "kb", "mb", ... too, any case), e.g. "512m" = 536870912.
Result<int64_t> ParseMemoryBytes(const std::string& s);

struct ResourceFlags {
  std::string memory;          // "" = no limit
  int64_t cpu_quota = 0;       // microseconds per period, 0 = no limit
  int64_t cpu_period = 0;      // 0 = 100000
  int64_t pids_limit = Resources::kDefaultPidsMax;  // -1 or 0 = no limit
};

// Checks the flags (what is wrong, and a hint naming the flag) and makes the Resources.
Result<Resources> MakeResources(const ResourceFlags& f);

}  // namespace kiln::runner
