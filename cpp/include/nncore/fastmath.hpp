// Branch-free exp/expm1 for non-positive arguments, written so the compiler
// vectorises the loops that call them (libm's scalar tanh/exp dominated the
// step time of small networks). Accuracy: a few ulp in float and double.
//   x = k·ln2 + r, |r| ≤ ln2/2;  expm1(r) by its Taylor polynomial;
//   exp(x) = 2^k·(1 + expm1(r)),  expm1(x) = 2^k·expm1(r) + (2^k − 1).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace nncore {
namespace fastmath {

template <class T> struct Traits;
template <> struct Traits<double> {
  using U = std::uint64_t;
  static constexpr double lo = -708.0;  // keeps 2^k a normal number
  static constexpr double magic = 6755399441055744.0;  // 1.5·2^52: rounds to an integer
  static constexpr int shift = 52, bias = 1023;
};
template <> struct Traits<float> {
  using U = std::uint32_t;
  static constexpr float lo = -87.0f;
  static constexpr float magic = 12582912.0f;  // 1.5·2^23
  static constexpr int shift = 23, bias = 127;
};

template <class T>
inline T bits_to(typename Traits<T>::U u) { T t; std::memcpy(&t, &u, sizeof t); return t; }
template <class T>
inline typename Traits<T>::U to_bits(T t) { typename Traits<T>::U u; std::memcpy(&u, &t, sizeof t); return u; }

// expm1(r) for |r| ≤ ln2/2 (Horner; degree 13 for double, 8 for float).
inline double expm1_poly(double r) {
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return r + r * r * p;
}
inline float expm1_poly(float r) {
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  return r + r * r * p;
}

// Splits x ≤ 0 into 2^k and r; s = 2^k built from the bits of the rounded k.
template <class T>
inline void reduce(T x, T& s, T& r) {
  using Tr = Traits<T>;
  const T log2e = T(1.4426950408889634074), ln2_hi = T(0.693145751953125),
          ln2_lo = T(1.42860682030941723212e-06);
  x = std::max(x, T(Tr::lo));
  const T t = x * log2e + Tr::magic;
  const T k = t - Tr::magic;
  r = (x - k * ln2_hi) - k * ln2_lo;
  // The low mantissa bits of t hold k: (k + bias) << shift is 2^k.
  s = bits_to<T>((to_bits(t) + typename Tr::U(Tr::bias)) << Tr::shift);
}

// e^x for x ≤ 0.
template <class T>
inline T exp_neg(T x) {
  T s, r;
  reduce(x, s, r);
  return s + s * expm1_poly(r);
}

// e^x − 1 for x ≤ 0, accurate near 0.
template <class T>
inline T expm1_neg(T x) {
  T s, r;
  reduce(x, s, r);
  return s * expm1_poly(r) + (s - T(1));
}

// tanh(a) = −u/(u + 2) with u = expm1(−2|a|), sign restored.
template <class T>
inline T tanh(T a) {
  const T u = expm1_neg(T(-2) * std::fabs(a));
  return std::copysign(-u / (u + T(2)), a);
}

// σ(a) = 1/(1 + e^{−a}) from e = e^{−|a|}: no overflow, full relative accuracy.
template <class T>
inline T sigmoid(T a) {
  const T e = exp_neg(-std::fabs(a));
  const T s = T(1) / (T(1) + e);
  return a >= T(0) ? s : e * s;
}

// log(1 + x) for 0 ≤ x ≤ 1 (softplus in BCE): 2·atanh(s) with s = x/(2 + x) ≤ 1/3,
// by its odd series Σ s^(2j+1)/(2j+1) (18 terms for double, 8 for float).
template <class T>
inline T log1p_unit(T x) {
  const T s = x / (T(2) + x), s2 = s * s;
  constexpr int terms = sizeof(T) == 8 ? 18 : 8;
  T p = T(1) / T(2 * terms + 1);
#pragma GCC unroll 20
  for (int j = terms - 1; j >= 0; --j) p = p * s2 + T(1) / T(2 * j + 1);
  return T(2) * s * p;
}

}  // namespace fastmath
}  // namespace nncore
