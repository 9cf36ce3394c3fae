// The thread pool behind for_pieces (parallel.hpp).
//
// Why not an OpenMP parallel region: its end is a barrier that waits for every
// thread of the team to have run, so on a busy machine each region waits for a
// thread the OS has descheduled, and libgomp's waiting threads spin for up to
// ~300k iterations, burning the time slice the late thread needs (beside busy
// processes a 2-thread fit ran at a fifth of its 1-thread speed, infer-b1 took
// milliseconds). Here the caller waits only for pieces that were *taken*: a
// worker that has not woken up yet finds nothing left, so a late thread costs
// at most the piece it is running. Waiting threads (idle workers, and the
// caller waiting for the last pieces) spin for NNCORE_SPIN_US microseconds
// (default 100: a training step's products follow each other within
// microseconds), then sleep; a sleeping caller frees its core, which then
// pulls the thread holding the last piece off a busy core's run queue.
// Threads only: the thread count still comes from OpenMP's setting
// (max_threads), so OMP_NUM_THREADS and threadpoolctl keep working.
#include "nncore/parallel.hpp"

#include "machine_load.hpp"

#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__unix__)
#include <pthread.h>
#include <sched.h>
#endif

namespace nncore {
namespace detail {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

using Clock = std::chrono::steady_clock;

// The piece trace (parallel.hpp): preallocated, filled without locks (each
// piece writes its own entry), read when tracing is off.
struct Trace {
  std::atomic<bool> on{false};
  Clock::time_point t0;
  PieceTrace data;
  std::size_t jobs = 0, pieces = 0;  // entries used (caller-side bookkeeping)
};
Trace& trace() {
  static Trace* t = new Trace;
  return *t;
}
constexpr std::size_t kTraceJobs = 1 << 16, kTracePieces = 1 << 20;  // ~20 MB, kept once used

double since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

thread_local int t_slot = 0;           // 0: a calling thread; k ≥ 1: worker k
thread_local bool t_in_piece = false;  // running a piece (nested calls run serially)

// One thread's share of a job: the next piece and the end, each tagged with
// the job's number in the high 32 bits. A thread takes piece i by a
// compare-exchange that also checks the tag, so a worker that wakes up late,
// after its job is over, can take nothing (every piece of a finished job has
// been taken; a new job has a new tag) and nobody has to wait for it.
struct alignas(64) Share {
  std::atomic<std::uint64_t> next{0}, end{0};
};

inline std::uint64_t tagged(std::uint64_t job, std::int64_t v) {
  return job << 32 | std::uint64_t(std::uint32_t(v));
}

// Runs piece i; with tracing, records its time and thread in entry first + i.
void run_piece(void (*fn)(void*, std::int64_t), void* ctx, std::int64_t i, std::int64_t first) {
  if (first < 0) return fn(ctx, i);
  Trace& tr = trace();
  const double t = since(tr.t0);
  fn(ctx, i);
  tr.data.piece_ns[std::size_t(first + i)] = since(tr.t0) - t;
  tr.data.piece_slot[std::size_t(first + i)] = t_slot;
}

class Pool {
 public:
  // Runs the job; returns false if the pool is busy with another caller's job
  // or the job is too large for the 32-bit piece numbers.
  bool run(std::int64_t n, int team, void (*fn)(void*, std::int64_t), void* ctx,
           std::int64_t first_traced) {
    if (n >= (std::int64_t(1) << 31)) return false;
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    const auto start = Clock::now();
    team = std::min(team, team_now(team, start));  // a recent stall or a busy machine
    if (team <= 1) return false;
    team = std::min(team, 1 + grow(team - 1));
    Share* shares = shares_for(team);
    const std::uint64_t job = seq_.load(std::memory_order_relaxed) + 1;
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    team_.store(team, std::memory_order_release);
    done_.store(0, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    trace_first_.store(first_traced, std::memory_order_relaxed);
    for (int t = 0; t < team; ++t) {
      shares[t].next.store(tagged(job, n * t / team), std::memory_order_relaxed);
      shares[t].end.store(tagged(job, n * (t + 1) / team), std::memory_order_relaxed);
    }
    seq_.store(job, std::memory_order_seq_cst);  // publishes everything above
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lk(sleep_); }
      wake_.notify_all();
    }
    const std::int64_t mine = take(job, 0);
    const auto own_done = Clock::now();
    // Pieces other threads took: spin while they are likely running, then
    // sleep. Sleeping matters on a busy machine: the idle core then pulls the
    // thread that holds the last piece off a busy core's run queue at once
    // (yielding or spinning would keep the core and wait for the next balance).
    const auto until = Clock::now() + std::chrono::microseconds(spin_us_);
    for (int i = 0; done_.load(std::memory_order_acquire) < n; ++i) {
      if (spin_us_ > 0 && ((i & 63) != 63 || Clock::now() < until)) {
        cpu_relax();
        continue;
      }
      std::unique_lock<std::mutex> lk(done_mutex_);
      caller_sleeps_.store(true, std::memory_order_seq_cst);
      done_cv_.wait(lk, [&] { return done_.load(std::memory_order_seq_cst) >= n; });
      caller_sleeps_.store(false, std::memory_order_relaxed);
    }
    note_wait(start, own_done, mine, n);
    return true;
  }

