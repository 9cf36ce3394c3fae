// Network<T>::train_batch: one training step with the optimizer fused into
// backpropagation. The weight-gradient GEMM of each Dense layer calls
// dense_update_block on every block of ∂θ it finishes, on the thread that
// computed it, so the block of ∂θ is still in that core's cache and the block
// of θ it updates is touched by no other core during the update.
#include "nncore/network.hpp"

#include <cmath>

#include "fused_update.hpp"
#include "tiny/tiny_path.hpp"

namespace nncore {

template <class T>
void Network<T>::dense_update_block(void* ctx, Index r0, Index r1, Index c0, Index c1) {
  const Part& part = *static_cast<Part*>(ctx);
  Fused& f = *part.fused;
  Network& net = *f.net;
  const Layer& L = *part.layer;
  const Index width = L.spec.out;
  T* th = net.params_.data();
  T* g = net.grads_.data();
  const std::uint8_t* mask = net.weight_mask_.data();
  bool ok = true;
  for (Index r = r0; r < r1; ++r) {
    const Index i0 = L.w_off + r * width + c0, i1 = i0 + (c1 - c0);
    if (f.c1 != T(0) || f.c2 != T(0)) add_penalty_grad(g + i0, th + i0, i1 - i0, f.c1, f.c2);
    ok &= f.update->apply(th, g, f.m, f.v, mask, i0, i1);
  }
  if (!ok) f.bad.store(true, std::memory_order_relaxed);
}

template <class T>
double Network<T>::train_batch(const T* X, Index rows, LossKind loss, Targets<T> targets,
                               double l1, double l2, const OptimizerUpdate<T>& update, T* m,
                               T* v, bool* finite_update) {
  check_differentiable();
  reserve(rows);
  *finite_update = true;
  if (tiny_ && tiny_->takes(loss))
    return tiny_->train_batch(X, rows, loss, targets, l1, l2, update, m, v, finite_update);
  const T* h = forward(X, rows);
  const bool fused_loss = fused_with(loss);
  const Index last = Index(layers_.size()) - 1;
  const T* input = fused_loss ? layer_output(last - 1) : h;
  T* delta = delta0_.data();
  // The penalty's value before any θ changes; its gradient joins each update.
  const double value =
      loss_forward_backward(loss, input, targets, rows, n_out(), delta) + penalty(l1, l2, nullptr);
  if (!std::isfinite(value)) return value;
  Fused f;
  f.net = this, f.update = &update, f.m = m, f.v = v, f.c1 = T(l1), f.c2 = T(2.0 * l2);
  backward(X, rows, fused_loss ? last - 1 : last, delta, &f);
  // The rest: biases, α, Maxout (its W with the penalty gradient).
  bool ok = !f.bad.load(std::memory_order_relaxed);
  T* th = params_.data();
  T* g = grads_.data();
  const std::uint8_t* mask = weight_mask_.data();
  for (const Layer& L : layers_) {
    if (L.spec.kind == LayerKind::Dense) {
      ok &= update.apply(th, g, m, v, mask, L.b_off, L.b_off + L.b_size);
    } else if (L.spec.kind == LayerKind::Maxout) {
      if (l1 != 0.0 || l2 != 0.0) add_penalty_grad(g + L.w_off, th + L.w_off, L.w_size, f.c1, f.c2);
      ok &= update.apply(th, g, m, v, mask, L.w_off, L.b_off + L.b_size);
    } else if (L.spec.kind == LayerKind::PReLU) {
      ok &= update.apply(th, g, m, v, mask, L.a_off, L.a_off + L.spec.n_alpha);
    }
  }
  *finite_update = ok;
  return value;
}

template class Network<float>;
template class Network<double>;

}  // namespace nncore
