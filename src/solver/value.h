// What an op produces: an opaque, shared, immutable handle (a snapshot, a
// directory view, or a number in the scheduler tests). The scheduler passes
// values from ops to their dependents and to the cache; only op
// implementations and cache backends look inside.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::solver {

class Value {
 public:
  virtual ~Value() = default;
  // A checksum of the content at `paths` (every path when empty), used when a
  // dependent's cache key must follow content rather than the producing op
  // (build contexts). Paths are absolute inside the value and may hold
  // wildcards. Values that cannot be checksummed return Unimplemented.
  virtual Result<std::string> ContentChecksum(const std::vector<std::string>& paths) const {
    return Status::Unimplemented("this result has no content checksum");
  }
  // For progress and errors ("snapshot sha256:ab..", "42").
  virtual std::string DebugString() const = 0;
};

using ValuePtr = std::shared_ptr<const Value>;

}  // namespace kiln::solver
