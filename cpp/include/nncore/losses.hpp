// Loss values and their gradient δ with respect to the network's last
// pre-activation (BCE/CE/Poisson: the z of the final Sigmoid/Softmax/Exp) or output.
#pragma once
#include "nncore/layer.hpp"

namespace nncore {

// Targets: Y (rows×width) or integer labels (CE only); exactly one is non-null.
// w: per-row sample weights (≥ 0), or null for all 1.
template <class T>
struct Targets {
  const T* Y = nullptr;
  const std::int64_t* labels = nullptr;
  const T* w = nullptr;
};

// Targets of rows [r0, ...) of y (rows of `width` values, or labels; weights too).
template <class T>
Targets<T> offset_targets(Targets<T> y, std::int64_t r0, std::int64_t width) {
  Targets<T> out;
  if (y.labels) out.labels = y.labels + r0;
  else out.Y = y.Y + r0 * width;
  if (y.w) out.w = y.w + r0;
  return out;
}

// Returns the mean loss over the rows (float64 accumulation) and, if delta is
// non-null, writes δ = ∂(mean loss)/∂(input).
//   MSE:     input h, 1/(2m) ΣΣ (h−c)²         δ = (h − c)/m
//   MSEMean: input h, ΣΣ (h−c)²/(m·w)          δ = 2(h − c)/(m·w)
//   BCE:     input z, mean of softplus(z) − c·z δ = (σ(z) − c)/(m·w)
//   CE:      input z, mean of lse(z) − Σ c·z     δ = (softmax(z)·Σc − c)/m
//   Poisson: input z (log link, h = e^z), half the Poisson deviance summed over the row:
//            mean of Σ (c·log c − c − c·z + e^z)  δ = (e^z − c)/m   (targets c ≥ 0)
// With sample weights w the mean over rows becomes Σᵢ wᵢ·lossᵢ / Σᵢ wᵢ and the 1/m
// in δ becomes wᵢ/Σw (a batch whose weights sum to 0 has loss 0 and δ = 0); all
// weights 1 give the unweighted numbers.
template <class T>
double loss_forward_backward(LossKind kind, const T* input, Targets<T> t, Index rows,
                             Index width, T* delta);

}  // namespace nncore
