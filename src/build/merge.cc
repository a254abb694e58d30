#include "build/merge.h"

#include <variant>

namespace kiln::build {

llb::Definition RenameLocalSources(const llb::Definition& def, const std::map<std::string, std::string>& renames) {
  if (renames.empty()) return def;
  llb::Definition out = def;
  out.order.clear();
  out.ops.clear();
  out.metadata.clear();
  std::map<std::string, std::string> moved;  // old digest -> new digest
  for (const std::string& d : def.order) {
    llb::Op op = def.ops.at(d);
    if (auto* src = std::get_if<llb::SourceOp>(&op.kind); src && src->identifier.rfind("local://", 0) == 0) {
      auto it = renames.find(src->identifier.substr(8));
      if (it != renames.end()) src->identifier = "local://" + it->second;
    }
    for (llb::Edge& in : op.inputs)
      if (auto m = moved.find(in.digest); m != moved.end()) in.digest = m->second;
    std::string nd = llb::OpDigest(op);
    if (nd != d) moved[d] = nd;
    if (out.ops.emplace(nd, std::move(op)).second) {
      out.order.push_back(nd);
      out.metadata[nd] = def.metadata.at(d);
    }
  }
  if (out.output)
    if (auto m = moved.find(out.output->digest); m != moved.end()) out.output->digest = m->second;
  return out;
}

std::map<std::string, std::string> LocalDirs(const llb::Definition& def, const std::string& context_dir) {
  std::map<std::string, std::string> dirs{{"context", context_dir}};
  for (const auto& [k, v] : def.attrs)
    if (k.rfind("local:", 0) == 0) dirs[k.substr(6)] = v;
  return dirs;
}

std::map<std::string, std::string> ClaimLocalNames(std::map<std::string, std::string>& all,
                                                   const std::map<std::string, std::string>& dirs, size_t target) {
  std::map<std::string, std::string> renames;
  for (const auto& [name, dir] : dirs) {
    auto it = all.find(name);
    if (it == all.end()) {
      all[name] = dir;
      continue;
    }
    if (it->second == dir) continue;
    std::string fresh = name + "-target" + std::to_string(target);
    for (int n = 2; all.count(fresh) && all[fresh] != dir; n++)
      fresh = name + "-target" + std::to_string(target) + "-" + std::to_string(n);
    all[fresh] = dir;
    renames[name] = fresh;
  }
  return renames;
}

void MergeOps(llb::Definition& into, const llb::Definition& def) {
  for (const std::string& d : def.order) {
    if (!into.ops.emplace(d, def.ops.at(d)).second) continue;
    into.order.push_back(d);
    into.metadata[d] = def.metadata.at(d);
  }
}

}  // namespace kiln::build
