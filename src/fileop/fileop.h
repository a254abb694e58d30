// File operations of the build DAG (llb::FileOp: COPY, ADD, mkdir, mkfile, rm)
// applied to plain directories: the destination root and the source roots.
// Paths resolve inside their root, never outside (symlinks, "..").
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "llb/op.h"

namespace kiln::fileop {

struct CopyHooks;  // copier.h

struct FileOpContext {
  std::string dest_root;                  // the destination filesystem, writable
  std::vector<std::string> input_roots;   // Op::inputs[i] mounted read-only ("" = scratch)
  // Inputs whose files count as owned by 0:0 whatever their owner on disk: a local
  // build context (BuildKit's file sync resets uid/gid), so COPY without --chown
  // gives 0:0 from the context but keeps the owners when copying from a stage.
  std::vector<int> root_owned_inputs;
  // SOURCE_DATE_EPOCH etc. come in through the actions' timestamps.
  // Given to every copier of a COPY action (incremental copies; see copier.h).
  // Archives that ADD unpacks do not use them.
  CopyHooks* copy_hooks = nullptr;
};

// Applies every action of `op`, in order, to ctx.dest_root.
// Errors name the action and path, e.g.
//   copy /missing to /app/: "/missing": not found
// Semantics follow BuildKit's file backend and fsutil's copier (see the .cc files).
Status Apply(const llb::FileOp& op, const FileOpContext& ctx);

// The individual actions, for callers that apply one at a time.
Status ApplyCopy(const llb::CopyAction& a, const FileOpContext& ctx);
Status ApplyMkdir(const llb::MkdirAction& a, const std::string& dest_root);
Status ApplyMkfile(const llb::MkfileAction& a, const std::string& dest_root);
Status ApplyRm(const llb::RmAction& a, const std::string& dest_root);

// The paths (relative to `root`, starting with "/") that a COPY source with
// wildcards names, in lexical walk order (Go's filepath.Match on the part after
// the first wildcard component; a matched directory is not descended into).
// A source without wildcards is returned as is, existing or not.
Result<std::vector<std::string>> ResolveWildcards(const std::string& root, const std::string& src,
                                                  bool follow_symlinks);

}  // namespace kiln::fileop
