// The tiny-network path (tiny_path.hpp): the block loop, the reduction of the
// per-lane gradient sums, and the entries Network<T> calls.
#include "tiny_path.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "../fused_update.hpp"
#include "blocks.hpp"

namespace nncore::tiny {

namespace {

std::atomic<bool> g_enabled{true};
std::atomic<std::uint64_t> g_calls{0};

bool takes_layer(LayerKind kind) {
  switch (kind) {
    case LayerKind::Dense: case LayerKind::Identity: case LayerKind::Sigmoid:
    case LayerKind::Tanh: case LayerKind::ReLU: case LayerKind::LeakyReLU:
    case LayerKind::ELU: case LayerKind::Softmax:
      return true;
    default:  // Maxout, PReLU, Step: the general path
      return false;
  }
}

// Everything one pass over the batch needs; lanes null: no gradient.
template <class T>
struct Job {
  using Op = typename Path<T>::Op;
  using V = typename Lanes<T>::V;
  const Op* ops;
  Index n_ops, n_in, n_out;
  const T* theta;
  V* lanes;              // per-lane ∂θ sums, or null
  V *block, *d0, *d1, *targets;
  const T* X;
  Index rows;
  bool with_loss;
  LossKind loss;
  Targets<T> t;
  Index loss_op;         // the op whose output the loss reads (logits when fused)
  T g;                   // the loss's δ factor (unweighted)
  double wdenom;         // weighted: row r's factor is w_r / wdenom (0: all zero)
  T* out;                // rows × n_out: the last layer's output
  T* zrows;              // rows × n_out: the loss input (= out unless fused)
  // Forward mode (k > 0): k tangents back to back (n_params each), the tangent
  // buffers of the current layer, and Σ δ ⊙ ż per tangent and lane (k × L).
  const T* v;
  Index k, n_params;
  V *t0, *t1;
  double* dlanes;
};

template <class T>
NNCORE_SIMD_INLINE void forward_block(const Job<T>& j) {
  constexpr Index L = Lanes<T>::L;
  for (Index k = 0; k < j.n_ops; ++k) {
    const typename Job<T>::Op& op = j.ops[k];
    const auto* a = j.block + op.in_at;
    auto* h = j.block + op.out_at;
    if (op.kind == LayerKind::Dense)
      blocks::dense_forward<T>(j.theta + op.w_off, j.theta + op.b_off, a, h, op.in, op.out);
    else if (op.kind == LayerKind::Softmax)
      blocks::softmax_forward<T, L>(reinterpret_cast<const T*>(a), reinterpret_cast<T*>(h), op.out);
    else
      blocks::act_forward<T>(op.kind, op.hyper, reinterpret_cast<const T*>(a),
                             reinterpret_cast<T*>(h), op.out * L);
  }
}

// Backpropagates δ (in d0, of op `start`'s output) through ops start..0,
// adding the block's ∂θ to the lane sums.
template <class T>
NNCORE_SIMD_INLINE void backward_block(const Job<T>& j, Index start) {
  constexpr Index L = Lanes<T>::L;
  auto* d = j.d0;
  auto* other = j.d1;
  for (Index k = start; k >= 0; --k) {
    const typename Job<T>::Op& op = j.ops[k];
    const auto* a = j.block + op.in_at;
    const auto* h = j.block + op.out_at;
    if (op.kind == LayerKind::Dense) {
      blocks::dense_grads<T>(a, d, j.lanes + op.w_off, j.lanes + op.b_off, op.in, op.out);
      if (k == 0) break;
      blocks::dense_delta<T>(j.theta + op.w_off, d, other, op.in, op.out);
      std::swap(d, other);
    } else if (op.kind == LayerKind::Softmax) {
      blocks::softmax_backward<T, L>(reinterpret_cast<const T*>(h), reinterpret_cast<T*>(d),
                                     op.out);
    } else {
      blocks::act_backward<T>(op.kind, op.hyper, reinterpret_cast<const T*>(a),
                              reinterpret_cast<const T*>(h), reinterpret_cast<T*>(d), op.out * L);
    }
  }
}

// The tangent of ops 0..loss_op along v, from the block's primal values (a
// forward_block just ran), then each lane's Σ δ ⊙ ż (δ in d0) added to dl.
// Element-wise layers multiply by σ′ in place, with σ′ from the values at hand
// (act_backward's formulas: no transcendental is evaluated again).
template <class T>
NNCORE_SIMD_INLINE void tangent_block(const Job<T>& j, const T* v, double* dl) {
  constexpr Index L = Lanes<T>::L;
  using V = typename Lanes<T>::V;
  const V* xdot = nullptr;  // null: the tangent is zero (the data's)
  V* cur = j.t0;
  V* spare = j.t1;
  for (Index k = 0; k <= j.loss_op; ++k) {
    const typename Job<T>::Op& op = j.ops[k];
    const V* a = j.block + op.in_at;
    const V* h = j.block + op.out_at;
    if (op.kind == LayerKind::Dense) {
      if (xdot)
        blocks::dense_tangent<T>(j.theta + op.w_off, v + op.w_off, v + op.b_off, a, xdot, cur,
                                 op.in, op.out);
      else
        blocks::dense_forward<T>(v + op.w_off, v + op.b_off, a, cur, op.in, op.out);
      xdot = cur;
      std::swap(cur, spare);
    } else if (!xdot) {
      continue;  // σ′ · 0 = 0
    } else {
      // xdot is the buffer this pass wrote last (spare): scale it in place
      T* t = reinterpret_cast<T*>(spare);
      if (op.kind == LayerKind::Softmax)
        blocks::softmax_backward<T, L>(reinterpret_cast<const T*>(h), t, op.out);
      else
        blocks::act_backward<T>(op.kind, op.hyper, reinterpret_cast<const T*>(a),
                                reinterpret_cast<const T*>(h), t, op.out * L);
    }
  }
  if (!xdot) return;
  V s = {};
  for (Index o = 0; o < j.n_out; ++o) s += j.d0[o] * xdot[o];
  const T* sl = reinterpret_cast<const T*>(&s);
  for (Index l = 0; l < L; ++l) dl[l] += double(sl[l]);
}

// One pass over the batch in blocks of L rows: the last layer's output (and
// the loss input) to rows, and with lanes, ∂(mean loss)/∂θ in the lane sums.
template <class T>
NNCORE_SIMD_INLINE void run_blocks(const Job<T>& j) {
  constexpr Index L = Lanes<T>::L;
  const Index last = j.n_ops - 1;
  const T* z = reinterpret_cast<const T*>(j.block + j.ops[j.loss_op].out_at);
  const T* h = reinterpret_cast<const T*>(j.block + j.ops[last].out_at);
  T* x = reinterpret_cast<T*>(j.block);
  T* c = reinterpret_cast<T*>(j.targets);
  std::int64_t labels[L];
  T g[L];
  for (Index r0 = 0; r0 < j.rows; r0 += L) {
    const Index nv = std::min(L, j.rows - r0);
    // Lanes past the batch repeat its last row: they stay finite whenever the
    // batch's rows are, and their δ is zero, so they add nothing.
    auto row = [&](Index l) { return r0 + std::min(l, nv - 1); };
    for (Index l = 0; l < L; ++l)
      for (Index i = 0; i < j.n_in; ++i) x[i * L + l] = j.X[row(l) * j.n_in + i];
    forward_block<T>(j);
    for (Index l = 0; l < nv; ++l)
      for (Index o = 0; o < j.n_out; ++o) j.out[(r0 + l) * j.n_out + o] = h[o * L + l];
    if (!j.with_loss) continue;
    if (z != h)
      for (Index l = 0; l < nv; ++l)
        for (Index o = 0; o < j.n_out; ++o) j.zrows[(r0 + l) * j.n_out + o] = z[o * L + l];
    if (!j.lanes && !j.k) continue;
    if (j.t.Y) {
      for (Index l = 0; l < L; ++l)
        for (Index o = 0; o < j.n_out; ++o) c[o * L + l] = j.t.Y[row(l) * j.n_out + o];
    } else {
      for (Index l = 0; l < L; ++l) labels[l] = j.t.labels[row(l)];
    }
    // Each row's δ factor, as losses.cpp's weighted form (MSEMean: its 2 first).
    for (Index l = 0; l < L; ++l) {
      if (!j.t.w) { g[l] = j.g; continue; }
      const T gw = j.wdenom > 0.0 ? T(double(j.t.w[row(l)]) / j.wdenom) : T(0);
      g[l] = j.loss == LossKind::MSEMean ? T(2) * gw : gw;
    }
    blocks::loss_delta<T, L>(j.loss, z, j.t.Y ? c : nullptr, labels, nv, j.n_out, g,
                             reinterpret_cast<T*>(j.d0));
    if (j.lanes) backward_block<T>(j, j.loss_op);
    for (Index q = 0; q < j.k; ++q) tangent_block<T>(j, j.v + q * j.n_params, j.dlanes + q * L);
  }
}

// One cloned entry per type (simd.hpp): the whole pass is inlined into it.
NNCORE_SIMD_ENTRY void run_entry(const Job<float>& j) { run_blocks<float>(j); }
NNCORE_SIMD_ENTRY void run_entry(const Job<double>& j) { run_blocks<double>(j); }

// One round of the lane sums' pairwise tree: lanes[p][l] += lanes[p][l + W]
// for every parameter p (W constant, so each round is one vector operation
// per parameter), then the next round, down to W = 1.
// Clang would vectorise the p loop (stride L) with gathers and scatters, slow
// on x86 (moons: 2.5x gcc's time here); kept scalar in p, the W adds of one
// parameter become one vector add, as with gcc. The same adds in the same order.
template <class T, Index W>
NNCORE_SIMD_INLINE void fold_lanes(T* __restrict lanes, Index n) {
  constexpr Index L = Lanes<T>::L;
#if defined(__clang__)
#pragma clang loop vectorize(disable)
#endif
  for (Index p = 0; p < n; ++p)
    for (Index l = 0; l < W; ++l) lanes[p * L + l] += lanes[p * L + l + W];
  if constexpr (W > 1) fold_lanes<T, W / 2>(lanes, n);
}

// grads[p] = Σ_l lanes[p·L + l], pairwise in a fixed order (the lanes are
// overwritten: they are zeroed before the next pass).
template <class T>
NNCORE_SIMD_INLINE void reduce_lanes(T* __restrict lanes, T* __restrict grads, Index n) {
  constexpr Index L = Lanes<T>::L;
  fold_lanes<T, L / 2>(lanes, n);
  for (Index p = 0; p < n; ++p) grads[p] = lanes[p * L];
}
NNCORE_SIMD_ENTRY void reduce_entry(float* lanes, float* grads, Index n) {
  reduce_lanes<float>(lanes, grads, n);
}
NNCORE_SIMD_ENTRY void reduce_entry(double* lanes, double* grads, Index n) {
  reduce_lanes<double>(lanes, grads, n);
}

}  // namespace

void set_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }
bool enabled() { return g_enabled.load(std::memory_order_relaxed); }
std::uint64_t calls() { return g_calls.load(std::memory_order_relaxed); }

