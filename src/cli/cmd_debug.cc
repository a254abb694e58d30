#include "cli/app.h"

namespace kiln::cli {
void RegisterDebug(CLI::App& app, GlobalOptions& g) { AddPlaceholder(app, "debug", "issue 2"); }
}  // namespace kiln::cli
