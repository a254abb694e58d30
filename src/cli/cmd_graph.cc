#include "cli/app.h"

namespace kiln::cli {
void RegisterGraph(CLI::App& app, GlobalOptions& g) {
  AddPlaceholder(app, "graph", "issue 2");
  AddPlaceholder(app, "outline", "issue 2");
}
}  // namespace kiln::cli
