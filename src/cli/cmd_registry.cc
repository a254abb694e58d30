#include "cli/app.h"

namespace kiln::cli {
void RegisterRegistry(CLI::App& app, GlobalOptions& g) {
  for (const char* c : {"pull", "push", "login", "logout"}) AddPlaceholder(app, c, "issue 4");
}
}  // namespace kiln::cli
