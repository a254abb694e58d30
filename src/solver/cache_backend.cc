#include "solver/cache_backend.h"

namespace kiln::solver {

Result<std::optional<std::vector<ValuePtr>>> MemoryCache::Load(const std::string& key) {
  std::lock_guard l(mu_);
  loads_++;
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::optional<std::vector<ValuePtr>>();
  return std::optional<std::vector<ValuePtr>>(it->second);
}

Status MemoryCache::Save(const std::string& key, const std::vector<ValuePtr>& outputs) {
  std::lock_guard l(mu_);
  saves_++;
  entries_[key] = outputs;
  return Status::OK();
}

size_t MemoryCache::size() const {
  std::lock_guard l(mu_);
  return entries_.size();
}

}  // namespace kiln::solver
