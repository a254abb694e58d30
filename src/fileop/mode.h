// COPY --chmod: octal ("755", "0644", "4755") or symbolic like chmod(1)
// ("u+x,g-w", "a=rX", "go-rwx", "+x"). Symbolic clauses without a "who" apply to all.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace kiln::fileop {

class ModeSpec {
 public:
  // "" parses to a spec that changes nothing.
  static Result<ModeSpec> Parse(const std::string& s);
  bool empty() const { return !octal_ && clauses_.empty(); }
  // The new st_mode permission bits (07777) for a file with `mode`.
  mode_t Apply(mode_t mode, bool is_dir) const;

 private:
  struct Clause {
    mode_t who = 0;     // mask of u/g/o bits (07777 sense: 04700 | 02070 | 01007 style)
    char op = '+';      // + - =
    std::string perms;  // rwxXst, or one of u/g/o to copy
  };
  std::optional<mode_t> octal_;
  std::vector<Clause> clauses_;
};

}  // namespace kiln::fileop
