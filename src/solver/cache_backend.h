// Where solved results are remembered across ops and builds, by cache key.
// A saved entry is whole: every output of the op, written only after the op
// succeeded. The real backend (the store's cache records over snapshots) is
// wired by the CLI; MemoryCache serves the tests.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "solver/value.h"

namespace kiln::solver {

class CacheBackend {
 public:
  virtual ~CacheBackend() = default;
  // The outputs saved under `key`, or nullopt when there are none (or they are
  // no longer usable, e.g. a snapshot was pruned).
  virtual Result<std::optional<std::vector<ValuePtr>>> Load(const std::string& key) = 0;
  // Records the outputs of a successful op. Replaces an existing entry.
  virtual Status Save(const std::string& key, const std::vector<ValuePtr>& outputs) = 0;
};

// A process-local cache (tests; --no-cache builds still dedupe in one run).
class MemoryCache : public CacheBackend {
 public:
  Result<std::optional<std::vector<ValuePtr>>> Load(const std::string& key) override;
  Status Save(const std::string& key, const std::vector<ValuePtr>& outputs) override;
  size_t size() const;
  int loads() const { std::lock_guard l(mu_); return loads_; }
  int saves() const { std::lock_guard l(mu_); return saves_; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<ValuePtr>> entries_;
  int loads_ = 0, saves_ = 0;
};

}  // namespace kiln::solver
