// What the thread pool reads of the machine and the environment: how many CPUs
// this process may use, how long idle threads spin (NNCORE_SPIN_US), whether to
// look at the load (NNCORE_BUSY_CHECK) and how many threads are runnable now.
// Kept apart from the pool (parallel.cpp) because these are OS facts, not
// scheduling: each is a plain function the pool calls.
#pragma once

namespace nncore {
namespace detail {

int usable_cpus();
long spin_microseconds();
bool busy_check_enabled();
int runnable_threads();

}  // namespace detail
}  // namespace nncore
