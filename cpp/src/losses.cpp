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

// The unweighted body, vectorised once per SIMD clone of the entries below (simd.hpp).
template <class T>
NNCORE_SIMD_INLINE double loss_body(LossKind kind, const T* in, Targets<T> t, Index rows,
                                    Index width, T* delta) {
  const Index n = rows * width;
  double total = 0.0;
  switch (kind) {
    case LossKind::MSE:
    case LossKind::MSEMean: {
      // Lecture: J = 1/(2m) Σ (h − c)²; PyTorch/Keras: mean of (h − c)².
      const bool lecture = kind == LossKind::MSE;
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
    case LossKind::BCE: {
      // softplus(z) − c·z = max(z,0) − c·z + log1p(e^{−|z|}): finite for any z.
      const T g = T(1.0 / double(n));
      // Terms are computed in blocks (vectorised), then summed in order.
      constexpr Index block = 256;
      T term[block];
      for (Index i0 = 0; i0 < n; i0 += block) {
        const Index m = std::min(block, n - i0);
        const T* z = in + i0;
        const T* c = t.Y + i0;
        NNCORE_SHORT_LOOP
        for (Index i = 0; i < m; ++i)
          term[i] = std::max(z[i], T(0)) - c[i] * z[i] +
                    fastmath::log1p_unit(fastmath::exp_neg(-std::fabs(z[i])));
        for (Index i = 0; i < m; ++i) total += double(term[i]);
        if (delta) {
          NNCORE_SHORT_LOOP
          for (Index i = 0; i < m; ++i) delta[i0 + i] = g * (sigmoid(z[i]) - c[i]);
        }
      }
      return total / double(n);
    }
    case LossKind::Poisson: {
      // Σ over the row, mean over the rows (scikit-learn's MLPRegressor(loss="poisson")).
      const T g = T(1.0 / double(rows));
      for (Index i = 0; i < n; ++i) {
        const T h = std::exp(in[i]);
        total += double(poisson_term(t.Y[i], in[i], h));
        if (delta) delta[i] = g * (h - t.Y[i]);
      }
      return total / double(rows);
    }
    case LossKind::CE: {
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
  }
  return total;
}

NNCORE_SIMD_ENTRY double loss_entry(LossKind kind, const float* in, Targets<float> t, Index rows,
                                    Index width, float* delta) {
  return loss_body(kind, in, t, rows, width, delta);
}

NNCORE_SIMD_ENTRY double loss_entry(LossKind kind, const double* in, Targets<double> t,
                                    Index rows, Index width, double* delta) {
  return loss_body(kind, in, t, rows, width, delta);
}

}  // namespace

template <class T>
double loss_forward_backward(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                             T* delta) {
  if (t.w) return weighted_loss(kind, in, t, rows, width, delta);
  return loss_entry(kind, in, t, rows, width, delta);
}

template double loss_forward_backward<float>(LossKind, const float*, Targets<float>, Index,
                                             Index, float*);
template double loss_forward_backward<double>(LossKind, const double*, Targets<double>, Index,
                                              Index, double*);

}  // namespace nncore
