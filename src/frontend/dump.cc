// BuildKit's Node.Dump format for `kiln debug ast`.
#include "frontend/parser.h"
#include "frontend/text_util.h"

namespace kiln::frontend {
namespace {

std::string DumpInstruction(const Instruction& ins) {
  std::string out = ins.keyword;
  if (!ins.flags.empty()) {
    out += " [";
    for (size_t i = 0; i < ins.flags.size(); ++i) {
      if (i) out += ' ';
      out += text::GoQuote(ins.flags[i]);
    }
    out += ']';
  }
  for (const Instruction& child : ins.next) out += " (" + DumpInstruction(child) + ")";
  for (const std::string& a : ins.args) out += " " + text::GoQuote(a);
  return out;
}

}  // namespace

std::string DumpAst(const Ast& ast) {
  std::string out;
  for (const Instruction& ins : ast.instructions) out += "(" + DumpInstruction(ins) + ")\n";
  return out;
}

}  // namespace kiln::frontend
