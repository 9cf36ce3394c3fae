// The shared tangent generator of forward-gradient and weight-perturbation
// training (nncore.tangents in Python computes the same numbers): a tangent
// v ~ N(0, I) over the whole parameter arena, drawn counter-based, so element
// i depends only on (seed, step, tangent j, i) — not on the thread that draws
// it, nor on the elements drawn before it.
//
//   mix(z)  = the SplitMix64 finaliser: z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
//             z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31   (mod 2⁶⁴)
//   key     = mix(mix(seed · 0xD1B54A32D192ED03 + step) + j)
//   r_c     = mix(key + c · 0x9E3779B97F4A7C15)   (c = 1, 2, …: SplitMix64's c-th output)
//   pair p (elements 2p, 2p+1), Box–Muller:
//     u₁ = ((r_{2p+1} >> 11) + 1) · 2⁻⁵³ ∈ (0, 1],   u₂ = (r_{2p+2} >> 11) · 2⁻⁵³ ∈ [0, 1)
//     ρ = √(−2 ln u₁),   v_{2p} = ρ cos(2π u₂),   v_{2p+1} = ρ sin(2π u₂)
// computed in double, then rounded to T. step is the optimizer's step count
// before the step, so every step of a run (and of a continued run) gets fresh tangents.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "nncore/layer.hpp"
#include "nncore/parallel.hpp"

namespace nncore {

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::uint64_t tangent_key(std::uint64_t seed, std::uint64_t step, std::uint64_t j) {
  return mix64(mix64(seed * 0xD1B54A32D192ED03ull + step) + j);
}

// v[0..n) ← tangent j of `step`. Pairs are independent: threads take fixed chunks.
template <class T>
void draw_tangent(std::uint64_t seed, std::uint64_t step, std::uint64_t j, T* v, Index n) {
  const std::uint64_t key = tangent_key(seed, step, j);
  const double two_pi = 6.283185307179586476925286766559;
  const double ulp = 1.0 / 9007199254740992.0;  // 2⁻⁵³
  const Index pairs = (n + 1) / 2;
  // Chunks of whole pairs; a transcendental per element makes threads pay off early.
  const Index chunk = 2048;
  auto body = [&](Index p0, Index p1) {
    for (Index p = p0; p < p1; ++p) {
      const std::uint64_t c = 2 * std::uint64_t(p);
      const std::uint64_t r1 = mix64(key + (c + 1) * 0x9E3779B97F4A7C15ull);
      const std::uint64_t r2 = mix64(key + (c + 2) * 0x9E3779B97F4A7C15ull);
      const double u1 = double((r1 >> 11) + 1) * ulp;
      const double u2 = double(r2 >> 11) * ulp;
      const double rho = std::sqrt(-2.0 * std::log(u1));
      const double angle = two_pi * u2;
      v[2 * p] = T(rho * std::cos(angle));
      if (2 * p + 1 < n) v[2 * p + 1] = T(rho * std::sin(angle));
    }
  };
  if (pairs < 4 * chunk || !threads_or_trace()) return body(0, pairs);
  for_pieces((pairs + chunk - 1) / chunk,
             [&](Index c) { body(c * chunk, std::min(pairs, (c + 1) * chunk)); });
}

}  // namespace nncore
