// File operations of the build DAG (llb::FileOp: COPY, ADD, mkdir, mkfile, rm)
// applied to plain directories: the destination root and the source roots.
// Paths resolve inside their root, never outside (symlinks, "..").
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "llb/op.h"

namespace kiln::fileop {

struct FileOpContext {
  std::string dest_root;                  // the destination filesystem, writable
  std::vector<std::string> input_roots;   // Op::inputs[i] mounted read-only ("" = scratch)
  // SOURCE_DATE_EPOCH etc. come in through the actions' timestamps.
};

// Applies every action of `op`, in order, to ctx.dest_root.
// Errors name the action and path, e.g. "COPY failed: stat /ctx/missing: no such file".
Status Apply(const llb::FileOp& op, const FileOpContext& ctx);

}  // namespace kiln::fileop
