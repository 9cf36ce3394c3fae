// Internal to the Network<T> sources: the state of an optimizer step fused
// into backpropagation, and the penalty gradient shared by both paths.
#pragma once
#include <atomic>

#include "nncore/network.hpp"

namespace nncore {

// g += 2λ₂·w + λ₁·sign(w): the penalty's gradient, one expression for both paths.
template <class T>
inline void add_penalty_grad(T* g, const T* w, Index n, T c1, T c2) {
  for (Index i = 0; i < n; ++i) g[i] += c2 * w[i] + c1 * T((w[i] > T(0)) - (w[i] < T(0)));
}

template <class T>
struct Network<T>::Fused {
  Network* net;
  const OptimizerUpdate<T>* update;
  T* m;
  T* v;
  T c1, c2;                    // penalty gradient: g += c2·w + c1·sign(w)
  std::atomic<bool> bad{false};
};

// The fused update of one Dense layer's θ (the weight-gradient GEMM's epilogue context).
template <class T>
struct Network<T>::Part {
  Fused* fused;
  const Layer* layer;
};

}  // namespace nncore
