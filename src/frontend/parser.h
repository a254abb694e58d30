// Dockerfile text -> Ast, exactly as BuildKit's parser reads it.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "frontend/ast.h"

namespace kiln::frontend {

// Errors carry file:line:column (Status::location) and a hint.
Result<Ast> Parse(std::string_view text, const std::string& filename = "Dockerfile");

// BuildKit's raw-tree dump (one parenthesised line per instruction), as in
// its parser golden files; used by `kiln debug ast`.
std::string DumpAst(const Ast& ast);

}  // namespace kiln::frontend
