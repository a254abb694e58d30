#include "cli/app.h"

namespace kiln::cli {
void RegisterImages(CLI::App& app, GlobalOptions& g) {
  for (const char* c : {"images", "rm", "tag", "inspect", "save", "prune", "du"}) AddPlaceholder(app, c, "issue 3");
}
}  // namespace kiln::cli
