// The machine facts the thread pool reads (machine_load.hpp).
#include "machine_load.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>
#if defined(__unix__)
#include <sched.h>
#endif
#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#endif

namespace nncore {
namespace detail {

// CPUs this process may run on (affinity mask), for the spin budget only.
int usable_cpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
  const unsigned n = std::thread::hardware_concurrency();
  return n ? int(n) : 1;
}

// How long an idle worker spins before it sleeps: NNCORE_SPIN_US, default 100.
long spin_microseconds() {
  const char* env = std::getenv("NNCORE_SPIN_US");
  if (env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end && *end == '\0' && v >= 0) return std::min(v, 1000000L);
  }
  return 100;
}

// Whether to look at the machine's load before each job: NNCORE_BUSY_CHECK=0 turns it off.
bool busy_check_enabled() {
  const char* env = std::getenv("NNCORE_BUSY_CHECK");
  return !(env && env[0] == '0' && env[1] == '\0');
}

// Runnable threads on the whole machine right now (the kernel's count, the
// "running" of the fourth field of /proc/loadavg), or -1 where it cannot be read.
int runnable_threads() {
#if defined(__linux__)
  const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t got = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (got <= 0) return -1;
  buf[got] = '\0';
  const char* p = buf;
  for (int field = 0; field < 3 && p; ++field) {
    p = std::strchr(p, ' ');
    if (p) ++p;
  }
  if (!p) return -1;
  char* end = nullptr;
  const long n = std::strtol(p, &end, 10);
  return end != p && *end == '/' && n >= 0 && n < (1L << 30) ? int(n) : -1;
#else
  return -1;
#endif
}

}  // namespace detail
}  // namespace nncore
