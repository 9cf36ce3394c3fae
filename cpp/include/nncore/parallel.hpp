// OpenMP helpers: the core builds and runs serially when OpenMP is absent.
#pragma once
#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace nncore {

// Below this much work (≈ flops) a parallel region costs more than it saves.
constexpr std::int64_t kParallelThreshold = 1 << 15;

inline bool worth_threads(std::int64_t work) {
#ifdef _OPENMP
  return work >= kParallelThreshold && omp_get_max_threads() > 1;
#else
  (void)work;
  return false;
#endif
}

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline void set_max_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

}  // namespace nncore

#ifdef _OPENMP
#define NNCORE_PRAGMA(x) _Pragma(#x)
#define NNCORE_PARALLEL_FOR(cond) NNCORE_PRAGMA(omp parallel for schedule(static) if (cond))
#else
#define NNCORE_PARALLEL_FOR(cond)
#endif
