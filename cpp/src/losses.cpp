// Loss values and δ. Sums run in row order in double, so the value does not
// depend on the thread count.
#include "nncore/losses.hpp"

#include <algorithm>
#include <cmath>

#include "nncore/activations.hpp"
#include "nncore/simd.hpp"

namespace nncore {

namespace {

// Half the Poisson deviance of one element, c·log(c/h) − c + h with h = e^z, written as
// c·log c − c·z − c + h (c·log c = 0 at c = 0), so it stays exact for tiny h.
template <class T>
inline T poisson_term(T c, T z, T h) {
  return (c > T(0) ? c * std::log(c) : T(0)) - c * z - c + h;
}

// The weighted form, row by row: value Σᵢ wᵢ·lossᵢ / (Σw·k) and δᵢ = wᵢ·∂lossᵢ/(Σw·k),
// with k = 2 (MSE, the lecture's ½), width (MSEMean, BCE: means over the row) or 1 (CE,
// Poisson: sums over the row).
template <class T>
double weighted_loss(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                     T* delta) {
  double wsum = 0.0;
  for (Index r = 0; r < rows; ++r) wsum += double(t.w[r]);
  if (!(wsum > 0.0)) {  // nothing to learn from: a zero loss, a zero gradient
    if (delta) std::fill(delta, delta + rows * width, T(0));
    return 0.0;
  }
  const double k = kind == LossKind::MSE                                ? 2.0
                   : kind == LossKind::CE || kind == LossKind::Poisson ? 1.0
                                                                       : double(width);
  double total = 0.0;
  for (Index r = 0; r < rows; ++r) {
    const T* z = in + r * width;
    T* d = delta ? delta + r * width : nullptr;
    // δ factor of this row: wᵢ/(Σw·k) times ∂(k·lossᵢ) (MSE's 2 cancels the ½, hence 1/Σw).
    const T g = T(double(t.w[r]) / (kind == LossKind::MSE ? wsum : wsum * k));
    double row = 0.0;
    switch (kind) {
      case LossKind::MSE:
      case LossKind::MSEMean: {
        const T* c = t.Y + r * width;
        const T two = kind == LossKind::MSEMean ? T(2) : T(1);
        for (Index j = 0; j < width; ++j) {
          const double e = double(z[j]) - double(c[j]);
          row += e * e;
          if (d) d[j] = two * g * (z[j] - c[j]);
        }
        break;
      }
      case LossKind::BCE: {
        const T* c = t.Y + r * width;
        for (Index j = 0; j < width; ++j) {
          row += double(std::max(z[j], T(0)) - c[j] * z[j] +
                        fastmath::log1p_unit(fastmath::exp_neg(-std::fabs(z[j]))));
          if (d) d[j] = g * (sigmoid(z[j]) - c[j]);
        }
        break;
      }
      case LossKind::Poisson: {
        const T* c = t.Y + r * width;
        for (Index j = 0; j < width; ++j) {
          const T h = std::exp(z[j]);
          row += double(poisson_term(c[j], z[j], h));
          if (d) d[j] = g * (h - c[j]);
        }
        break;
      }
      case LossKind::CE: {
        const T mx = *std::max_element(z, z + width);
        T s = 0;
        for (Index j = 0; j < width; ++j) s += fastmath::exp_neg(z[j] - mx);
        const T lse = mx + std::log(s);
        if (t.labels) {
          const Index y = Index(t.labels[r]);
          row = double(lse - z[y]);
          if (d) {
            for (Index j = 0; j < width; ++j) d[j] = g * fastmath::exp_neg(z[j] - lse);
            d[y] -= g;
          }
        } else {
          const T* c = t.Y + r * width;
          T csum = 0, cz = 0;
          for (Index j = 0; j < width; ++j) { csum += c[j]; cz += c[j] * z[j]; }
          row = double(lse * csum - cz);
          if (d)
            for (Index j = 0; j < width; ++j)
              d[j] = g * (fastmath::exp_neg(z[j] - lse) * csum - c[j]);
        }
        break;
      }
    }
    total += double(t.w[r]) * row;
  }
  return total / (wsum * k);
}

// The unweighted losses, one body each, vectorised once per SIMD clone of its own
// entries below (simd.hpp). One entry per loss rather than one for all: a clone
// holding every loss's loop made clang keep every loss's constants live across the
// switch (a 4-row BCE paid for the CE and Poisson set-up: 129 vs 63 ns per call).
// Lecture (MSE): J = 1/(2m) Σ (h − c)²; PyTorch/Keras (MSEMean): mean of (h − c)².
template <bool lecture, class T>
NNCORE_SIMD_INLINE double mse_body(const T* in, Targets<T> t, Index rows, Index width,
                                   T* delta) {
  const Index n = rows * width;
  double total = 0.0;
  const double denom = lecture ? 2.0 * double(rows) : double(n);
  const T g = lecture ? T(1.0 / double(rows)) : T(2.0 / double(n));
  for (Index i = 0; i < n; ++i) {
    const double d = double(in[i]) - double(t.Y[i]);
    total += d * d;
  }
  if (delta)
    for (Index i = 0; i < n; ++i) delta[i] = g * (in[i] - t.Y[i]);
  return total / denom;
}

template <class T>
NNCORE_SIMD_INLINE double bce_body(const T* in, Targets<T> t, Index rows, Index width,
                                   T* delta) {
  const Index n = rows * width;
  double total = 0.0;
  // softplus(z) − c·z = max(z,0) − c·z + log1p(e^{−|z|}): finite for any z.
  const T g = T(1.0 / double(n));
  // Terms are computed in blocks (vectorised), then summed in order. e = e^{−|z|} serves
  // the loss and σ(z) (fastmath::sigmoid's own formula, so δ is what σ gives).
  constexpr Index block = 256;
  T term[block], e[block];
  for (Index i0 = 0; i0 < n; i0 += block) {
    const Index m = std::min(block, n - i0);
    const T* z = in + i0;
    const T* c = t.Y + i0;
    NNCORE_SHORT_LOOP
    for (Index i = 0; i < m; ++i) e[i] = fastmath::exp_neg(-std::fabs(z[i]));
    NNCORE_SHORT_LOOP
    for (Index i = 0; i < m; ++i)
      term[i] = std::max(z[i], T(0)) - c[i] * z[i] + fastmath::log1p_unit(e[i]);
    for (Index i = 0; i < m; ++i) total += double(term[i]);
    if (delta) {
      NNCORE_SHORT_LOOP
      for (Index i = 0; i < m; ++i) {
        const T s = T(1) / (T(1) + e[i]);
        delta[i0 + i] = g * ((z[i] >= T(0) ? s : e[i] * s) - c[i]);
      }
    }
  }
  return total / double(n);
}

template <class T>
NNCORE_SIMD_INLINE double poisson_body(const T* in, Targets<T> t, Index rows, Index width,
                                       T* delta) {
  const Index n = rows * width;
  double total = 0.0;
  // Σ over the row, mean over the rows (scikit-learn's MLPRegressor(loss="poisson")).
  const T g = T(1.0 / double(rows));
  for (Index i = 0; i < n; ++i) {
    const T h = std::exp(in[i]);
    total += double(poisson_term(t.Y[i], in[i], h));
    if (delta) delta[i] = g * (h - t.Y[i]);
  }
  return total / double(rows);
}

template <class T>
NNCORE_SIMD_INLINE double ce_body(const T* in, Targets<T> t, Index rows, Index width,
                                  T* delta) {
  double total = 0.0;
  // loss_i = logsumexp(z_i)·Σc − Σ c·z;  δ = (softmax(z)·Σc − c)/m.
  const T g = T(1.0 / double(rows));
  for (Index r = 0; r < rows; ++r) {
    const T* z = in + r * width;
    const T mx = *std::max_element(z, z + width);
    T s = 0;
    for (Index j = 0; j < width; ++j) s += fastmath::exp_neg(z[j] - mx);
    const T lse = mx + std::log(s);
    T* d = delta ? delta + r * width : nullptr;
    if (t.labels) {
      const Index y = Index(t.labels[r]);
      total += double(lse - z[y]);
      if (d) {
        NNCORE_SHORT_LOOP
        for (Index j = 0; j < width; ++j) d[j] = g * fastmath::exp_neg(z[j] - lse);
        d[y] -= g;
      }
    } else {
      const T* c = t.Y + r * width;
      T csum = 0, cz = 0;
      for (Index j = 0; j < width; ++j) { csum += c[j]; cz += c[j] * z[j]; }
      total += double(lse * csum - cz);
      if (d) {
        NNCORE_SHORT_LOOP
        for (Index j = 0; j < width; ++j) d[j] = g * (fastmath::exp_neg(z[j] - lse) * csum - c[j]);
      }
    }
  }
  return total / double(rows);
}

#define NNCORE_LOSS_ENTRIES(entry, body)                                                 \
  NNCORE_SIMD_ENTRY double entry(const float* in, Targets<float> t, Index rows, Index width, \
                                 float* delta) {                                           \
    return body(in, t, rows, width, delta);                                                \
  }                                                                                        \
  NNCORE_SIMD_ENTRY double entry(const double* in, Targets<double> t, Index rows,          \
                                 Index width, double* delta) {                             \
    return body(in, t, rows, width, delta);                                                \
  }
NNCORE_LOSS_ENTRIES(mse_entry, mse_body<true>)
NNCORE_LOSS_ENTRIES(mse_mean_entry, mse_body<false>)
NNCORE_LOSS_ENTRIES(bce_entry, bce_body)
NNCORE_LOSS_ENTRIES(poisson_entry, poisson_body)
NNCORE_LOSS_ENTRIES(ce_entry, ce_body)
#undef NNCORE_LOSS_ENTRIES

template <class T>
double unweighted_loss(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                       T* delta) {
  switch (kind) {
    case LossKind::MSE: return mse_entry(in, t, rows, width, delta);
    case LossKind::MSEMean: return mse_mean_entry(in, t, rows, width, delta);
    case LossKind::BCE: return bce_entry(in, t, rows, width, delta);
    case LossKind::Poisson: return poisson_entry(in, t, rows, width, delta);
    case LossKind::CE: return ce_entry(in, t, rows, width, delta);
  }
  return 0.0;
}

}  // namespace

template <class T>
double loss_forward_backward(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                             T* delta) {
  if (t.w) return weighted_loss(kind, in, t, rows, width, delta);
  return unweighted_loss(kind, in, t, rows, width, delta);
}

template double loss_forward_backward<float>(LossKind, const float*, Targets<float>, Index,
                                             Index, float*);
template double loss_forward_backward<double>(LossKind, const double*, Targets<double>, Index,
                                              Index, double*);

}  // namespace nncore