  static Pool*& instance() {
    static Pool* pool = new Pool;  // never destroyed: workers may outlive static destructors
    return pool;
  }

 private:
  // A stall: the job took longer than the caller alone would have needed at
  // the pace of its own pieces (n pieces at (own time)/(own pieces) each),
  // because a piece was held by a thread the OS had descheduled or starved
  // (a busy machine). Then the workers cost more than they give: the caller
  // runs the next jobs alone for a while (10 ms, doubling while stalls recur,
  // up to 1 s, shrinking again over clean jobs), then tries the team again.
  // The pieces are the same either way: only the speed changes, no result.
  void note_wait(Clock::time_point start, Clock::time_point own_done, std::int64_t mine,
                 std::int64_t n) {
    if (mine <= 0 || !busy_check_) return;  // NNCORE_BUSY_CHECK=0: team_now ignores stalls
    const auto end = Clock::now();
    if ((end - start) * mine > (own_done - start) * n + std::chrono::microseconds(20) * mine) {
      solo_until_ns_.store(ns_of(end + solo_for_), std::memory_order_relaxed);
      solo_for_ = std::min<Clock::duration>(2 * solo_for_, std::chrono::seconds(1));
    } else {  // a clean job: shorten the next solo spell slowly (~64 clean jobs halve it)
      solo_for_ = std::max<Clock::duration>(std::chrono::milliseconds(10), solo_for_ - solo_for_ / 64);
    }
  }

  // A busy machine: threads of other programs (or of this one, outside the
  // pool) want the cores. A team that fits the cores (team <= CPUs) is cut to
  // the cores nobody else wants, so none of its threads waits in a run queue
  // behind a busy process while the others wait for its piece: beside one busy
  // process on 2 cores the caller runs alone, at its 1-thread speed, instead
  // of far below it. Read from the kernel's count of runnable threads every
  // 10 ms; the smaller of the last two readings counts, so a kernel thread
  // passing by does not cost an idle machine its team. A team larger than the
  // CPUs was asked for on purpose and is left alone by this reading, but not by
  // the stall rule: after a stall (note_wait) the team is 1 until solo_until.
  // Threads sharing cores stall often, and one thread is then the faster (a
  // 784-512-512-10 fit at T = 4 on 2 cores: 1.7-1.8 fits/s with the rule, 0.9-1.5
  // without, 1.9-2.0 at T = 1). NNCORE_BUSY_CHECK=0 turns off both, the
  // whole team always (benchmarks/threads.py's check of the split). Lock-free: the
  // products ask before they cut their work (threads_or_trace), so a caller
  // that will run alone runs them whole.
 public:
  int team_now(int team, Clock::time_point now) {
    if (team <= 1 || !busy_check_) return team;  // NNCORE_BUSY_CHECK=0: the whole team, always
    const std::int64_t t = ns_of(now);
    if (t < solo_until_ns_.load(std::memory_order_relaxed)) return 1;
    if (team > cpus_) return team;
    std::int64_t last = busy_checked_ns_.load(std::memory_order_relaxed);
    if (t - last >= 10000000 &&
        busy_checked_ns_.compare_exchange_strong(last, t, std::memory_order_relaxed)) {
      const int running = runnable_threads();
      // Ours among them: this thread and the workers not asleep (spinning or preempted).
      const int ours = 1 + std::max(0, workers_spawned() - sleepers_.load(std::memory_order_relaxed));
      const int others = running < 0 ? 0 : std::max(0, running - ours);
      others_min_.store(std::min(others, others_last_.exchange(others, std::memory_order_relaxed)),
                        std::memory_order_relaxed);
    }
    return std::max(1, std::min(team, cpus_ - others_min_.load(std::memory_order_relaxed)));
  }

