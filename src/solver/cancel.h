// A cancellation flag shared by the scheduler and the work it runs. Cheap to
// poll; once cancelled it stays cancelled. Callbacks let blocking work (a
// running process) be interrupted instead of polled.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace kiln::solver {

class CancelToken {
 public:
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Sets the flag and runs every registered callback once.
  void Cancel();
  // Runs `fn` on Cancel(), or right away when already cancelled. Returns an id for Unregister.
  int OnCancel(std::function<void()> fn);
  void Unregister(int id);
  // The flag itself, for interfaces that poll an atomic<bool>.
  const std::atomic<bool>* flag() const { return &cancelled_; }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  int next_id_ = 0;
  std::vector<std::pair<int, std::function<void()>>> callbacks_;
};

}  // namespace kiln::solver