template <class T>
std::shared_ptr<Path<T>> Path<T>::make(Network<T>& net) {
  if (net.num_params() > kMaxParams) return nullptr;
  for (const Layer& L : net.layers())  // (its Dense blocks always add and learn a bias)
    if (!takes_layer(L.spec.kind) || (L.spec.kind == LayerKind::Dense && !L.b_size))
      return nullptr;
  return std::make_shared<Path<T>>(net);
}

template <class T>
Path<T>::Path(Network<T>& net) : net_(net), n_in_(net.n_in()), n_out_(net.n_out()) {
  for (const Layer& L : net.layers()) {
    const Index in_at = ops_.empty() ? 0 : ops_.back().out_at;
    ops_.push_back({L.spec.kind, L.spec.in, L.spec.out, L.w_off, L.b_off, in_at,
                    n_in_ + L.act_off, T(L.spec.hyper)});
    max_width_ = std::max({max_width_, L.spec.in, L.spec.out});
  }
  block_.assign(std::size_t(n_in_ + net.act_width_), Slot{});
  delta0_.assign(std::size_t(max_width_), Slot{});
  delta1_.assign(delta0_.size(), Slot{});
  targets_.assign(std::size_t(n_out_), Slot{});
  lanes_.assign(std::size_t(net.num_params()), Slot{});
  tan0_.assign(std::size_t(max_width_), Slot{});
  tan1_.assign(tan0_.size(), Slot{});
}

