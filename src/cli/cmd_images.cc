#include "cli/app.h"

namespace kiln::cli {
void RegisterImages(CLI::App& app, GlobalOptions& g) {
  for (const char* c : {"images", "rm", "tag", "inspect", "save"}) AddPlaceholder(app, c, "issue 3");
  RegisterPrune(app, g);  // prune, du: cmd_prune.cc
}
}  // namespace kiln::cli
