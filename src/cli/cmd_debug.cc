// kiln debug: developer views of kiln's internals.
#include <cstdio>

#include "base/fs.h"
#include "cli/app.h"
#include "frontend/parser.h"

namespace kiln::cli {
namespace {

void RunDebugAst(const std::string& file) {
  auto data = ReadFileOrStdin(file);
  if (!data.ok()) Fail(data.status());
  std::string text = std::move(*data);
  auto ast = frontend::Parse(text, file == "-" ? "<stdin>" : file);
  if (!ast.ok()) Fail(ast.status());
  for (const auto& w : ast->warnings) {
    fprintf(stderr, "warning: %s:%d: %s (%s)\n", ast->filename.c_str(), w.range.start.line,
            w.message.c_str(), w.rule.c_str());
  }
  std::string dump = frontend::DumpAst(*ast);
  fwrite(dump.data(), 1, dump.size(), stdout);
}

}  // namespace

void RegisterDebug(CLI::App& app, GlobalOptions& g) {
  auto* debug = app.add_subcommand("debug", "Developer views of kiln's internals");
  debug->require_subcommand(1);
  auto* ast = debug->add_subcommand(
      "ast",
      "Print a Dockerfile's raw syntax tree in BuildKit's dump format: one line per\n"
      "instruction, `(keyword [\"flags\"] \"arg\" ...)`, before variable expansion.\n"
      "Syntax errors are reported with file:line:column and exit status 1.");
  static std::string file;
  ast->add_option("FILE", file, "the Dockerfile to parse (- for stdin)")->required();
  ast->callback([] { RunDebugAst(file); });
}

}  // namespace kiln::cli
