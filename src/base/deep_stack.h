// Threads with a deep stack: Dockerfile expansion recurses per nested
// ${A:-${B:-...}} (bounded at 20,000 levels), as Go's growing stacks let docker
// build such files. The stack is mapped on demand; the process's own stack
// limit stays as it was, so RUN steps inherit the usual one.
#pragma once

#include <pthread.h>

namespace kiln {

// Starts fn(arg) on a thread with a 256 MB stack; false when none could be made.
inline bool StartDeepStackThread(pthread_t* t, void* (*fn)(void*), void* arg) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  bool ok = pthread_attr_setstacksize(&attr, size_t{256} << 20) == 0 && pthread_create(t, &attr, fn, arg) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

}  // namespace kiln
