#include "solver/cancel.h"

namespace kiln::solver {

void CancelToken::Cancel() {
  std::vector<std::pair<int, std::function<void()>>> cbs;
  {
    std::lock_guard l(mu_);
    if (cancelled_.exchange(true)) return;
    cbs.swap(callbacks_);
  }
  for (auto& [id, fn] : cbs) fn();
}

int CancelToken::OnCancel(std::function<void()> fn) {
  {
    std::lock_guard l(mu_);
    if (!cancelled_.load()) {
      callbacks_.emplace_back(next_id_, std::move(fn));
      return next_id_++;
    }
  }
  fn();
  return -1;
}

void CancelToken::Unregister(int id) {
  std::lock_guard l(mu_);
  std::erase_if(callbacks_, [id](const auto& p) { return p.first == id; });
}

}  // namespace kiln::solver
