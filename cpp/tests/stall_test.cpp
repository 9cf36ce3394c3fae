// The pool's stall rule and its switch (parallel.cpp, team_now): after a job that
// waited for a piece held by a slow thread, the next jobs run on the caller alone
// for a while; with NNCORE_BUSY_CHECK=0 the whole team stays. Run twice by ctest,
// once per setting (`stall_test solo` / `stall_test team`): the pool reads the
// variable once, when it starts.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "nncore/parallel.hpp"

using namespace nncore;

int main(int argc, char** argv) {
  const bool want_team = argc > 1 && std::strcmp(argv[1], "team") == 0;
  set_max_threads(2);
  // Pieces run by the caller take 1 ms, a piece run by the worker 30 ms: a stall as
  // soon as the worker takes one. A worker the OS never scheduled in time takes
  // none; then try again (a few rounds on any machine).
  for (int round = 0; round < 50; ++round) {
    std::atomic<int> by_worker{0};
    for_pieces(8, [&](std::int64_t) {
      const bool worker = piece_slot() != 0;
      if (worker) by_worker.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(worker ? 30 : 1));
    });
    if (by_worker.load() == 0) continue;
    const int team = detail::team_now(2);
    const bool ok = want_team ? team == 2 : team == 1;
    std::printf("stall_test %s: after a stall (round %d) the team is %d: %s\n",
                want_team ? "team" : "solo", round, team, ok ? "ok" : "FAIL");
    return ok ? 0 : 1;
  }
  std::printf("stall_test: the worker never took a piece in 50 rounds: FAIL\n");
  return 1;
}
