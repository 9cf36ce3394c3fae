// Per-calling-thread packing arena: grown on demand, never shrunk, so the
// steady state allocates nothing. The counter lets tests prove that.
#include <atomic>
#include <cstdlib>
#if defined(_MSC_VER)
#include <malloc.h>
#endif
#include <new>
#include "family.hpp"

namespace nncore {
namespace {
std::atomic<std::size_t> g_allocations{0};

// 64-byte aligned blocks: std::aligned_alloc is C++17 but MSVC's runtime lacks
// it (its free() cannot release over-aligned blocks), so MSVC uses its own pair.
// size is a multiple of the alignment, as aligned_alloc requires.
void* aligned_block(std::size_t size) {
#if defined(_MSC_VER)
  return _aligned_malloc(size, 64);
#else
  return std::aligned_alloc(64, size);
#endif
}

void free_aligned_block(void* p) {
#if defined(_MSC_VER)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

struct Arena {
  void* ptr = nullptr;
  std::size_t cap = 0;
  ~Arena() { free_aligned_block(ptr); }
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
  void* p = aligned_block(cap);
  if (!p) throw std::bad_alloc();
  free_aligned_block(arena.ptr);
  arena.ptr = p;
  arena.cap = cap;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}
}  // namespace gemm_detail
}  // namespace nncore
