#include "cli/app.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kiln::cli {

std::string GlobalOptions::ResolvedRoot() const {
  if (!root.empty()) return root;
  if (const char* r = getenv("KILN_ROOT"); r && *r) return r;
  if (geteuid() == 0) return "/var/lib/kiln";
  if (const char* x = getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/kiln";
  const char* home = getenv("HOME");
  return std::string(home ? home : "/tmp") + "/.local/share/kiln";
}

void Exit(int code) { throw CLI::RuntimeError(code); }

void Fail(const Status& st) {
  fprintf(stderr, "error: %s\n", st.ToString().c_str());
  Exit(1);
}

void AddPlaceholder(CLI::App& app, const std::string& name, const std::string& issue) {
  auto* sub = app.add_subcommand(name, "not implemented yet (" + issue + ")");
  sub->group("");
  sub->allow_extras();
  sub->callback([name, issue] {
    fprintf(stderr, "error: `kiln %s` is not implemented yet (%s)\n", name.c_str(), issue.c_str());
    Exit(1);
  });
}

}  // namespace kiln::cli
