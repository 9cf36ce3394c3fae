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
#include <algorithm>
#include <memory>
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

namespace detail {
// Where thread t takes its next piece: [next, end) of its home share.
struct alignas(64) PieceCursor {
  std::atomic<std::int64_t> next{0};
  std::int64_t end = 0;
};
// n cursors owned by the calling thread, grown (never shrunk) outside any
// parallel region, so steady-state calls allocate nothing.
inline PieceCursor* piece_cursors(int n) {
  thread_local std::unique_ptr<PieceCursor[]> cursors;
  thread_local int capacity = 0;
  if (n > capacity) {
    cursors.reset(new PieceCursor[std::size_t(n)]);
    capacity = n;
  }
  return cursors.get();
}
}  // namespace detail

// Runs f(i) once for every piece i in [0, n) on up to max_threads() threads.
// The caller fixes the pieces from the problem (shapes, caches), never from the
// thread count, so what each piece computes, and every result, is the same for
// 1 or 64 threads; only which thread runs which piece varies. Thread t starts
// on its home share (contiguous, the same from call to call, so on an idle
// machine a piece's data stays in the cache of the core that used it last
// time); when that is done it takes pieces the other threads have not started
// yet. A descheduled or slow thread therefore delays only the piece it is
// running, and every thread of a larger team gets work. f must not throw.
// Inside a parallel region (nested use) the pieces run in order on this thread.
template <class F>
void for_pieces(std::int64_t n, const F& f) {
#ifdef _OPENMP
  // The whole team even for fewer pieces: libgomp ends the threads a smaller
  // team leaves out and starts new ones for the next larger team.
  const std::int64_t nt = max_threads();
  if (nt > 1 && n > 1 && !omp_in_parallel()) {
    detail::PieceCursor* cur = detail::piece_cursors(int(nt));
    for (std::int64_t t = 0; t < nt; ++t) {
      cur[t].next.store(n * t / nt, std::memory_order_relaxed);
      cur[t].end = n * (t + 1) / nt;
    }
#pragma omp parallel num_threads(int(nt))
    {
      // The team may be smaller than asked (thread limits): the loop visits
      // every share, so pieces of absent threads are taken by the others.
      const std::int64_t me = omp_get_thread_num();
      for (std::int64_t k = 0; k < nt; ++k) {
        detail::PieceCursor& c = cur[(me + k) % nt];
        for (std::int64_t i; (i = c.next.fetch_add(1, std::memory_order_relaxed)) < c.end;) f(i);
      }
    }
    return;
  }
#endif
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

// The pieces of a pass over n elements: fixed chunks of `chunk`, one piece (no
// threads) below kParallelElements. f(begin, end).
template <class F>
void for_chunks(std::int64_t n, std::int64_t chunk, const F& f) {
  if (n < kParallelElements) return f(std::int64_t(0), n);
  for_pieces((n + chunk - 1) / chunk,
             [&](std::int64_t c) { f(c * chunk, std::min(n, (c + 1) * chunk)); });
}

}  // namespace nncore

#ifdef _OPENMP
#define NNCORE_PRAGMA(x) _Pragma(#x)
// Loops over fixed pieces (rows, chunks): handed out dynamically, see for_pieces.
#define NNCORE_PARALLEL_FOR(cond) \
  NNCORE_PRAGMA(omp parallel for schedule(dynamic) num_threads(nncore::max_threads()) if (cond))
#else
#define NNCORE_PARALLEL_FOR(cond)
#endif
