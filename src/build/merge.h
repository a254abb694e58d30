// Several targets' DAGs as one, for one scheduler run: ops are identified by
// digest, so an op two targets share appears (and runs) once. Local sources
// (local://NAME, the build contexts) are per target: when two targets give the
// same NAME different directories, the later one's source is renamed.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "llb/definition.h"

namespace kiln::build {

// `def` with every local://OLD source named local://NEW per `renames` (OLD -> NEW),
// the digests of the ops built on them recomputed; metadata and output follow.
llb::Definition RenameLocalSources(const llb::Definition& def, const std::map<std::string, std::string>& renames);

// The local directories `def` reads: "context" -> `context_dir`, its named contexts
// (Definition::attrs "local:NAME"), by name.
std::map<std::string, std::string> LocalDirs(const llb::Definition& def, const std::string& context_dir);

// Adds `dirs` to `all` (the request's local directories so far), returning the
// renames `def` needs so that no name means two directories.
std::map<std::string, std::string> ClaimLocalNames(std::map<std::string, std::string>& all,
                                                   const std::map<std::string, std::string>& dirs, size_t target);

// Adds `def`'s ops to `into` (an op already there keeps its metadata).
void MergeOps(llb::Definition& into, const llb::Definition& def);

}  // namespace kiln::build