 private:
  static std::int64_t ns_of(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }

  // Takes pieces of `job` (home share first, then the others') until none is
  // left; returns how many this thread ran.
  std::int64_t take(std::uint64_t job, int me) {
    std::int64_t ran = 0;
    const int team = team_.load(std::memory_order_acquire);  // then the shares it was set with
    Share* shares = shares_.load(std::memory_order_acquire);
    const bool nested = t_in_piece;
    t_in_piece = true;
    for (int k = 0; k < team; ++k) {
      Share& sh = shares[(me + k) % team];
      std::uint64_t v = sh.next.load(std::memory_order_acquire);
      for (;;) {
        const std::uint64_t e = sh.end.load(std::memory_order_acquire);
        if (v >> 32 != job || e >> 32 != job || std::uint32_t(v) >= std::uint32_t(e)) break;
        if (!sh.next.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
        // Piece v of a live job (it cannot end before this piece is counted).
        run_piece(fn_.load(std::memory_order_relaxed), ctx_.load(std::memory_order_relaxed),
                  std::int64_t(std::uint32_t(v)), trace_first_.load(std::memory_order_relaxed));
        if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == n_.load(std::memory_order_relaxed) &&
            caller_sleeps_.load(std::memory_order_seq_cst)) {
          { std::lock_guard<std::mutex> lk(done_mutex_); }
          done_cv_.notify_one();
        }
        v = sh.next.load(std::memory_order_acquire);
        ++ran;
      }
    }
    t_in_piece = nested;
    return ran;
  }

  // Starts workers up to `want`; returns how many exist (fewer if the system refuses).
  int grow(int want) {
    while (workers_ < want) {
      try {
        std::thread(&Pool::work, this, workers_ + 1).detach();
      } catch (...) {
        break;
      }
      ++workers_;
      spawned_.store(workers_, std::memory_order_relaxed);
    }
    return std::min(want, workers_);
  }

  // Share slots for `team` threads. Outgrown arrays are kept (a late worker
  // may still read one; their stale tags make it take nothing).
  Share* shares_for(int team) {
    if (team > capacity_) {
      shares_.store(new Share[std::size_t(team)], std::memory_order_release);
      capacity_ = team;
    }
    return shares_.load(std::memory_order_relaxed);
  }

  void work(int slot) {
    t_slot = slot;
    std::uint64_t seen = seq_.load(std::memory_order_acquire);
    for (;;) {
      seen = wait_for_job(seen);
      if (slot < team_.load(std::memory_order_relaxed)) take(seen, slot);
    }
  }

