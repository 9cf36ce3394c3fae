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
// ln, cos and sin are evaluated here, branch-free so that a tile of pairs
// vectorises, with fdlibm's polynomials (error < 1 ulp, as libm's): a libm call
// per element cost as much as the forward pass of a small network. Like libm
// and NumPy, they may differ from other implementations in the last bit.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "nncore/layer.hpp"
#include "nncore/simd.hpp"

namespace nncore {

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::uint64_t tangent_key(std::uint64_t seed, std::uint64_t step, std::uint64_t j) {
  return mix64(mix64(seed * 0xD1B54A32D192ED03ull + step) + j);
}

namespace tangent_math {

inline double as_double(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}
inline std::uint64_t as_bits(double d) {
  std::uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// ln x for a positive normal x (fdlibm's e_log.c without its special cases):
// x = 2ᵏ(1 + f) with √2/2 ≤ 1 + f < √2, s = f/(2 + f), ln(1 + f) = 2s + s·R(s²).
NNCORE_SIMD_INLINE double log_positive(double x) {
  std::uint64_t ix = as_bits(x) + (0x3ff0000000000000ull - 0x3fe6a09e00000000ull);
  const double k = double(std::int64_t(ix >> 52) - 0x3ff);
  ix = (ix & 0x000fffffffffffffull) + 0x3fe6a09e00000000ull;
  const double f = as_double(ix) - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * (3.999999999940941908e-01 +
                         w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  const double t2 = z * (6.666666666666735130e-01 +
                         w * (2.857142874366239149e-01 +
                              w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  const double R = t2 + t1;
  // ln2 in two parts: k·ln2_hi is exact
  return k * 6.93147180369123816490e-01 -
         ((hfsq - (s * (hfsq + R) + k * 1.90821492927058770002e-10)) - f);
}

// cos and sin of a ∈ [0, 2π] (fdlibm's kernels on a − q·π/2, |a − q·π/2| ≤ π/4).
NNCORE_SIMD_INLINE void sincos_0_2pi(double a, double& c, double& s) {
  const double shift = 6755399441055744.0;  // 1.5·2⁵²: adding it rounds to an integer
  const double t = a * 6.36619772367581382433e-01 + shift;
  const std::uint64_t quadrant = as_bits(t) & 3;
  const double q = t - shift;
  const double y = (a - q * 1.57079632673412561417e+00) - q * 6.07710050650619224932e-11;
  const double z = y * y, w = z * z;
  const double rs = 8.33333333332248946124e-03 +
                    z * (-1.98412698298579493134e-04 + z * 2.75573137070700676789e-06) +
                    z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
  const double sin_y = y + z * y * (-1.66666666666666324348e-01 + z * rs);
  const double rc = z * (4.16666666666666019037e-02 +
                         z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) +
                    w * w * (-2.75573143513906633035e-07 +
                             z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
  const double hz = 0.5 * z, one_hz = 1.0 - hz;
  const double cos_y = one_hz + (((1.0 - one_hz) - hz) + z * rc);
  // quadrant 0: (c, s); 1: (−s, c); 2: (−c, −s); 3: (s, −c). Bit masks, not
  // branches: the loop that calls this stays one vectorisable block.
  const std::uint64_t odd = 0 - (quadrant & 1);
  const std::uint64_t cb = as_bits(cos_y), sb = as_bits(sin_y);
  const std::uint64_t c0 = (sb & odd) | (cb & ~odd), s0 = (cb & odd) | (sb & ~odd);
  c = as_double(c0 ^ (((quadrant + 1) & 2) << 62));
  s = as_double(s0 ^ ((quadrant & 2) << 62));
}

}  // namespace tangent_math

// Pairs [p0, p1) of the tangent with `key` into v[0..n), in tiles of kTile pairs
// that the compiler vectorises (every pair through the same code, whichever
// tile or thread holds it). NNCORE_SIMD_INLINE: compiled into each ISA clone
// of draw_tangent's entries.
constexpr Index kTangentTile = 16;
template <class T>
NNCORE_SIMD_INLINE void tangent_pairs(std::uint64_t key, Index p0, Index p1, T* v, Index n) {
  const double two_pi = 6.283185307179586476925286766559;
  const double ulp = 1.0 / 9007199254740992.0;  // 2⁻⁵³
  for (Index q0 = p0; q0 < p1; q0 += kTangentTile) {
    // one simple loop per stage: each vectorises on its own
    double u1[kTangentTile], a[kTangentTile], rho[kTangentTile], c[kTangentTile], s[kTangentTile];
    for (Index l = 0; l < kTangentTile; ++l) {
      const std::uint64_t ctr = 2 * std::uint64_t(q0 + l);
      const std::uint64_t r1 = mix64(key + (ctr + 1) * 0x9E3779B97F4A7C15ull);
      const std::uint64_t r2 = mix64(key + (ctr + 2) * 0x9E3779B97F4A7C15ull);
      u1[l] = double(std::int64_t((r1 >> 11) + 1)) * ulp;
      a[l] = two_pi * (double(std::int64_t(r2 >> 11)) * ulp);
    }
    for (Index l = 0; l < kTangentTile; ++l)
      rho[l] = std::sqrt(-2.0 * tangent_math::log_positive(u1[l]));
    for (Index l = 0; l < kTangentTile; ++l) tangent_math::sincos_0_2pi(a[l], c[l], s[l]);
    const Index m = p1 - q0 < kTangentTile ? p1 - q0 : kTangentTile;
    for (Index l = 0; l < m; ++l) {
      const Index i = 2 * (q0 + l);
      v[i] = T(rho[l] * c[l]);
      if (i + 1 < n) v[i + 1] = T(rho[l] * s[l]);
    }
  }
}

// v[0..n) ← tangent j of `step`. Pairs are independent: threads take fixed
// chunks. Defined (one clone per ISA) in src/train/forward_gradient.cpp, its user.
template <class T>
void draw_tangent(std::uint64_t seed, std::uint64_t step, std::uint64_t j, T* v, Index n);

}  // namespace nncore
