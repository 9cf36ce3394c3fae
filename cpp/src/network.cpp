// Network<T>: building the arena layout, forward, loss, backward.
#include "nncore/network.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <cmath>
#include <stdexcept>
#include <string>

#include "nncore/activations.hpp"
#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"

namespace nncore {

namespace {
// g += 2λ₂·w + λ₁·sign(w): the penalty's gradient, one expression for both paths.
template <class T>
inline void add_penalty_grad(T* g, const T* w, Index n, T c1, T c2) {
  for (Index i = 0; i < n; ++i) g[i] += c2 * w[i] + c1 * T((w[i] > T(0)) - (w[i] < T(0)));
}

// Large Dense layers split θ by columns into kColumnParts fixed parts, one per
// thread: the forward GEMM, ∂X (as a sum of per-part products) and the fused
// update of each part then touch only that part's columns of θ, so no cache
// line of θ moves between cores. The parts do not depend on the thread count
// (one thread runs them in turn), so neither do the results.
constexpr int kColumnParts = 2;

bool split_by_columns(Index rows, const LayerSpec& s) {
  return s.out >= 128 && double(rows) * double(s.in) * double(s.out) >= double(1 << 21);
}

// Columns [lo, hi) of part p, in whole 64-byte groups.
void column_part(Index n, int p, Index& lo, Index& hi) {
  const Index unit = 16, units = (n + unit - 1) / unit;
  lo = std::min(n, units * p / kColumnParts * unit);
  hi = std::min(n, units * (p + 1) / kColumnParts * unit);
}

// Runs f(part) for every part, in parallel when there are threads. Nothing may
// throw out of an OpenMP region: the first exception is kept and rethrown.
template <class F>
void for_each_part(F f) {
  std::exception_ptr error;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(std::min(kColumnParts, max_threads()))
#endif
  for (int p = 0; p < kColumnParts; ++p) {
    try {
      f(p);
    } catch (...) {
#ifdef _OPENMP
#pragma omp critical(nncore_part_error)
#endif
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

template <class T>
NNCORE_SIMD_CLONES void add_into(T* __restrict a, const T* __restrict b, Index n) {
  for (Index i = 0; i < n; ++i) a[i] += b[i];
}
}  // namespace

template <class T>
struct Network<T>::Part {
  Fused* fused;
  const Layer* layer;
  Index col0;  // the part's first column in θ (epilogue blocks are relative to it)
};

template <class T>
struct Network<T>::Fused {
  Network* net;
  const OptimizerUpdate<T>* update;
  T* m;
  T* v;
  T c1, c2;                    // penalty gradient: g += c2·w + c1·sign(w)
  std::atomic<bool> bad{false};
};

const char* layer_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::Dense: return "Dense";
    case LayerKind::Identity: return "Identity";
    case LayerKind::Sigmoid: return "Sigmoid";
    case LayerKind::Tanh: return "Tanh";
    case LayerKind::ReLU: return "ReLU";
    case LayerKind::LeakyReLU: return "LeakyReLU";
    case LayerKind::PReLU: return "PReLU";
    case LayerKind::ELU: return "ELU";
    case LayerKind::Maxout: return "Maxout";
    case LayerKind::Step: return "Step";
    case LayerKind::Softmax: return "Softmax";
  }
  return "?";
}

template <class T>
Network<T>::Network(const std::vector<LayerSpec>& specs) {
  if (specs.empty()) throw std::invalid_argument("Network: needs at least one layer");
  Index offset = 0, width = -1;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Layer L;
    L.spec = specs[i];
    LayerSpec& s = L.spec;
    const bool affine = s.kind == LayerKind::Dense || s.kind == LayerKind::Maxout;
    if (int(s.kind) < 0 || int(s.kind) > int(LayerKind::Softmax))
      throw std::invalid_argument("Network: unknown layer kind " + std::to_string(int(s.kind)));
    if (i == 0 && !affine)
      throw std::invalid_argument("Network: the first layer must be Dense or Maxout");
    if (!affine) s.in = s.out = width;
    if (s.in < 1 || s.out < 1 || s.k < 1 || (width >= 0 && s.in != width))
      throw std::invalid_argument("Network: layer " + std::to_string(i) + " (" +
                                  layer_name(s.kind) + ") has inconsistent widths");
    if (s.kind == LayerKind::Softmax && i + 1 != specs.size())
      throw std::invalid_argument("Network: Softmax may only be the last layer");
    if (affine) {
      const Index k = s.kind == LayerKind::Maxout ? s.k : 1;
      L.w_off = offset; L.w_size = k * s.in * s.out; offset += L.w_size;
      L.b_off = offset; L.b_size = k * s.out; offset += L.b_size;
      delta_width_ = std::max(delta_width_, k * s.out);
      if (s.kind == LayerKind::Maxout) { L.idx_off = idx_width_; idx_width_ += s.out; }
    } else if (s.kind == LayerKind::PReLU) {
      if (s.n_alpha != 1 && s.n_alpha != s.out)
        throw std::invalid_argument("Network: PReLU needs 1 or width parameters");
      L.a_off = offset; offset += s.n_alpha;
    }
    delta_width_ = std::max({delta_width_, s.in, s.out});
    L.act_off = act_width_;
    act_width_ += s.out;
    width = s.out;
    layers_.push_back(L);
  }
  params_.assign(std::size_t(offset), T(0));
  grads_.assign(std::size_t(offset), T(0));
  weight_mask_.assign(std::size_t(offset), 0);
  for (const Layer& L : layers_)
    std::fill(weight_mask_.begin() + L.w_off, weight_mask_.begin() + L.w_off + L.w_size, 1);
}

template <class T>
void Network<T>::reserve(Index rows) {
  if (rows <= cap_) return;
  cap_ = rows;
  acts_.resize(std::size_t(cap_ * act_width_));
  scratch_.resize(std::size_t(cap_ * delta_width_));
  delta0_.resize(std::size_t(cap_ * delta_width_));
  delta1_.resize(std::size_t(cap_ * delta_width_));
  argmax_.resize(std::size_t(cap_ * idx_width_));
}

template <class T>
const T* Network<T>::forward(const T* X, Index rows) {
  const T* in = X;
  const Index count = Index(layers_.size());
  for (Index i = 0; i < count; ++i) {
    const Layer& L = layers_[i];
    const LayerSpec& s = L.spec;
    T* out = acts_.data() + cap_ * L.act_off;
    const T* W = params_.data() + L.w_off;
    const T* b = params_.data() + L.b_off;
    switch (s.kind) {
      case LayerKind::Dense:
        // a = X·θ + b, and h = σ(a) in the same pass when an activation follows
        if (split_by_columns(rows, s)) {
          for_each_part([&](int p) {
            Index c0, c1;
            column_part(s.out, p, c0, c1);
            if (c0 < c1)
              gemm<T>(false, false, rows, c1 - c0, s.in, T(1), in, s.in, W + c0, s.out, T(0),
                      out + c0, s.out);
          });
        } else {
          gemm<T>(false, false, rows, s.out, s.in, T(1), in, s.in, W, s.out, T(0), out, s.out);
        }
        if (i + 1 < count && is_elementwise(layers_[i + 1].spec.kind)) {
          const Layer& act = layers_[i + 1];
          T* h = acts_.data() + cap_ * act.act_off;
          bias_activation_forward(act.spec.kind, T(act.spec.hyper), b, out, h, rows, s.out);
          in = h;
          ++i;
          continue;
        }
        add_bias(out, b, rows, s.out);
        break;
      case LayerKind::Maxout: {
        // z_j = X·θ_j + b_j side by side in scratch (rows × k·out); h = max_j z_j.
        const Index kw = s.k * s.out;
        T* z = scratch_.data();
        for (Index j = 0; j < s.k; ++j)
          gemm<T>(false, false, rows, s.out, s.in, T(1), in, s.in, W + j * s.in * s.out, s.out,
                  T(0), z + j * s.out, kw);
        std::int32_t* idx = argmax_.data() + cap_ * L.idx_off;
        for (Index r = 0; r < rows; ++r) {
          const T* zr = z + r * kw;
          for (Index o = 0; o < s.out; ++o) {
            T best = zr[o] + b[o];
            std::int32_t arg = 0;
            for (Index j = 1; j < s.k; ++j) {
              const T v = zr[j * s.out + o] + b[j * s.out + o];
              if (v > best) { best = v; arg = std::int32_t(j); }
            }
            out[r * s.out + o] = best;
            idx[r * s.out + o] = arg;
          }
        }
        break;
      }
      case LayerKind::PReLU:
        prelu_forward(in, params_.data() + L.a_off, s.n_alpha, out, rows, s.out);
        break;
      case LayerKind::Softmax:
        softmax_forward(in, out, rows, s.out);
        break;
      default:
        activation_forward(s.kind, T(s.hyper), in, out, rows * s.out);
    }
    in = out;
  }
  return in;
}

template <class T>
void Network<T>::predict(const T* X, Index rows, T* out, Index chunk) {
  reserve(std::min(rows, chunk));
  const Index w = n_out();
  for (Index r0 = 0; r0 < rows; r0 += chunk) {
    const Index m = std::min(chunk, rows - r0);
    const T* h = forward(X + r0 * n_in(), m);
    std::copy(h, h + m * w, out + r0 * w);
  }
}

template <class T>
bool Network<T>::fused_with(LossKind loss) const {
  const LayerKind last = layers_.back().spec.kind;
  return (loss == LossKind::BCE && last == LayerKind::Sigmoid) ||
         (loss == LossKind::CE && last == LayerKind::Softmax);
}

template <class T>
void Network<T>::check_differentiable() const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i].spec.kind == LayerKind::Step)
      throw std::invalid_argument("layer " + std::to_string(i) +
                                  " (Step) has no gradient; it can be used for prediction only");
}

