// libFuzzer target for the Dockerfile parser: any input must parse or fail
// with an error, never crash; a parsed AST must dump.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontend/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ast = kiln::frontend::Parse(text, "Dockerfile");
  if (ast.ok()) {
    std::string dump = kiln::frontend::DumpAst(*ast);
    (void)dump;
  } else {
    std::string msg = ast.status().ToString();
    (void)msg;
  }
  return 0;
}
