// OpenMP helpers: the core builds and runs serially when OpenMP is absent.
//
// Thread count: nc.set_num_threads(n) stores n process-wide (OpenMP's own
// setting is per calling thread, so fit() from another Python thread would
// not see it) and also sets OpenMP's, which threadpoolctl reads and limits.
// The effective count is the smaller of the two, so threadpool_limits(1)
// still limits nncore.
#pragma once
#include <algorithm>
#include <cstdint>
#include <atomic>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace nncore {

// Element-wise passes (activations, bias, optimizer updates) below this many
// elements run on one thread: an OpenMP fork/join costs ~1-2 us here, about
// what one core needs for 16k simple element updates, and small parallel
// regions slowed the digits network (batch 32) down at 2 threads.
constexpr std::int64_t kParallelElements = 1 << 16;

// The most threads nncore ever asks OpenMP for, whatever is requested
// (nc.set_num_threads, OMP_NUM_THREADS, threadpoolctl): libgomp keeps per-thread
// data on the launching thread's stack, so a team of 10^6 overflows it (SIGSEGV).
// A safety limit, not a core count: teams above it are capped, never refused.
constexpr int kMaxThreads = 1024;

inline std::atomic<int>& requested_threads() {
  static std::atomic<int> n{0};  // 0: not set, follow OpenMP (OMP_NUM_THREADS)
  return n;
}

inline int max_threads() {
#ifdef _OPENMP
  const int omp = omp_get_max_threads();
  const int req = requested_threads().load(std::memory_order_relaxed);
  const int n = req > 0 && req < omp ? req : omp;
  return n < kMaxThreads ? n : kMaxThreads;
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
  if (n > kMaxThreads) n = kMaxThreads;
  omp_set_num_threads(n > 0 ? n : initial_omp_threads());
#endif
  requested_threads().store(n, std::memory_order_relaxed);
}

// The piece trace, for benchmarks/threads.py's scaling model: while on, every
// job of pieces (for_pieces) records its size, and every piece its time and
// thread; and work is cut into pieces as if there were threads even on one
// (the pieces then run in order), so one thread measures what each piece of a
// many-thread run costs. The results are the same either way.
struct PieceTrace {
  std::vector<std::int64_t> job_pieces;  // per job: pieces
  std::vector<std::int32_t> job_team;    // threads it could use
  std::vector<double> job_start_ns, job_end_ns;
  std::vector<std::int32_t> piece_job, piece_slot;  // per piece: its job, the thread that ran it
  std::vector<double> piece_ns;
  bool overflow = false;  // the buffers filled up: later jobs were not recorded
};
void set_piece_trace(bool on);  // on: clears and starts; off: stops
bool piece_tracing();
PieceTrace take_piece_trace();  // stops and hands over what was recorded

namespace detail {
// The threads a job may use now: `team`, or fewer after a stall or while other
// programs keep the cores busy (parallel.cpp).
int team_now(int team);
}  // namespace detail

// Whether there are threads to cut work for (or a trace that wants the pieces).
inline bool threads_or_trace() {
  if (piece_tracing()) return true;
  const int team = max_threads();
  return team > 1 && detail::team_now(team) > 1;
}

// Whether an element-wise pass over n elements should use the thread team.
inline bool worth_threads(std::int64_t n) {
  return n >= kParallelElements && threads_or_trace();
}

namespace detail {
// The pool (parallel.cpp): runs run(ctx, i) for i in [0, n) on the caller and
// up to team - 1 workers, returning when every piece is done.
void run_pieces(std::int64_t n, int team, void (*run)(void*, std::int64_t), void* ctx);
// Whether the calling thread is running a piece (nested calls run serially).
bool in_piece();
// 0 on a calling thread, k on the pool's worker k: per-thread workspace slots.
int piece_slot();
}  // namespace detail

// Index of the calling thread's workspace slot in [0, max_threads()).
inline int piece_slot() { return detail::piece_slot(); }

// Runs f(i) once for every piece i in [0, n) on up to max_threads() threads.
// The caller fixes the pieces from the problem (shapes, caches), never from the
// thread count, so what each piece computes, and every result, is the same for
// 1 or 64 threads; only which thread runs which piece varies. Thread t starts
// on its home share (contiguous, the same from call to call, so on an idle
// machine a piece's data stays in the cache of the core that used it last
// time); when that is done it takes pieces the other threads have not started
// yet. The caller waits only for pieces that were taken: a descheduled or slow
// thread delays only the piece it is running, and every thread of a larger
// team gets work. f must not throw. Nested calls (from inside a piece or an
// OpenMP region) run their pieces in order on the calling thread.
template <class F>
void for_pieces(std::int64_t n, const F& f) {
  const int team = max_threads();
  bool nested = detail::in_piece();
#ifdef _OPENMP
  nested = nested || omp_in_parallel();
#endif
  if ((team > 1 && n > 1 && !nested) || (piece_tracing() && !nested)) {
    detail::run_pieces(n, team, [](void* c, std::int64_t i) { (*static_cast<const F*>(c))(i); },
                       const_cast<F*>(&f));
    return;
  }
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