template <class T>
void Path<T>::reserve_tangents(Index k) {
  if (Index(dlanes_.size()) < k * kLanes) dlanes_.resize(std::size_t(k * kLanes));
}

template <class T>
double Path<T>::directional(const T* X, Index rows, LossKind loss, Targets<T> t, const T* v,
                            Index k, double* d) {
  return run(X, rows, loss, t, false, nullptr, v, k, d);
}

template <class T>
double Path<T>::run(const T* X, Index rows, LossKind loss, Targets<T> t, bool grads, T* out,
                    const T* v, Index k, double* d) {
  g_calls.fetch_add(1, std::memory_order_relaxed);
  const Index last = Index(ops_.size()) - 1;
  Job<T> j;
  j.ops = ops_.data();
  j.n_ops = Index(ops_.size()), j.n_in = n_in_, j.n_out = n_out_;
  j.theta = net_.params();
  j.lanes = grads ? &lanes_[0].v : nullptr;
  j.block = &block_[0].v, j.d0 = &delta0_[0].v, j.d1 = &delta1_[0].v;
  j.targets = &targets_[0].v;
  j.X = X, j.rows = rows;
  j.with_loss = out == nullptr;
  j.loss = loss, j.t = t;
  j.loss_op = net_.fused_with(loss) ? last - 1 : last;
  const double m = double(rows), mw = double(rows) * double(n_out_);
  j.g = T(loss == LossKind::MSE || loss == LossKind::CE ? 1.0 / m
          : loss == LossKind::MSEMean ? 2.0 / mw : 1.0 / mw);
  // Sample weights: wᵢ/Σw, over the row's width too for MSEMean and BCE (Σw in
  // row order, as losses.cpp sums it).
  j.wdenom = 0.0;
  if (t.w && !out) {
    double wsum = 0.0;
    for (Index r = 0; r < rows; ++r) wsum += double(t.w[r]);
    const bool per_row = loss == LossKind::MSE || loss == LossKind::CE;
    j.wdenom = wsum > 0.0 ? (per_row ? wsum : wsum * double(n_out_)) : 0.0;
  }
  // Outputs where layer_output() has them after a forward pass of the network.
  T* acts = net_.acts_.data();
  j.out = out ? out : acts + net_.cap_ * net_.layers_.back().act_off;
  j.zrows = out ? nullptr : acts + net_.cap_ * net_.layers_[std::size_t(j.loss_op)].act_off;
  j.v = v, j.k = k, j.n_params = net_.num_params();
  j.t0 = &tan0_[0].v, j.t1 = &tan1_[0].v;
  j.dlanes = dlanes_.data();
  if (grads) std::fill(lanes_.begin(), lanes_.end(), Slot{});
  if (k) std::fill(dlanes_.begin(), dlanes_.begin() + k * kLanes, 0.0);
  run_entry(j);
  if (grads) reduce_entry(reinterpret_cast<T*>(&lanes_[0].v), net_.grads(), net_.num_params());
  for (Index q = 0; q < k; ++q) {  // the lanes' sums in lane order
    double s = 0.0;
    for (Index l = 0; l < kLanes; ++l) s += dlanes_[std::size_t(q * kLanes + l)];
    d[q] = s;
  }
  // The value over the whole batch at once (vectorised along the rows), by the
  // general path's own code.
  return out ? 0.0 : loss_forward_backward(loss, j.zrows, t, rows, n_out_, static_cast<T*>(nullptr));
}

template <class T>
double Path<T>::loss_and_grad(const T* X, Index rows, LossKind loss, Targets<T> t, double l1,
                              double l2, bool want_grad) {
  const double value = run(X, rows, loss, t, want_grad, nullptr);
  return value + net_.penalty(l1, l2, want_grad ? net_.grads() : nullptr);
}

template <class T>
double Path<T>::train_batch(const T* X, Index rows, LossKind loss, Targets<T> t, double l1,
                            double l2, const OptimizerUpdate<T>& update, T* m, T* v,
                            bool* finite_update) {
  // The value (penalty included) before θ changes; a non-finite one changes nothing.
  double value = run(X, rows, loss, t, true, nullptr) + net_.penalty(l1, l2, nullptr);
  if (!std::isfinite(value)) return value;
  net_.penalty(l1, l2, net_.grads());  // its gradient joins ∂θ
  *finite_update = update.apply(net_.params(), net_.grads(), m, v, net_.weight_mask().data(), 0,
                                net_.num_params());
  return value;
}

template <class T>
void Path<T>::predict(const T* X, Index rows, T* out) {
  run(X, rows, LossKind::MSE, Targets<T>{}, false, out);
}

template class Path<float>;
template class Path<double>;

}  // namespace nncore::tiny
