// Per-calling-thread packing arena: grown on demand, never shrunk, so the
// steady state allocates nothing. The counter lets tests prove that.
#include <atomic>
#include <cstdlib>
#include <new>
#include "family.hpp"

namespace nncore {
namespace {
std::atomic<std::size_t> g_allocations{0};

struct Arena {
  void* ptr = nullptr;
  std::size_t cap = 0;
  ~Arena() { std::free(ptr); }
};
}  // namespace

std::size_t gemm_workspace_allocations() { return g_allocations.load(std::memory_order_relaxed); }

namespace gemm_detail {
void* workspace(std::size_t bytes) {
  thread_local Arena arena;
  if (bytes <= arena.cap) return arena.ptr;
  // Grow with headroom (and whole 64 KiB) so a slowly rising size settles fast.
  std::size_t cap = bytes + bytes / 4;
  cap = (cap + 65535) / 65536 * 65536;
  void* p = std::aligned_alloc(64, cap);
  if (!p) throw std::bad_alloc();
  std::free(arena.ptr);
  arena.ptr = p;
  arena.cap = cap;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}
}  // namespace gemm_detail
}  // namespace nncore
