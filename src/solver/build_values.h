// The values the real ops produce: committed snapshots (root filesystems) and
// build contexts (host directories).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "solver/context_checksum.h"
#include "solver/value.h"

namespace kiln::solver {

// A committed snapshot; key "" is the empty filesystem (scratch).
class SnapshotValue : public Value {
 public:
  explicit SnapshotValue(std::string key) : key_(std::move(key)) {}
  const std::string& key() const { return key_; }
  std::string DebugString() const override { return key_.empty() ? "scratch" : "snapshot " + key_; }

 private:
  std::string key_;
};

// A build context (local://NAME): a host directory minus its excluded files.
// Its content checksum follows exactly the files asked for (context_checksum.h).
class LocalValue : public Value {
 public:
  // `scratch`: where a filtered copy is made when the context has exclusions.
  LocalValue(std::string name, std::shared_ptr<ContextChecksummer> sum, std::string scratch)
      : name_(std::move(name)), sum_(std::move(sum)), scratch_(std::move(scratch)) {}
  ~LocalValue() override;

  Result<std::string> ContentChecksum(const std::vector<std::string>& paths) const override {
    return sum_->Checksum(paths);
  }
  std::string DebugString() const override { return "context " + name_ + " (" + sum_->options().dir + ")"; }

  const std::string& name() const { return name_; }
  const std::shared_ptr<ContextChecksummer>& checksummer() const { return sum_; }
  // A directory holding the context as ops see it: the directory itself when
  // nothing is excluded, else (made once, on first use) a copy without the
  // excluded files (hard links where possible).
  Result<std::string> Dir() const;

 private:
  std::string name_;
  std::shared_ptr<ContextChecksummer> sum_;
  std::string scratch_;
  mutable std::mutex mu_;
  mutable std::string filtered_;
};

}  // namespace kiln::solver
