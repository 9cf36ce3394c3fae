// The loops of the tiny path on one block of L rows. A block holds every
// feature as one vector of L lanes (feature-major: value j of row l at
// [j·L + l]), so each loop below runs along the lanes and vectorises for any
// layer width, including 1. Products are fused multiply-adds: the same
// rounding wherever the CPU has FMA (the file is compiled with contraction).
#pragma once
#include <algorithm>
#include <cmath>

#include "nncore/activations.hpp"
#include "nncore/fastmath.hpp"
#include "nncore/losses.hpp"
#include "nncore/simd.hpp"
#include "lanes.hpp"

namespace nncore::tiny::blocks {

// z = a·W + b for one block (W: in × out, row-major as in the arena). Four
// outputs at a time keep four independent accumulators in registers.
template <class T, class V = typename Lanes<T>::V>
NNCORE_SIMD_INLINE void dense_forward(const T* __restrict W, const T* __restrict b,
                                      const V* __restrict a, V* __restrict z, Index in,
                                      Index out) {
  Index o = 0;
  for (; o + 4 <= out; o += 4) {
    V c0 = {}, c1 = {}, c2 = {}, c3 = {};
    for (Index i = 0; i < in; ++i) {
      const T* w = W + i * out + o;
      const V ai = a[i];
      c0 += w[0] * ai;
      c1 += w[1] * ai;
      c2 += w[2] * ai;
      c3 += w[3] * ai;
    }
    z[o] = c0 + b[o];
    z[o + 1] = c1 + b[o + 1];
    z[o + 2] = c2 + b[o + 2];
    z[o + 3] = c3 + b[o + 3];
  }
  for (; o < out; ++o) {
    V c = {};
    for (Index i = 0; i < in; ++i) c += W[i * out + o] * a[i];
    z[o] = c + b[o];
  }
}

// The tangent of z = a·W + b along (ȧ, Ẇ, ḃ): ż = ȧ·W + a·Ẇ + ḃ (forward mode),
// four outputs at a time as dense_forward. (ȧ = 0, the data: dense_forward on Ẇ, ḃ.)
template <class T, class V = typename Lanes<T>::V>
NNCORE_SIMD_INLINE void dense_tangent(const T* __restrict W, const T* __restrict Wdot,
                                      const T* __restrict bdot, const V* __restrict a,
                                      const V* __restrict adot, V* __restrict zdot, Index in,
                                      Index out) {
  Index o = 0;
  for (; o + 4 <= out; o += 4) {
    V c0 = {}, c1 = {}, c2 = {}, c3 = {};
    for (Index i = 0; i < in; ++i) {
      const T* w = W + i * out + o;
      const T* wd = Wdot + i * out + o;
      const V ai = a[i], di = adot[i];
      c0 += w[0] * di + wd[0] * ai;
      c1 += w[1] * di + wd[1] * ai;
      c2 += w[2] * di + wd[2] * ai;
      c3 += w[3] * di + wd[3] * ai;
    }
    zdot[o] = c0 + bdot[o];
    zdot[o + 1] = c1 + bdot[o + 1];
    zdot[o + 2] = c2 + bdot[o + 2];
    zdot[o + 3] = c3 + bdot[o + 3];
  }
  for (; o < out; ++o) {
    V c = {};
    for (Index i = 0; i < in; ++i) c += W[i * out + o] * adot[i] + Wdot[i * out + o] * a[i];
    zdot[o] = c + bdot[o];
  }
}

// δa = δz·Wᵀ for one block: four inputs at a time.
template <class T, class V = typename Lanes<T>::V>
NNCORE_SIMD_INLINE void dense_delta(const T* __restrict W, const V* __restrict dz,
                                    V* __restrict da, Index in, Index out) {
  Index i = 0;
  for (; i + 4 <= in; i += 4) {
    V c0 = {}, c1 = {}, c2 = {}, c3 = {};
    const T* w = W + i * out;
    for (Index o = 0; o < out; ++o) {
      const V d = dz[o];
      c0 += w[o] * d;
      c1 += w[out + o] * d;
      c2 += w[2 * out + o] * d;
      c3 += w[3 * out + o] * d;
    }
    da[i] = c0;
    da[i + 1] = c1;
    da[i + 2] = c2;
    da[i + 3] = c3;
  }
  for (; i < in; ++i) {
    V c = {};
    for (Index o = 0; o < out; ++o) c += W[i * out + o] * dz[o];
    da[i] = c;
  }
}

// Per-lane partial sums: ∂W[i, o] += a_i·δz_o and ∂b[o] += δz_o, lane by lane.
template <class T, class V = typename Lanes<T>::V>
NNCORE_SIMD_INLINE void dense_grads(const V* __restrict a, const V* __restrict dz,
                                    V* __restrict gW, V* __restrict gb, Index in, Index out) {
  for (Index i = 0; i < in; ++i) {
    const V ai = a[i];
    V* g = gW + i * out;
    for (Index o = 0; o < out; ++o) g[o] += ai * dz[o];
  }
  for (Index o = 0; o < out; ++o) gb[o] += dz[o];
}

// h = σ(a) over n values: the formulas of activations.cpp.
template <class T>
NNCORE_SIMD_INLINE void act_forward(LayerKind kind, T hyper, const T* __restrict a,
                                    T* __restrict h, Index n) {
  switch (kind) {
    case LayerKind::Identity:
      for (Index k = 0; k < n; ++k) h[k] = a[k];
      break;
    case LayerKind::Sigmoid:
      for (Index k = 0; k < n; ++k) h[k] = fastmath::sigmoid(a[k]);
      break;
    case LayerKind::Tanh:
      for (Index k = 0; k < n; ++k) h[k] = fastmath::tanh(a[k]);
      break;
    case LayerKind::ReLU:
      for (Index k = 0; k < n; ++k) h[k] = a[k] > T(0) ? a[k] : T(0);
      break;
    case LayerKind::LeakyReLU:
      for (Index k = 0; k < n; ++k) h[k] = a[k] > T(0) ? a[k] : hyper * a[k];
      break;
    case LayerKind::ELU:
      for (Index k = 0; k < n; ++k) {
        const T neg = hyper * fastmath::expm1_neg(std::min(a[k], T(0)));
        h[k] = a[k] > T(0) ? a[k] : neg;
      }
      break;
    default:
      break;
  }
}

// δ ← σ'(a)·δ in place.
template <class T>
NNCORE_SIMD_INLINE void act_backward(LayerKind kind, T hyper, const T* __restrict a,
                                     const T* __restrict h, T* __restrict d, Index n) {
  switch (kind) {
    case LayerKind::Sigmoid:
      for (Index k = 0; k < n; ++k) d[k] = d[k] * h[k] * (T(1) - h[k]);
      break;
    case LayerKind::Tanh:
      for (Index k = 0; k < n; ++k) d[k] = d[k] * (T(1) - h[k] * h[k]);
      break;
    case LayerKind::ReLU:
      for (Index k = 0; k < n; ++k) d[k] = a[k] > T(0) ? d[k] : T(0);
      break;
    case LayerKind::LeakyReLU:
      for (Index k = 0; k < n; ++k) d[k] = a[k] > T(0) ? d[k] : hyper * d[k];
      break;
    case LayerKind::ELU:
      for (Index k = 0; k < n; ++k) d[k] = a[k] > T(0) ? d[k] : d[k] * (h[k] + hyper);
      break;
    default:  // Identity
      break;
  }
}

// Row-wise softmax, each lane a row.
template <class T, Index L>
NNCORE_SIMD_INLINE void softmax_forward(const T* __restrict a, T* __restrict h, Index width) {
  T mx[L], s[L] = {};
  for (Index l = 0; l < L; ++l) mx[l] = a[l];
  for (Index j = 1; j < width; ++j)
    for (Index l = 0; l < L; ++l) mx[l] = std::max(mx[l], a[j * L + l]);
  for (Index j = 0; j < width; ++j)
    for (Index l = 0; l < L; ++l) s[l] += (h[j * L + l] = fastmath::exp_neg(a[j * L + l] - mx[l]));
  for (Index l = 0; l < L; ++l) s[l] = T(1) / s[l];
  for (Index j = 0; j < width; ++j)
    for (Index l = 0; l < L; ++l) h[j * L + l] *= s[l];
}

// δ ← h ⊙ (δ − ⟨δ, h⟩) per lane.
template <class T, Index L>
NNCORE_SIMD_INLINE void softmax_backward(const T* __restrict h, T* __restrict d, Index width) {
  T dot[L] = {};
  for (Index j = 0; j < width; ++j)
    for (Index l = 0; l < L; ++l) dot[l] += d[j * L + l] * h[j * L + l];
  for (Index j = 0; j < width; ++j)
    for (Index l = 0; l < L; ++l) d[j * L + l] = h[j * L + l] * (d[j * L + l] - dot[l]);
}

// δ of the loss for one block (lanes past nv get 0), as losses.cpp computes
// it: z is the loss input (logits for BCE and CE), width values per lane; c
// the targets in lanes, or null for labels y; g the δ factor of each lane's
// row (1/m, 2/(m·w), …, or with sample weights wᵢ/Σw·…). The loss value is
// not needed here: it is summed over the batch's rows afterwards, by
// losses.cpp itself.
template <class T, Index L>
NNCORE_SIMD_INLINE void loss_delta(LossKind kind, const T* __restrict z, const T* __restrict c,
                                   const std::int64_t* y, Index nv, Index width,
                                   const T* __restrict g, T* __restrict d) {
  // (feature by feature, the lanes innermost: a loop of L that vectorises)
  switch (kind) {
    case LossKind::MSE:
    case LossKind::MSEMean:
      for (Index j = 0; j < width; ++j)
        for (Index l = 0; l < L; ++l)
          d[j * L + l] = l < nv ? g[l] * (z[j * L + l] - c[j * L + l]) : T(0);
      return;
    case LossKind::BCE:
      for (Index j = 0; j < width; ++j)
        for (Index l = 0; l < L; ++l)
          d[j * L + l] = l < nv ? g[l] * (fastmath::sigmoid(z[j * L + l]) - c[j * L + l]) : T(0);
      return;
    case LossKind::CE: {
      // softmax(z)·Σc − c, scaled by g
      T p[L], csum[L];
      softmax_forward<T, L>(z, d, width);
      for (Index l = 0; l < L; ++l) csum[l] = T(1);
      if (c) {
        for (Index l = 0; l < L; ++l) csum[l] = T(0);
        for (Index j = 0; j < width; ++j)
          for (Index l = 0; l < L; ++l) csum[l] += c[j * L + l];
      }
      for (Index l = 0; l < L; ++l) p[l] = l < nv ? g[l] : T(0);
      for (Index j = 0; j < width; ++j)
        for (Index l = 0; l < L; ++l)
          d[j * L + l] = p[l] * (d[j * L + l] * csum[l] - (c ? c[j * L + l] : T(0)));
      if (!c)
        for (Index l = 0; l < nv; ++l) d[Index(y[l]) * L + l] -= g[l];
      return;
    }
    default:  // not taken (Path::takes)
      return;
  }
}

}  // namespace nncore::tiny::blocks
