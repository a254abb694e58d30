// kiln_runner_tool: runs one command with the namespace executor, for
// benchmarks and manual checks (not part of the kiln CLI).
//   kiln_runner_tool (--overlay OPTIONS | --bind DIR) [--user U] [--cwd DIR]
//                    [--network host|none] [--timeout SECONDS] [--env K=V]... -- CMD [ARG]...
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include "runner/executor.h"

int main(int argc, char** argv) {
  using kiln::runner::ProcessSpec;
  kiln::runner::RunSpec spec;
  int i = 1;
  auto usage = [] {
    std::fprintf(stderr,
                 "usage: kiln_runner_tool (--overlay lowerdir=..,upperdir=..,workdir=.. | --bind DIR)\n"
                 "         [--user U] [--cwd DIR] [--network host|none] [--timeout S] [--env K=V]... -- CMD...\n");
    return 2;
  };
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") { ++i; break; }
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--overlay") spec.root = {"/", "overlay", "", v, false};
    else if (a == "--bind") spec.root = {"/", "bind", v, "", false};
    else if (a == "--user") spec.process.user = v;
    else if (a == "--cwd") spec.process.cwd = v;
    else if (a == "--network") spec.process.network = v == "none" ? ProcessSpec::Network::kNone : ProcessSpec::Network::kHost;
    else if (a == "--timeout") spec.process.timeout_seconds = std::stoi(v);
    else if (a == "--env") spec.process.env.push_back(v);
    else return usage();
  }
  if (spec.root.type.empty() || i >= argc) return usage();
  for (; i < argc; ++i) spec.process.args.push_back(argv[i]);
  kiln::Status s = kiln::runner::NewNamespaceExecutor()->Run(spec, [](std::string_view c) {
    (void)!write(1, c.data(), c.size());
  });
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
