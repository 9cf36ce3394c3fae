// The documented shuffle shared with nncore.shuffle (Python): SplitMix64
// driving Fisher–Yates, so NumPy and C++ visit minibatches in the same order.
#pragma once
#include <cstdint>

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

// perm ← a permutation of 0..n−1 for (seed, epoch); no allocation.
// 64×64 → 128-bit multiply (GCC/Clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 U128;

template <class I>
void permutation(std::uint64_t seed, std::uint64_t epoch, Index n, I* perm) {
  SplitMix64 rng{seed * 0xD1B54A32D192ED03ull + epoch};
  for (Index i = 0; i < n; ++i) perm[i] = I(i);
  for (Index i = n - 1; i >= 1; --i) {
    const U128 prod = U128(rng.next()) * std::uint64_t(i + 1);
    const Index j = Index(prod >> 64);
    const I tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
  }
}

}  // namespace nncore
