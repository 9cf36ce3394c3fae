// The two backward-free gradient estimates (forward_gradient.hpp): k tangents
// from the shared generator, one directional derivative each, g = (1/k) Σ dⱼ·vⱼ.
#include "forward_gradient.hpp"

#include <algorithm>
#include <cmath>

#include "nncore/tangent.hpp"
#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"
#include "../tiny/tiny_path.hpp"

namespace nncore {

namespace {
NNCORE_SIMD_ENTRY void tangent_pairs_entry(std::uint64_t key, Index p0, Index p1, float* v,
                                           Index n) {
  tangent_pairs<float>(key, p0, p1, v, n);
}
NNCORE_SIMD_ENTRY void tangent_pairs_entry(std::uint64_t key, Index p0, Index p1, double* v,
                                           Index n) {
  tangent_pairs<double>(key, p0, p1, v, n);
}
}  // namespace

template <class T>
void draw_tangent(std::uint64_t seed, std::uint64_t step, std::uint64_t j, T* v, Index n) {
  const std::uint64_t key = tangent_key(seed, step, j);
  const Index pairs = (n + 1) / 2;
  // Chunks of whole tiles; threads pay off only for large networks.
  const Index chunk = 128 * kTangentTile;
  if (pairs < 4 * chunk || !threads_or_trace()) return tangent_pairs_entry(key, 0, pairs, v, n);
  for_pieces((pairs + chunk - 1) / chunk, [&](Index c) {
    tangent_pairs_entry(key, c * chunk, std::min(pairs, (c + 1) * chunk), v, n);
  });
}
template void draw_tangent<float>(std::uint64_t, std::uint64_t, std::uint64_t, float*, Index);
template void draw_tangent<double>(std::uint64_t, std::uint64_t, std::uint64_t, double*, Index);

}  // namespace nncore

namespace nncore::train {

template <class T>
GradientEstimator<T>::GradientEstimator(Network<T>& net, const FitConfig& cfg, Index rows)
    : net_(net), cfg_(cfg) {
  if (cfg.gradient == GradientKind::Backprop) return;
  v_.resize(std::size_t(net.num_params()));
  if (cfg.gradient == GradientKind::Perturbation) {
    theta_.resize(std::size_t(net.num_params()));
    return;
  }
  ws_.reserve(net, rows);
  tiny_ = tiny::Path<T>::make(net);
  if (!tiny_) return;
  const Index group = std::min(cfg.tangents, kGroup);
  v_.resize(std::size_t(group * net.num_params()));
  d_.resize(std::size_t(group));
  tiny_->reserve_tangents(group);
}

template <class T>
double GradientEstimator<T>::estimate(const T* X, Index rows, LossKind loss, Targets<T> y,
                                      double l1, double l2, std::uint64_t step) {
  net_.reserve(rows);
  return cfg_.gradient == GradientKind::Forward ? forward_gradient(X, rows, loss, y, l1, l2, step)
                                                : perturbation(X, rows, loss, y, l1, l2, step);
}

template <class T>
void GradientEstimator<T>::accumulate(double d, const T* v) {
  T* g = net_.grads();
  const T dt = T(d);
  const Index n = net_.num_params();
  for (Index i = 0; i < n; ++i) g[i] += dt * v[i];
}

template <class T>
void GradientEstimator<T>::finish() {
  if (cfg_.tangents == 1) return;
  T* g = net_.grads();
  const T k = T(cfg_.tangents);
  for (Index i = 0; i < net_.num_params(); ++i) g[i] /= k;
}

template <class T>
double GradientEstimator<T>::forward_gradient(const T* X, Index rows, LossKind loss,
                                              Targets<T> y, double l1, double l2,
                                              std::uint64_t step) {
  if (tiny_ && tiny_->takes(loss)) return forward_gradient_tiny(X, rows, loss, y, l1, l2, step);
  ws_.reserve(net_, rows);
  // The primal pass: every layer's output stays for the tangent passes.
  const T* h = net_.forward(X, rows);
  const bool fused = net_.fused_with(loss);
  const Index last = Index(net_.layers().size()) - 1;
  const Index stop = fused ? last - 1 : last;
  const T* input = fused ? net_.layer_output(stop) : h;
  const double value = loss_forward_backward(loss, input, y, rows, net_.n_out(), ws_.delta.data()) +
                       net_.penalty_value(l1, l2);
  if (!std::isfinite(value)) return value;
  std::fill(net_.grads(), net_.grads() + net_.num_params(), T(0));
  for (Index j = 0; j < cfg_.tangents; ++j) {
    draw_tangent(cfg_.seed, step, std::uint64_t(j), v_.data(), net_.num_params());
    const double d = loss_directional_derivative(net_, X, rows, v_.data(), stop, ws_) +
                     penalty_directional_derivative(net_, v_.data(), l1, l2);
    accumulate(d, v_.data());
  }
  finish();
  return value;
}

template <class T>
double GradientEstimator<T>::forward_gradient_tiny(const T* X, Index rows, LossKind loss,
                                                   Targets<T> y, double l1, double l2,
                                                   std::uint64_t step) {
  const Index n = net_.num_params(), k = cfg_.tangents;
  double value = 0.0;
  for (Index j0 = 0; j0 < k; j0 += kGroup) {
    const Index group = std::min(kGroup, k - j0);
    for (Index j = 0; j < group; ++j)
      draw_tangent(cfg_.seed, step, std::uint64_t(j0 + j), v_.data() + j * n, n);
    // Every group's primal pass gives the same numbers; the first one's value is L.
    const double mean = tiny_->directional(X, rows, loss, y, v_.data(), group, d_.data());
    if (j0 == 0) {
      value = mean + net_.penalty_value(l1, l2);
      if (!std::isfinite(value)) return value;
      std::fill(net_.grads(), net_.grads() + n, T(0));
    }
    for (Index j = 0; j < group; ++j) {
      const T* v = v_.data() + j * n;
      accumulate(d_[std::size_t(j)] + penalty_directional_derivative(net_, v, l1, l2), v);
    }
  }
  finish();
  return value;
}

template <class T>
double GradientEstimator<T>::perturbation(const T* X, Index rows, LossKind loss, Targets<T> y,
                                          double l1, double l2, std::uint64_t step) {
  const Index n = net_.num_params();
  T* theta = net_.params();
  std::copy(theta, theta + n, theta_.begin());
  std::fill(net_.grads(), net_.grads() + n, T(0));
  const T eps = T(cfg_.epsilon);
  for (Index j = 0; j < cfg_.tangents; ++j) {
    draw_tangent(cfg_.seed, step, std::uint64_t(j), v_.data(), n);
    for (Index i = 0; i < n; ++i) theta[i] = theta_[std::size_t(i)] + eps * v_[std::size_t(i)];
    const double plus = net_.loss_and_grad(X, rows, loss, y, l1, l2, false);
    for (Index i = 0; i < n; ++i) theta[i] = theta_[std::size_t(i)] - eps * v_[std::size_t(i)];
    const double minus = net_.loss_and_grad(X, rows, loss, y, l1, l2, false);
    accumulate((plus - minus) / (2.0 * cfg_.epsilon), v_.data());
  }
  std::copy(theta_.begin(), theta_.end(), theta);
  finish();
  // L(θ) last, so the outputs left in the workspace are those at θ.
  return net_.loss_and_grad(X, rows, loss, y, l1, l2, false);
}

template class GradientEstimator<float>;
template class GradientEstimator<double>;

}  // namespace nncore::train
