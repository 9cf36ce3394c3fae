// The documented shuffle shared with nncore.shuffle (Python): SplitMix64
// driving Fisher–Yates, so NumPy and C++ visit minibatches in the same order.
#pragma once
#include <cstdint>
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

#include "nncore/layer.hpp"

namespace nncore {

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// mul_high64 by 32-bit halves: the fallback, and what the tests compare the
// fast paths with.
inline std::uint64_t mul_high64_portable(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
  const std::uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
  const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
  const std::uint64_t lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  // Cannot overflow: at most (2^32−1)² + 2·(2^32−1) = 2^64 − 1.
  const std::uint64_t mid = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + lo_hi;
  return hi_hi + (hi_lo >> 32) + (mid >> 32);
}

// The high 64 bits of the 128-bit product a·b (Lemire's unbiased-enough index:
// j = ⌊r·(i+1) / 2^64⌋). GCC/Clang have a 128-bit integer (__extension__ keeps
// -Wpedantic quiet), MSVC an intrinsic; elsewhere four 32×32 → 64 products.
#if defined(__SIZEOF_INT128__)
inline std::uint64_t mul_high64(std::uint64_t a, std::uint64_t b) {
  __extension__ typedef unsigned __int128 U128;
  return std::uint64_t((U128(a) * b) >> 64);
}
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_ARM64))
inline std::uint64_t mul_high64(std::uint64_t a, std::uint64_t b) { return __umulh(a, b); }
#else
inline std::uint64_t mul_high64(std::uint64_t a, std::uint64_t b) {
  return mul_high64_portable(a, b);
}
#endif

// perm ← a permutation of 0..n−1 for (seed, epoch); no allocation.
template <class I>
void permutation(std::uint64_t seed, std::uint64_t epoch, Index n, I* perm) {
  SplitMix64 rng{seed * 0xD1B54A32D192ED03ull + epoch};
  for (Index i = 0; i < n; ++i) perm[i] = I(i);
  for (Index i = n - 1; i >= 1; --i) {
    const Index j = Index(mul_high64(rng.next(), std::uint64_t(i + 1)));
    const I tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
  }
}

}  // namespace nncore