  // Spin for a short while (the jobs of one training step follow each other
  // within microseconds), then sleep. With more threads than CPUs, spinning
  // only takes time from the threads that have work: sleep at once.
  std::uint64_t wait_for_job(std::uint64_t seen) {
    const bool spin = spin_us_ > 0 && 1 + workers_spawned() <= cpus_;
    const auto until = Clock::now() + std::chrono::microseconds(spin_us_);
    for (int i = 0;; ++i) {
      const std::uint64_t s = seq_.load(std::memory_order_acquire);
      if (s != seen) return s;
      if (!spin || ((i & 63) == 63 && Clock::now() > until)) break;
      cpu_relax();
    }
    std::unique_lock<std::mutex> lk(sleep_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    std::uint64_t s;
    wake_.wait(lk, [&] { return (s = seq_.load(std::memory_order_seq_cst)) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    return s;
  }

  int workers_spawned() const { return spawned_.load(std::memory_order_relaxed); }

  std::mutex busy_;  // one job at a time; another caller runs its pieces itself
  std::atomic<std::int64_t> solo_until_ns_{0};  // see note_wait
  std::atomic<std::int64_t> busy_checked_ns_{0};  // see team_now
  std::atomic<int> others_last_{0}, others_min_{0};
  Clock::duration solo_for_ = std::chrono::milliseconds(10);
  int workers_ = 0, capacity_ = 0;  // guarded by busy_
  std::atomic<int> spawned_{0};
  std::atomic<Share*> shares_{nullptr};
  std::atomic<void (*)(void*, std::int64_t)> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int> team_{1};
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<std::int64_t> done_{0}, n_{0};  // pieces finished, pieces of the job
  std::atomic<bool> caller_sleeps_{false};
  std::atomic<std::int64_t> trace_first_{-1};  // trace entry of piece 0, or -1
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  std::atomic<int> sleepers_{0};
  std::mutex sleep_;
  std::condition_variable wake_;
  const int cpus_ = usable_cpus();
  const long spin_us_ = spin_microseconds();
  const bool busy_check_ = busy_check_enabled();
};

#if defined(__unix__)
[[maybe_unused]] const int g_atfork = pthread_atfork(
    nullptr, nullptr, [] { Pool::instance() = new Pool; });  // the old one's mutexes may be held
#endif

}  // namespace

int piece_slot() { return t_slot; }
int team_now(int team) { return Pool::instance()->team_now(team, Clock::now()); }
bool in_piece() { return t_in_piece; }

void run_pieces(std::int64_t n, int team, void (*run)(void*, std::int64_t), void* ctx) {
  Trace& tr = trace();
  std::int64_t first = -1;
  std::size_t job = 0;
  if (tr.on.load(std::memory_order_relaxed) && tr.jobs < kTraceJobs &&
      tr.pieces + std::size_t(n) <= kTracePieces) {
    first = std::int64_t(tr.pieces), job = tr.jobs++;
    tr.pieces += std::size_t(n);
    tr.data.job_pieces[job] = n;
    tr.data.job_team[job] = team;
    tr.data.job_start_ns[job] = since(tr.t0);
    for (std::int64_t i = 0; i < n; ++i) tr.data.piece_job[std::size_t(first + i)] = std::int32_t(job);
  } else if (tr.on.load(std::memory_order_relaxed)) {
    tr.data.overflow = true;
  }
  // Serially: one thread, the pool busy with another caller, or a recent stall.
  if (team <= 1 || !Pool::instance()->run(n, team, run, ctx, first))
    for (std::int64_t i = 0; i < n; ++i) run_piece(run, ctx, i, first);
  if (first >= 0) tr.data.job_end_ns[job] = since(tr.t0);
}

}  // namespace detail

void set_piece_trace(bool on) {
  detail::Trace& tr = detail::trace();
  if (on) {
    // Sized once and kept: clearing 20 MB before every traced run would evict
    // the caches and charge the run's first serial stretch for it.
    tr.data.job_pieces.resize(detail::kTraceJobs);
    tr.data.job_team.resize(detail::kTraceJobs);
    tr.data.job_start_ns.resize(detail::kTraceJobs);
    tr.data.job_end_ns.resize(detail::kTraceJobs);
    tr.data.piece_job.resize(detail::kTracePieces);
    tr.data.piece_slot.resize(detail::kTracePieces);
    tr.data.piece_ns.resize(detail::kTracePieces);
    tr.data.overflow = false;
    tr.jobs = tr.pieces = 0;
    tr.t0 = detail::Clock::now();
  }
  tr.on.store(on, std::memory_order_seq_cst);
}

bool piece_tracing() { return detail::trace().on.load(std::memory_order_relaxed); }

PieceTrace take_piece_trace() {
  detail::Trace& tr = detail::trace();
  tr.on.store(false, std::memory_order_seq_cst);
  const PieceTrace& d = tr.data;
  auto head = [](const auto& v, std::size_t n) { return std::decay_t<decltype(v)>(v.begin(), v.begin() + std::ptrdiff_t(n)); };
  PieceTrace out;
  out.job_pieces = head(d.job_pieces, tr.jobs), out.job_team = head(d.job_team, tr.jobs);
  out.job_start_ns = head(d.job_start_ns, tr.jobs), out.job_end_ns = head(d.job_end_ns, tr.jobs);
  out.piece_job = head(d.piece_job, tr.pieces), out.piece_slot = head(d.piece_slot, tr.pieces);
  out.piece_ns = head(d.piece_ns, tr.pieces);
  out.overflow = d.overflow;
  tr.jobs = tr.pieces = 0;
  return out;
}

}  // namespace nncore
