// all_finite (finite.hpp): a vectorised scan in fixed chunks.
#include "nncore/finite.hpp"

#include <atomic>
#include <limits>

#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"

namespace nncore {
namespace {

// |x| <= max is false for ±inf and NaN; no early exit, so the loop vectorises.
template <class T>
NNCORE_SIMD_INLINE bool finite_range(const T* __restrict x, Index n) {
  const T big = std::numeric_limits<T>::max();
  int bad = 0;
  for (Index i = 0; i < n; ++i) bad |= !(x[i] <= big && x[i] >= -big);
  return !bad;
}

NNCORE_SIMD_ENTRY bool finite_entry(const float* x, Index n) { return finite_range(x, n); }
NNCORE_SIMD_ENTRY bool finite_entry(const double* x, Index n) { return finite_range(x, n); }

}  // namespace

template <class T>
bool all_finite(const T* x, Index n) {
  constexpr Index chunk = 1 << 16;  // ~10 µs of reading per piece
  std::atomic<bool> bad{false};
  for_chunks(n, chunk, [&](Index i0, Index i1) {
    if (!finite_entry(x + i0, i1 - i0)) bad.store(true, std::memory_order_relaxed);
  });
  return !bad.load();
}

template bool all_finite<float>(const float*, Index);
template bool all_finite<double>(const double*, Index);

}  // namespace nncore
