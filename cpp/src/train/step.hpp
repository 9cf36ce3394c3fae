// One optimizer step on one batch (gradient, optional clipping, update), shared
// by fit and train_step, and the snapshot that undoes an overflowing update.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "nncore/parallel.hpp"
#include "nncore/trainer.hpp"
#include "forward_gradient.hpp"

namespace nncore::train {

// What went wrong in a step, if anything.
enum class StepResult { Ok, BadLoss, BadUpdate };

// Σ of the batch's sample weights (its rows when unweighted), in row order.
template <class T>
double weight_sum(const T* w, Index rows) {
  if (!w) return double(rows);
  double s = 0.0;
  for (Index r = 0; r < rows; ++r) s += double(w[r]);
  return s;
}

// BadLoss: the loss or gradient is not finite, nothing was changed.
// BadUpdate: the update produced a non-finite θ; the caller restores θ, m, v.
// With cfg.gradient forward/perturbation, `est` estimates the gradient from
// forward passes (tangents numbered by the step count t) in place of backprop.
// ids/row0: the dataset rows of the batch (DropoutKey), whose masks are drawn for
// step t + 1, the step about to be taken.
template <class T>
StepResult step_on_batch(Network<T>& net, const T* X, const Targets<T>& y, Index rows,
                         const FitConfig& cfg, const OptimizerConfig& opt, OptimizerState<T>& st,
                         double lr, double* loss, GradientEstimator<T>* est = nullptr,
                         const Index* ids = nullptr, Index row0 = 0) {
  DropoutKey key;
  key.on = true, key.seed = cfg.dropout_seed, key.step = std::uint64_t(st.t + 1);
  key.ids = ids, key.row0 = row0;
  const DropoutScope<T> masks(net, key);
  double l1 = cfg.l1, l2 = cfg.l2;
  if (cfg.penalty_per_weight) {  // a batch of zero weight has no loss and no penalty
    const double ws = weight_sum(y.w, rows);
    l1 = ws > 0 ? l1 / ws : 0.0;
    l2 = ws > 0 ? l2 / ws : 0.0;
  }
  const bool estimated = cfg.gradient != GradientKind::Backprop;
  if (cfg.clip_norm <= 0 && !estimated) {
    // No clipping: the update rides along in backprop (Network::train_batch).
    st.t += 1;
    const OptimizerUpdate<T> update(opt, lr, st.t);
    bool finite_update = true;
    *loss = net.train_batch(X, rows, cfg.loss, y, l1, l2, update, st.m, st.v, &finite_update);
    if (std::isfinite(*loss) && finite_update) return StepResult::Ok;
    st.t -= 1;
    return std::isfinite(*loss) ? StepResult::BadUpdate : StepResult::BadLoss;
  }
  *loss = estimated ? est->estimate(X, rows, cfg.loss, y, l1, l2, std::uint64_t(st.t))
                    : net.loss_and_grad(X, rows, cfg.loss, y, l1, l2, true);
  if (!std::isfinite(*loss)) return StepResult::BadLoss;
  const Index n = net.num_params();
  T* g = net.grads();
  const double norm = l2_norm(g, n);
  if (!std::isfinite(norm)) return StepResult::BadLoss;
  if (cfg.clip_norm > 0 && norm > cfg.clip_norm) {
    const T s = T(cfg.clip_norm / norm);
    for (Index i = 0; i < n; ++i) g[i] *= s;
  }
  st.t += 1;
  if (optimizer_step(opt, lr, st.t, net.params(), g, st.m, st.v, net.weight_mask().data(), n))
    return StepResult::Ok;
  st.t -= 1;
  return StepResult::BadUpdate;
}

// dst[0, n) = src[0, n) in fixed chunks on the thread team: the snapshot of a
// large network is megabytes, and copied serially it is a visible share of a
// short epoch.
template <class T>
void copy_values(const T* src, Index n, T* dst) {
  for_chunks(n, Index(1) << 16, [&](Index i0, Index i1) { std::copy(src + i0, src + i1, dst + i0); });
}

// θ, m, v and t as they were, to undo a step whose update overflowed. The
// buffers are not zeroed when made (take() writes them all before any read):
// their pages are first touched by the threaded copy, not by one thread.
template <class T>
struct Snapshot {
  Index n;
  std::unique_ptr<T[]> p, m, v;
  std::int64_t t = 0;
  Snapshot(Index size, const OptimizerState<T>& st)
      : n(size), p(new T[std::size_t(size)]), m(st.m ? new T[std::size_t(size)] : nullptr),
        v(st.v ? new T[std::size_t(size)] : nullptr) {}
  void take(Network<T>& net, const OptimizerState<T>& st) {
    copy_values(net.params(), n, p.get());
    if (st.m) copy_values(st.m, n, m.get());
    if (st.v) copy_values(st.v, n, v.get());
    t = st.t;
  }
  void restore(Network<T>& net, OptimizerState<T>& st) const {
    copy_values(p.get(), n, net.params());
    if (st.m) copy_values(m.get(), n, st.m);
    if (st.v) copy_values(v.get(), n, st.v);
    st.t = t;
  }
};

}  // namespace nncore::train
