// OpenMP helpers: the core builds and runs serially when OpenMP is absent.
//
// Thread count: nc.set_num_threads(n) stores n process-wide (OpenMP's own
// setting is per calling thread, so fit() from another Python thread would
// not see it) and also sets OpenMP's, which threadpoolctl reads and limits.
// The effective count is the smaller of the two, so threadpool_limits(1)
// still limits nncore.
#pragma once
#include <atomic>
#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace nncore {

// Element-wise passes (activations, bias, optimizer updates) below this many
// elements run on one thread: an OpenMP fork/join costs ~1-2 us here, about
// what one core needs for 16k simple element updates, and small parallel
// regions slowed the digits network (batch 32) down at 2 threads.
constexpr std::int64_t kParallelElements = 1 << 16;

inline std::atomic<int>& requested_threads() {
  static std::atomic<int> n{0};  // 0: not set, follow OpenMP (OMP_NUM_THREADS)
  return n;
}

inline int max_threads() {
#ifdef _OPENMP
  const int omp = omp_get_max_threads();
  const int req = requested_threads().load(std::memory_order_relaxed);
  return req > 0 && req < omp ? req : omp;
#else
  return 1;
#endif
}

#ifdef _OPENMP
// OpenMP's count before nncore changed it (OMP_NUM_THREADS or the core count).
inline int initial_omp_threads() {
  static const int n = omp_get_max_threads();
  return n;
}
#endif

// n ≥ 1: use n threads (process-wide); n = 0: forget the request and give
// OpenMP back its initial count.
inline void set_max_threads(int n) {
#ifdef _OPENMP
  initial_omp_threads();  // remember it before the first change
  omp_set_num_threads(n > 0 ? n : initial_omp_threads());
#endif
  requested_threads().store(n, std::memory_order_relaxed);
}

// Whether an element-wise pass over n elements should use the thread team.
inline bool worth_threads(std::int64_t n) {
  return n >= kParallelElements && max_threads() > 1;
}

}  // namespace nncore

#ifdef _OPENMP
#define NNCORE_PRAGMA(x) _Pragma(#x)
#define NNCORE_PARALLEL_FOR(cond) \
  NNCORE_PRAGMA(omp parallel for schedule(static) num_threads(nncore::max_threads()) if (cond))
#else
#define NNCORE_PARALLEL_FOR(cond)
#endif