template <class T>
double Network<T>::penalty(double l1, double l2, bool want_grad) {
  if (l1 == 0.0 && l2 == 0.0) return 0.0;
  double total = 0.0;
  const T c1 = T(l1), c2 = T(2.0 * l2);
  for (const Layer& L : layers_) {
    if (L.w_size == 0) continue;
    const T* w = params_.data() + L.w_off;
    T* g = grads_.data() + L.w_off;
    double s1 = 0.0, s2 = 0.0;
    for (Index i = 0; i < L.w_size; ++i) {
      s1 += std::fabs(double(w[i]));
      s2 += double(w[i]) * double(w[i]);
    }
    if (want_grad) add_penalty_grad(g, w, L.w_size, c1, c2);
    total += l1 * s1 + l2 * s2;
  }
  return total;
}

template <class T>
double Network<T>::loss_and_grad(const T* X, Index rows, LossKind loss, Targets<T> targets,
                                 double l1, double l2, bool want_grad) {
  if (want_grad) check_differentiable();
  reserve(rows);
  const T* h = forward(X, rows);
  const bool fused = fused_with(loss);
  const Index last = Index(layers_.size()) - 1;
  // Fused: the loss reads the logits z, the input of the final Sigmoid/Softmax.
  const T* input = fused ? layer_output(last - 1) : h;
  T* delta = want_grad ? delta0_.data() : nullptr;
  double value = loss_forward_backward(loss, input, targets, rows, n_out(), delta);
  if (want_grad) backward(X, rows, fused ? last - 1 : last, delta);
  return value + penalty(l1, l2, want_grad);
}

