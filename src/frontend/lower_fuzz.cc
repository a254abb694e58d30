// libFuzzer target for parsing + lowering: any input must lower or fail with
// an error (never crash), and a lowered graph must validate and format.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "frontend/diagnostic.h"
#include "frontend/lower.h"
#include "frontend/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ast = kiln::frontend::Parse(text, "Dockerfile");
  if (!ast.ok()) return 0;
  kiln::frontend::NullImageMetaResolver resolver;
  kiln::frontend::LowerOptions opts;
  opts.resolver = &resolver;
  opts.build_platform = kiln::oci::Platform{"linux", "amd64", ""};
  opts.build_args["SOURCE_DATE_EPOCH"] = "0";
  auto def = kiln::frontend::Lower(*ast, opts);
  if (!def.ok()) {
    std::string msg = kiln::frontend::FormatDiagnostic(def.status(), ast->source);
    (void)msg;
    return 0;
  }
  if (!kiln::llb::Validate(*def).ok()) abort();
  std::string json = kiln::llb::DefinitionToJson(*def).dump();
  (void)json;
  auto outline = kiln::frontend::BuildOutline(*ast, opts);
  (void)outline;
  return 0;
}
