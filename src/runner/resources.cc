#include "runner/resources.h"

#include <cctype>

namespace kiln::runner {

Result<int64_t> ParseMemoryBytes(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  auto bad = [&] {
    return Status::InvalidArgument("--memory " + s + ": not a size").WithHint("use a number of bytes with an optional unit b, k, m or g (e.g. 512m)");
  };
  if (i == 0 || i > 15) return bad();
  std::string unit = s.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
  static const std::string kUnits = "bkmgt";
  size_t power = unit.empty() ? 0 : unit.size() == 1 ? kUnits.find(unit[0]) : std::string::npos;
  if (power == std::string::npos) return bad();
  int64_t n = std::stoll(s.substr(0, i));
  for (size_t p = 0; p < power; ++p) {
    if (n > (INT64_MAX >> 10)) return bad();
    n <<= 10;
  }
  return n;
}

Result<Resources> MakeResources(const ResourceFlags& f) {
  Resources r;
  if (!f.memory.empty()) {
    ASSIGN_OR_RETURN(r.memory_bytes, ParseMemoryBytes(f.memory));
    if (r.memory_bytes < (6 << 20)) {  // docker's minimum
      return Status::InvalidArgument("--memory " + f.memory + ": below the minimum of 6 MiB").WithHint("use e.g. --memory 512m");
    }
  }
  if (f.cpu_quota < 0 || (f.cpu_quota > 0 && f.cpu_quota < 1000)) {
    return Status::InvalidArgument("--cpu-quota " + std::to_string(f.cpu_quota) + ": below the minimum of 1000 microseconds")
        .WithHint("e.g. --cpu-quota 50000 is half a CPU per 100 ms period");
  }
  if (f.cpu_period != 0 && (f.cpu_period < 1000 || f.cpu_period > 1000000)) {
    return Status::InvalidArgument("--cpu-period " + std::to_string(f.cpu_period) + ": outside 1000..1000000 microseconds")
        .WithHint("the default is 100000 (100 ms)");
  }
  if (f.cpu_period != 0 && f.cpu_quota == 0) {
    return Status::InvalidArgument("--cpu-period needs --cpu-quota").WithHint("e.g. --cpu-quota 50000 --cpu-period 100000");
  }
  if (f.pids_limit < -1) {
    return Status::InvalidArgument("--pids-limit " + std::to_string(f.pids_limit) + ": not a process count").WithHint("use a positive number, or -1 for no limit");
  }
  r.cpu_quota_us = f.cpu_quota;
  r.cpu_period_us = f.cpu_period;
  r.pids_max = f.pids_limit;
  return r;
}

}  // namespace kiln::runner
