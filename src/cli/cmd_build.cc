#include "cli/app.h"

namespace kiln::cli {
void RegisterBuild(CLI::App& app, GlobalOptions& g) { AddPlaceholder(app, "build", "issue 5"); }
}  // namespace kiln::cli
