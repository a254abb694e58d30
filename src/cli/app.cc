#include "cli/app.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "frontend/suggest.h"

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

namespace {

// The word argv[i..] puts where a subcommand belongs, or "" (none, or --help/--version).
std::string CommandWord(const CLI::App& app, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return i + 1 < argc ? argv[i + 1] : "";
    if (a.empty() || a[0] != '-' || a == "-") return a;
    if (a.find('=') != std::string::npos) continue;  // --root=DIR
    const CLI::Option* opt = app.get_option_no_throw(a);
    if (!opt) return "";                                  // CLI11 reports unknown options
    if (opt->get_type_size_min() > 0) ++i;              // its value
    if (a == "--help" || a == "-h" || a == "--version") return "";
  }
  return "";
}

}  // namespace

Status CheckCommand(const CLI::App& app, int argc, const char* const* argv) {
  std::string word = CommandWord(app, argc, argv);
  if (word.empty()) return Status::OK();
  std::vector<std::string> shown;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(word)) return Status::OK();
    if (!sub->get_group().empty() && !sub->get_name().empty()) shown.push_back(sub->get_name());
  }
  std::string best;
  int best_d = -1;
  for (const auto& name : shown) {
    int d = frontend::EditDistance(word, name);
    if (best_d < 0 || d < best_d) best_d = d, best = name;
  }
  std::string list;
  for (const auto& name : shown) list += (list.empty() ? "" : ", ") + name;
  std::string hint;
  int allowed = word.size() <= 3 ? 1 : 2;
  if (best_d >= 0 && best_d <= allowed) hint = "did you mean `kiln " + best + "`? ";
  hint += "kiln's commands: " + list + " (`kiln --help` describes them)";
  return Status::InvalidArgument("unknown command \"" + word + "\" for \"kiln\"").WithHint(hint);
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