template <class T>
void Network<T>::backward(const T* X, Index rows, Index start, T* delta, Fused* fused) {
  T* other = delta == delta0_.data() ? delta1_.data() : delta0_.data();
  bool bias_done = false;  // the activation above a Dense already reduced its ∂b
  for (Index i = start; i >= 0; --i) {
    const Layer& L = layers_[i];
    const LayerSpec& s = L.spec;
    const T* in = i == 0 ? X : layer_output(i - 1);
    const T* out = layer_output(i);
    const T* W = params_.data() + L.w_off;
    T* dW = grads_.data() + L.w_off;
    T* db = grads_.data() + L.b_off;
    switch (s.kind) {
      case LayerKind::Dense:
        dense_backward(L, in, rows, i == 0, delta, other, fused);
        if (!bias_done) column_sums(delta, rows, s.out, db);
        bias_done = false;
        if (i > 0) std::swap(delta, other);
        break;
      case LayerKind::Maxout: {
        // δ flows only into the winning piece: δz (rows × k·out) in scratch.
        const Index kw = s.k * s.out;
        T* dz = scratch_.data();
        const std::int32_t* idx = argmax_.data() + cap_ * L.idx_off;
        std::fill(dz, dz + rows * kw, T(0));
        for (Index r = 0; r < rows; ++r)
          for (Index o = 0; o < s.out; ++o)
            dz[r * kw + idx[r * s.out + o] * s.out + o] = delta[r * s.out + o];
        column_sums(dz, rows, kw, db);
        for (Index j = 0; j < s.k; ++j) {
          const Index wj = j * s.in * s.out;
          gemm<T>(true, false, s.in, s.out, rows, T(1), in, s.in, dz + j * s.out, kw, T(0),
                  dW + wj, s.out);
          if (i > 0)
            gemm<T>(false, true, rows, s.in, s.out, T(1), dz + j * s.out, kw, W + wj, s.out,
                    j == 0 ? T(0) : T(1), other, s.in);
        }
        if (i > 0) std::swap(delta, other);
        break;
      }
      case LayerKind::PReLU: {
        T* dalpha = grads_.data() + L.a_off;
        std::fill(dalpha, dalpha + s.n_alpha, T(0));
        prelu_backward(in, params_.data() + L.a_off, s.n_alpha, delta, delta, dalpha, rows, s.out);
        break;
      }
      case LayerKind::Softmax:
        softmax_backward(out, delta, delta, rows, s.out);
        break;
      default:
        if (i > 0 && layers_[i - 1].spec.kind == LayerKind::Dense) {
          // δa = σ'(a)·δh and the Dense layer's ∂b = Σ_rows δa in one pass
          T* db_below = grads_.data() + layers_[i - 1].b_off;
          activation_backward_bias_grad(s.kind, T(s.hyper), in, out, delta, delta, db_below,
                                        rows, s.out);
          bias_done = true;
        } else {
          activation_backward(s.kind, T(s.hyper), in, out, delta, delta, rows * s.out);
        }
    }
  }
}

