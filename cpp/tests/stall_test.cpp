// The pool's stall rule and its switch (parallel.cpp, team_now): after a job that
// waited for a piece held by a slow thread, the next jobs run on the caller alone
// for a while; with NNCORE_BUSY_CHECK=0 the whole team stays. Run twice by ctest,
// once per setting (`stall_test solo` / `stall_test team`): the pool reads the
// variable once, when it starts.
//
// The team is one larger than the machine's CPUs: team_now leaves the load reading
// out for such a team (asked for on purpose), so a busy machine (CI runs the other
// C++ tests beside this one) cannot keep the caller alone before any stall, and
// only the stall rule decides what is checked here.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "nncore/parallel.hpp"

using namespace nncore;

int main(int argc, char** argv) {
  const bool want_team = argc > 1 && std::strcmp(argv[1], "team") == 0;
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::min(cpus + 1, kMaxThreads);
  set_max_threads(threads);
  if (max_threads() < 2) {
    std::printf("stall_test: a serial build (no OpenMP), no team to check: SKIP\n");
    return 77;
  }
  // Pieces run by the caller take 1 ms, a piece run by a worker 30 ms: a stall as
  // soon as a worker takes one. A worker the OS did not schedule in time takes
  // none; then try again, for up to 10 s on a machine slow to schedule.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int round = 0; std::chrono::steady_clock::now() < give_up; ++round) {
    std::atomic<int> by_worker{0};
    for_pieces(8, [&](std::int64_t) {
      const bool worker = piece_slot() != 0;
      if (worker) by_worker.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(worker ? 30 : 1));
    });
    if (by_worker.load() == 0) continue;
    const int team = detail::team_now(threads);
    const bool ok = want_team ? team == threads : team == 1;
    std::printf("stall_test %s: %d threads, after a stall (round %d) the team is %d: %s\n",
                want_team ? "team" : "solo", threads, round, team, ok ? "ok" : "FAIL");
    return ok ? 0 : 1;
  }
  // Not a verdict on the rule: the precondition (a worker took a piece) never held.
  std::printf("stall_test: no worker took a piece in 10 s, the stall never happened: SKIP\n");
  return 77;
}
