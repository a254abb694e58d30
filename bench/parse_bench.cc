// Parser throughput: parses every Dockerfile under DIR, N times, and prints
// files per second and peak RSS.
//   kiln_parse_bench DIR [N=200]
// Files counted: names "Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile".
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

#include "frontend/parser.h"

namespace fs = std::filesystem;

static bool IsDockerfile(const fs::path& p) {
  std::string name = p.filename().string();
  auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return name == "Dockerfile" || name.rfind("Dockerfile.", 0) == 0 || ends(".Dockerfile") ||
         ends(".dockerfile");
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [N]\n", argv[0]);
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 200;
  std::vector<std::string> files;
  size_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(argv[1], ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || !IsDockerfile(it->path())) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back(ss.str());
    bytes += files.back().size();
  }
  if (files.empty()) {
    fprintf(stderr, "no Dockerfiles under %s\n", argv[1]);
    return 1;
  }
  size_t failed = 0, instructions = 0;
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  double cpu_start = cpu();
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < n; ++round) {
    for (const std::string& f : files) {
      auto ast = kiln::frontend::Parse(f);
      if (!ast.ok()) {
        ++failed;
      } else {
        instructions += ast->instructions.size();
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu_secs = cpu() - cpu_start;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  double parsed = static_cast<double>(files.size()) * n;
  printf("files: %zu (%zu bytes, avg %zu bytes), rounds: %d, parse errors per round: %zu\n",
         files.size(), bytes, bytes / files.size(), n, failed / n);
  printf("parsed %.0f files in %.3f s: %.0f files/s, %.1f MB/s, %.0f instructions/s\n", parsed, secs,
         parsed / secs, static_cast<double>(bytes) * n / secs / 1e6,
         static_cast<double>(instructions) / secs);
  printf("on-CPU time %.3f s: %.0f files/s per core\n", cpu_secs, parsed / cpu_secs);
  printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
  return 0;
}
