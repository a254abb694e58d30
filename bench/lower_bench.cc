// Frontend throughput: parses and lowers every Dockerfile under DIR, N times,
// and prints files per second (wall and CPU) and peak RSS.
//   kiln_lower_bench DIR [N=200]
// Files counted: "Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile".
// Base images are not resolved (NullImageMetaResolver), as in `kiln graph`.
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "frontend/lower.h"
#include "frontend/parser.h"

namespace fs = std::filesystem;

namespace {

bool IsDockerfile(const fs::path& p) {
  std::string name = p.filename().string();
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return name == "Dockerfile" || name.rfind("Dockerfile.", 0) == 0 || ends(".Dockerfile") || ends(".dockerfile");
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [N]\n", argv[0]);
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 200;
  std::vector<std::pair<std::string, std::string>> files;  // name, text
  size_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(argv[1], ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || !IsDockerfile(it->path())) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.emplace_back(it->path().string(), ss.str());
    bytes += files.back().second.size();
  }
  if (files.empty()) {
    fprintf(stderr, "no Dockerfiles under %s\n", argv[1]);
    return 1;
  }
  kiln::frontend::NullImageMetaResolver resolver;
  kiln::frontend::LowerOptions opts;
  opts.resolver = &resolver;
  opts.build_platform = kiln::oci::Platform{"linux", "amd64", ""};
  size_t parse_errors = 0, lower_errors = 0, ops = 0;
  double cpu_start = CpuSeconds();
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < n; ++round) {
    for (const auto& [name, text] : files) {
      auto ast = kiln::frontend::Parse(text, name);
      if (!ast.ok()) {
        ++parse_errors;
        continue;
      }
      auto def = kiln::frontend::Lower(*ast, opts);
      if (!def.ok()) {
        ++lower_errors;
        if (round == 0) fprintf(stderr, "lower: %s\n", def.status().ToString().c_str());
        continue;
      }
      ops += def->ops.size();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu_secs = CpuSeconds() - cpu_start;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  double total = static_cast<double>(files.size()) * n;
  printf("files: %zu (%zu bytes, avg %zu bytes), rounds: %d, errors per round: parse %zu, lower %zu\n",
         files.size(), bytes, bytes / files.size(), n, parse_errors / n, lower_errors / n);
  printf("parsed+lowered %.0f files in %.3f s: %.0f files/s wall, %.0f files/s per CPU second, %.0f ops/s\n", total,
         secs, total / secs, total / cpu_secs, static_cast<double>(ops) / secs);
  printf("peak RSS: %.1f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
