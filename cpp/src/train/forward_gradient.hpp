// Gradients without a backward pass: the forward gradient (Baydin et al. 2022,
// "Gradients without Backpropagation") and weight perturbation (SPSA). Both
// draw k tangents v ~ N(0, I) over the parameter arena (nncore/tangent.hpp) and
// estimate ∇L by g = (1/k) Σⱼ dⱼ·vⱼ with
//   forward:      dⱼ = ∇L·vⱼ exactly, from one forward pass carrying the
//                 directional derivative of every layer (jvp.cpp);
//   perturbation: dⱼ = (L(θ + εvⱼ) − L(θ − εvⱼ)) / (2ε), two plain forward passes.
// E[v vᵀ] = I makes the forward gradient unbiased; its variance grows with the
// number of parameters. The estimate lands in the network's gradient arena, where
// the usual clipping and optimizer step take it.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nncore/network.hpp"
#include "nncore/trainer.hpp"

namespace nncore::tiny { template <class T> class Path; }

namespace nncore::train {

// The workspaces of the forward-mode pass, sized once per batch size.
template <class T>
struct JvpWorkspace {
  std::vector<T> a, b;   // tangents of a layer's input and output (rows × widest layer)
  std::vector<T> z;      // Maxout: the tangents of all k pieces (rows × k·out)
  std::vector<T> delta;  // ∂L/∂(loss input) of the primal pass (rows × n_out)
  Index cap = 0;
  void reserve(const Network<T>& net, Index rows);
};

// d = Σ δ ⊙ ż: the directional derivative of the mean loss along v, after the
// primal forward pass (its outputs stay in the network's workspace) and the
// loss's δ (in ws.delta). `stop` is the last layer whose tangent is needed: the
// layer before a fused Sigmoid/Softmax, else the last one. Penalty not included.
template <class T>
double loss_directional_derivative(Network<T>& net, const T* X, Index rows, const T* v,
                                   Index stop, JvpWorkspace<T>& ws);

// ∇(λ₂ΣW² + λ₁Σ|W|)·v over the weights (sign(0) = 0, as in the gradient).
template <class T>
double penalty_directional_derivative(Network<T>& net, const T* v, double l1, double l2);

template <class T>
class GradientEstimator {
 public:
  // Sizes nothing for gradient=backprop; otherwise the workspaces for batches of `rows`.
  GradientEstimator(Network<T>& net, const FitConfig& cfg, Index rows);

  // L(θ) on the batch (the value the history reports) and the estimate of ∇L
  // in net.grads(). θ is left as it was (bitwise). The primal outputs at θ stay
  // in the network's workspace (the accuracy count reads them). A non-finite L is
  // returned without an estimate.
  double estimate(const T* X, Index rows, LossKind loss, Targets<T> y, double l1, double l2,
                  std::uint64_t step);

 private:
  double forward_gradient(const T* X, Index rows, LossKind loss, Targets<T> y, double l1,
                          double l2, std::uint64_t step);
  double perturbation(const T* X, Index rows, LossKind loss, Targets<T> y, double l1, double l2,
                      std::uint64_t step);
  // Small networks (the tiny path, src/tiny/): primal and tangent passes fused
  // per block of rows, for groups of up to kGroup tangents at a time.
  double forward_gradient_tiny(const T* X, Index rows, LossKind loss, Targets<T> y, double l1,
                               double l2, std::uint64_t step);
  void accumulate(double d, const T* v);  // g += d·v
  void finish();                          // g /= k

  static constexpr Index kGroup = 16;

  Network<T>& net_;
  const FitConfig& cfg_;
  std::vector<T> v_;      // the current tangent (tiny path: a group of them)
  std::shared_ptr<tiny::Path<T>> tiny_;  // forward gradient of a small network, else null
  std::vector<double> d_;                // tiny path: the group's directional derivatives
  std::vector<T> theta_;  // θ while perturbed
  JvpWorkspace<T> ws_;
};

}  // namespace nncore::train
