// Loss values and δ. Sums run in double, in row order within fixed pieces of
// rows (cut from the batch's shape alone) whose sums are added in piece order,
// so the value does not depend on the thread count.
#include "nncore/losses.hpp"

#include <algorithm>
#include <cmath>

#include "nncore/activations.hpp"
#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"

namespace nncore {

namespace {

// Half the Poisson deviance of one element, c·log(c/h) − c + h with h = e^z, written as
// c·log c − c·z − c + h (c·log c = 0 at c = 0), so it stays exact for tiny h.
template <class T>
inline T poisson_term(T c, T z, T h) {
  return (c > T(0) ? c * std::log(c) : T(0)) - c * z - c + h;
}

// The mean over rows divides by rows·k (weighted: Σw·k), with k = 2 (MSE, the
// lecture's ½), width (MSEMean, BCE: means over the row) or 1 (CE, Poisson: sums over
// the row).
double row_divisor(LossKind kind, Index width) {
  return kind == LossKind::MSE                                ? 2.0
         : kind == LossKind::CE || kind == LossKind::Poisson ? 1.0
                                                             : double(width);
}

// The weighted form, row by row: value Σᵢ wᵢ·lossᵢ / (Σw·k) and δᵢ = wᵢ·∂lossᵢ/(Σw·k).
template <class T>
double weighted_loss(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                     T* delta) {
  double wsum = 0.0;
  for (Index r = 0; r < rows; ++r) wsum += double(t.w[r]);
  if (!(wsum > 0.0)) {  // nothing to learn from: a zero loss, a zero gradient
    if (delta) std::fill(delta, delta + rows * width, T(0));
    return 0.0;
  }
  const double k = row_divisor(kind, width);
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
                                   T* delta, Index all_rows) {
  const Index n = rows * width;
  double total = 0.0;
  const T g = lecture ? T(1.0 / double(all_rows)) : T(2.0 / double(all_rows * width));
  for (Index i = 0; i < n; ++i) {
    const double d = double(in[i]) - double(t.Y[i]);
    total += d * d;
  }
  if (delta)
    for (Index i = 0; i < n; ++i) delta[i] = g * (in[i] - t.Y[i]);
  return total;
}

template <class T>
NNCORE_SIMD_INLINE double bce_body(const T* in, Targets<T> t, Index rows, Index width,
                                   T* delta, Index all_rows) {
  const Index n = rows * width;
  double total = 0.0;
  // softplus(z) − c·z = max(z,0) − c·z + log1p(e^{−|z|}): finite for any z.
  const T g = T(1.0 / double(all_rows * width));
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
  return total;
}

template <class T>
NNCORE_SIMD_INLINE double poisson_body(const T* in, Targets<T> t, Index rows, Index width,
                                       T* delta, Index all_rows) {
  const Index n = rows * width;
  double total = 0.0;
  // Σ over the row, mean over the rows (scikit-learn's MLPRegressor(loss="poisson")).
  const T g = T(1.0 / double(all_rows));
  for (Index i = 0; i < n; ++i) {
    const T h = std::exp(in[i]);
    total += double(poisson_term(t.Y[i], in[i], h));
    if (delta) delta[i] = g * (h - t.Y[i]);
  }
  return total;
}

template <class T>
NNCORE_SIMD_INLINE double ce_body(const T* in, Targets<T> t, Index rows, Index width,
                                  T* delta, Index all_rows) {
  double total = 0.0;
  // loss_i = logsumexp(z_i)·Σc − Σ c·z;  δ = (softmax(z)·Σc − c)/m.
  const T g = T(1.0 / double(all_rows));
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
  return total;
}

// Each entry returns the sum of its rows' terms; δ is scaled for a batch of all_rows.
#define NNCORE_LOSS_ENTRIES(entry, body)                                                 \
  NNCORE_SIMD_ENTRY double entry(const float* in, Targets<float> t, Index rows, Index width, \
                                 float* delta, Index all_rows) {                           \
    return body(in, t, rows, width, delta, all_rows);                                      \
  }                                                                                        \
  NNCORE_SIMD_ENTRY double entry(const double* in, Targets<double> t, Index rows,          \
                                 Index width, double* delta, Index all_rows) {             \
    return body(in, t, rows, width, delta, all_rows);                                      \
  }
NNCORE_LOSS_ENTRIES(mse_entry, mse_body<true>)
NNCORE_LOSS_ENTRIES(mse_mean_entry, mse_body<false>)
NNCORE_LOSS_ENTRIES(bce_entry, bce_body)
NNCORE_LOSS_ENTRIES(poisson_entry, poisson_body)
NNCORE_LOSS_ENTRIES(ce_entry, ce_body)
#undef NNCORE_LOSS_ENTRIES

template <class T>
double loss_sum(LossKind kind, const T* in, Targets<T> t, Index rows, Index width, T* delta,
                Index all_rows) {
  switch (kind) {
    case LossKind::MSE: return mse_entry(in, t, rows, width, delta, all_rows);
    case LossKind::MSEMean: return mse_mean_entry(in, t, rows, width, delta, all_rows);
    case LossKind::BCE: return bce_entry(in, t, rows, width, delta, all_rows);
    case LossKind::Poisson: return poisson_entry(in, t, rows, width, delta, all_rows);
    case LossKind::CE: return ce_entry(in, t, rows, width, delta, all_rows);
  }
  return 0.0;
}

// Pieces of a loss, shared by the threads: at least kLossPieceElems elements
// each (an exp per element, ~2-5 ns: a piece of ~1-3 µs), at most kLossPieces
// of them, from the shape alone; on one thread the same pieces run in order, so
// the sum is the same. Losses below two pieces run whole. A training batch of
// 128 rows x 10 classes is 4 pieces: its softmax cross-entropy was 13 µs of
// serial time per step, the longest between a step's jobs (threads.py).
constexpr Index kLossPieceElems = 256, kLossPieces = 64;

template <class T>
double unweighted_loss(LossKind kind, const T* in, Targets<T> t, Index rows, Index width,
                       T* delta) {
  const double denom = double(rows) * row_divisor(kind, width);  // exact: rows·width < 2⁵³
  const Index per = (kLossPieceElems + width - 1) / width;  // rows per piece, at least
  const Index pieces = std::min(kLossPieces, rows / std::max<Index>(per, 1));
  if (pieces < 2)
    return loss_sum(kind, in, t, rows, width, delta, rows) / denom;
  double part[kLossPieces];
  for_pieces(pieces, [&](Index p) {
    const Index r0 = rows * p / pieces, r1 = rows * (p + 1) / pieces;
    part[p] = loss_sum(kind, in + r0 * width, offset_targets(t, r0, width), r1 - r0, width,
                       delta ? delta + r0 * width : nullptr, rows);
  });
  double total = 0.0;
  for (Index p = 0; p < pieces; ++p) total += part[p];
  return total / denom;
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
