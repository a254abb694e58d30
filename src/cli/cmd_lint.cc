#include "cli/app.h"

namespace kiln::cli {
void RegisterLint(CLI::App& app, GlobalOptions& g) { AddPlaceholder(app, "lint", "issue 6"); }
}  // namespace kiln::cli