// ∂X = δ·θᵀ (first: a fused update changes θ), then ∂θ = Xᵀ·δ with, in a fused
// step, θ updated block by block by the thread that computed the block.
template <class T>
void Network<T>::dense_backward(const Layer& L, const T* in, Index rows, bool first,
                                const T* delta, T* delta_in, Fused* fused) {
  const LayerSpec& s = L.spec;
  const T* W = params_.data() + L.w_off;
  T* dW = grads_.data() + L.w_off;
  if (!split_by_columns(rows, s)) {
    if (!first)
      gemm<T>(false, true, rows, s.in, s.out, T(1), delta, s.out, W, s.out, T(0), delta_in, s.in);
    Part part{fused, &L, 0};
    const GemmEpilogue ep{&Network::dense_update_block, &part};
    if (fused)
      gemm<T>(true, false, s.in, s.out, rows, T(1), in, s.in, delta, s.out, T(0), dW, s.out, ep);
    else
      gemm<T>(true, false, s.in, s.out, rows, T(1), in, s.in, delta, s.out, T(0), dW, s.out);
    return;
  }
  // Column parts: ∂X = Σ_p δ[:, p]·θ[:, p]ᵀ, part 0 into delta_in, part 1 into
  // scratch, added in part order; then each part's ∂θ columns (and update).
  T* partial[kColumnParts] = {delta_in, scratch_.data()};
  static_assert(kColumnParts == 2, "partial sums are laid out for two parts");
  for_each_part([&](int p) {
    Index c0, c1;
    column_part(s.out, p, c0, c1);
    if (!first) {
      if (c0 < c1)
        gemm<T>(false, true, rows, s.in, c1 - c0, T(1), delta + c0, s.out, W + c0, s.out, T(0),
                partial[p], s.in);
      else
        std::fill(partial[p], partial[p] + rows * s.in, T(0));
    }
    if (c0 < c1) {
      Part part{fused, &L, c0};
      const GemmEpilogue ep{&Network::dense_update_block, &part};
      if (fused)
        gemm<T>(true, false, s.in, c1 - c0, rows, T(1), in, s.in, delta + c0, s.out, T(0), dW + c0,
                s.out, ep);
      else
        gemm<T>(true, false, s.in, c1 - c0, rows, T(1), in, s.in, delta + c0, s.out, T(0), dW + c0,
                s.out);
    }
  });
  if (!first)
    for_each_part([&](int p) {  // rows split between threads: deterministic
      const Index r0 = rows * p / kColumnParts, r1 = rows * (p + 1) / kColumnParts;
      add_into(delta_in + r0 * s.in, partial[1] + r0 * s.in, (r1 - r0) * s.in);
    });
}

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
    const Index i0 = L.w_off + r * width + part.col0 + c0, i1 = i0 + (c1 - c0);
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
  const T* h = forward(X, rows);
  const bool fused_loss = fused_with(loss);
  const Index last = Index(layers_.size()) - 1;
  const T* input = fused_loss ? layer_output(last - 1) : h;
  T* delta = delta0_.data();
  // The penalty's value before any θ changes; its gradient joins each update.
  const double value =
      loss_forward_backward(loss, input, targets, rows, n_out(), delta) + penalty(l1, l2, false);
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
