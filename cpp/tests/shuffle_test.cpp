// mul_high64 (the shuffle's 128-bit multiply) agrees with its portable
// 32-bit-halves fallback on edge cases and on a stream of SplitMix64 values,
// and the permutation is one (each index exactly once).
#include <cstdint>
#include <cstdio>
#include <vector>

#include "nncore/shuffle.hpp"

int main() {
  using nncore::mul_high64;
  using nncore::mul_high64_portable;
  int failures = 0;
  auto check = [&](std::uint64_t a, std::uint64_t b) {
    if (mul_high64(a, b) != mul_high64_portable(a, b)) {
      std::printf("mul_high64(%llx, %llx) differs\n", (unsigned long long)a, (unsigned long long)b);
      ++failures;
    }
  };
  const std::uint64_t edges[] = {0, 1, 2, 0xFFFFFFFFull, 0x100000000ull, 0xFFFFFFFFFFFFFFFFull,
                                 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull};
  for (std::uint64_t a : edges)
    for (std::uint64_t b : edges) check(a, b);
  if (mul_high64_portable(~0ull, ~0ull) != ~0ull - 1) {
    std::printf("(2^64-1)^2 >> 64 should be 2^64-2\n");
    ++failures;
  }
  nncore::SplitMix64 rng{12345};
  for (int i = 0; i < 100000; ++i) check(rng.next(), rng.next());

  std::vector<std::int64_t> perm(1000);
  nncore::permutation(7, 3, nncore::Index(perm.size()), perm.data());
  std::vector<int> seen(perm.size(), 0);
  for (std::int64_t p : perm) seen[std::size_t(p)]++;
  for (int s : seen)
    if (s != 1) { std::printf("not a permutation\n"); ++failures; break; }
  std::printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
