#include "solver/progress.h"

namespace kiln::solver {

void LineTail::Append(std::string_view data) {
  for (char c : data) {
    if (c == '\n') {
      lines_.push_back(std::move(partial_));
      partial_.clear();
      while (lines_.size() > max_) lines_.pop_front();
    } else if (c != '\r') {
      partial_.push_back(c);
    }
  }
}

std::vector<std::string> LineTail::Lines() const {
  std::vector<std::string> out(lines_.begin(), lines_.end());
  if (!partial_.empty()) {
    out.push_back(partial_);
    if (out.size() > max_) out.erase(out.begin());
  }
  return out;
}

}  // namespace kiln::solver
