// Network<T>: the arena layout, the forward pass and the loss (backward
// passes: network_backward.cpp; the optimizer fused into them: fused_update.cpp).
#include "nncore/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "nncore/activations.hpp"
#include "nncore/gemm.hpp"
#include "fused_update.hpp"
#include "tiny/tiny_path.hpp"

namespace nncore {

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
    case LayerKind::Exp: return "Exp";
    case LayerKind::Dropout: return "Dropout";
  }
  return "?";
}

namespace {
// Sizes from layer widths must not overflow (a crafted Dense(2**62, 4)):
// a + b·c in Index arithmetic, or std::length_error (→ ValueError in Python).
// `where` is the layer index, or -1 for the batch workspaces.
Index sized(Index a, Index b, Index c, Index where) {
  Index bc, sum;
  if (__builtin_mul_overflow(b, c, &bc) || __builtin_add_overflow(a, bc, &sum))
    throw std::length_error(where >= 0 ? "Network: layer " + std::to_string(where) +
                                             " makes the network larger than a 64-bit size"
                                       : std::string("Network: the batch workspace is larger "
                                                     "than a 64-bit size"));
  return sum;
}

// A Dense layer followed by Softmax (the output layer): bias and softmax on
// each block of whole rows (the epilogue asks for whole_rows) right after the
// product finished it, on the thread that computed it, instead of two serial
// passes after the product. The same arithmetic row by row, so the same results.
template <class T>
struct SoftmaxHead {
  const T* b;
  T* a;
  T* h;
  Index width;

  static void block(void* ctx, Index r0, Index r1, Index, Index) {
    SoftmaxHead& s = *static_cast<SoftmaxHead*>(ctx);
    add_bias(s.a + r0 * s.width, s.b, r1 - r0, s.width);
    softmax_forward(s.a + r0 * s.width, s.h + r0 * s.width, r1 - r0, s.width);
  }
};
}  // namespace

template <class T>
Network<T>::Network(const std::vector<LayerSpec>& specs) {
  if (specs.empty()) throw std::invalid_argument("Network: needs at least one layer");
  Index offset = 0, width = -1;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Layer L;
    L.spec = specs[i];
    LayerSpec& s = L.spec;
    const bool affine = s.kind == LayerKind::Dense || s.kind == LayerKind::Maxout;
    if (int(s.kind) < 0 || int(s.kind) > int(LayerKind::Dropout))
      throw std::invalid_argument("Network: unknown layer kind " + std::to_string(int(s.kind)));
    if (i == 0 && !affine)
      throw std::invalid_argument("Network: the first layer must be Dense or Maxout");
    if (!affine) s.in = s.out = width;
    if (s.in < 1 || s.out < 1 || s.k < 1 || (width >= 0 && s.in != width))
      throw std::invalid_argument("Network: layer " + std::to_string(i) + " (" +
                                  layer_name(s.kind) + ") has inconsistent widths");
    if (!s.bias && s.kind != LayerKind::Dense)
      throw std::invalid_argument("Network: layer " + std::to_string(i) + " (" +
                                  layer_name(s.kind) + ") cannot drop its bias (only Dense can)");
    if (s.kind == LayerKind::Dropout && !(s.hyper >= 0.0 && s.hyper < 1.0))
      throw std::invalid_argument("Network: layer " + std::to_string(i) +
                                  " (Dropout) needs a drop probability p in [0, 1), got " +
                                  std::to_string(s.hyper));
    if (s.kind == LayerKind::Softmax && i + 1 != specs.size())
      throw std::invalid_argument("Network: Softmax may only be the last layer");
    if (affine) {
      const Index k = s.kind == LayerKind::Maxout ? s.k : 1;
      const Index at = Index(i);
      L.w_off = offset; L.w_size = sized(0, sized(0, k, s.in, at), s.out, at);
      offset = sized(offset, L.w_size, 1, at);
      L.b_off = offset; L.b_size = s.bias ? sized(0, k, s.out, at) : 0;
      offset = sized(offset, L.b_size, 1, at);
      delta_width_ = std::max(delta_width_, L.b_size);
      if (s.kind == LayerKind::Maxout) {
        L.idx_off = idx_width_;
        idx_width_ = sized(idx_width_, s.out, 1, at);
      }
    } else if (s.kind == LayerKind::PReLU) {
      if (s.n_alpha != 1 && s.n_alpha != s.out)
        throw std::invalid_argument("Network: PReLU needs 1 or width parameters");
      L.a_off = offset; offset = sized(offset, s.n_alpha, 1, Index(i));
    }
    delta_width_ = std::max({delta_width_, s.in, s.out});
    max_width_ = std::max(max_width_, s.out);
    if (s.kind == LayerKind::Maxout) max_maxout_ = std::max(max_maxout_, s.out);
    L.act_off = act_width_;
    act_width_ = sized(act_width_, s.out, 1, Index(i));
    width = s.out;
    layers_.push_back(L);
  }
  params_.assign(std::size_t(offset), T(0));
  grads_.assign(std::size_t(offset), T(0));
  weight_mask_.assign(std::size_t(offset), 0);
  for (const Layer& L : layers_)
    std::fill(weight_mask_.begin() + L.w_off, weight_mask_.begin() + L.w_off + L.w_size, 1);
  tiny_ = tiny::Path<T>::make(*this);
}

template <class T>
void Network<T>::reserve(Index rows) {
  if (rows <= cap_) return;
  // cap_ grows only once every buffer has (a bad_alloc leaves the old, valid sizes).
  acts_.resize(std::size_t(sized(0, rows, act_width_, -1)));
  scratch_.resize(std::size_t(sized(0, rows, delta_width_, -1)));
  delta0_.resize(std::size_t(sized(0, rows, delta_width_, -1)));
  delta1_.resize(std::size_t(sized(0, rows, delta_width_, -1)));
  argmax_.resize(std::size_t(sized(0, rows, idx_width_, -1)));
  cap_ = rows;
}

template <class T>
void Network<T>::reserve_inference(Index rows) {
  if (rows <= infer_cap_) return;
  for (auto* buf : {&infer_a_, &infer_b_})
    buf->resize(std::size_t(sized(0, rows, max_width_, -1)));
  infer_scratch_.resize(std::size_t(sized(0, rows, delta_width_, -1)));
  infer_idx_.resize(std::size_t(sized(0, rows, max_maxout_, -1)));
  infer_cap_ = rows;
}

template <class T>
const T* Network<T>::forward(const T* X, Index rows) { return run_forward(X, rows, true); }

// keep: every layer's output stays in acts_ (backward and trace read them); else
// (predict) two buffers take turns, so inference memory does not grow with depth.
template <class T>
const T* Network<T>::run_forward(const T* X, Index rows, bool keep) {
  const T* in = X;
  const Index count = Index(layers_.size());
  auto other = [&](const T* p) { return p == infer_a_.data() ? infer_b_.data() : infer_a_.data(); };
  for (Index i = 0; i < count; ++i) {
    const Layer& L = layers_[i];
    const LayerSpec& s = L.spec;
    T* out = keep ? acts_.data() + cap_ * L.act_off : other(in);
    const T* W = params_.data() + L.w_off;
    const T* b = params_.data() + L.b_off;
    switch (s.kind) {
      case LayerKind::Dense:
        if (L.b_size && i + 1 < count && layers_[i + 1].spec.kind == LayerKind::Softmax) {
          // Inference: softmax in place (row by row, the same arithmetic), since the
          // other buffer holds `in`, which other blocks are still reading.
          T* h = keep ? acts_.data() + cap_ * layers_[i + 1].act_off : out;
          SoftmaxHead<T> head{b, out, h, s.out};
          gemm<T>(false, false, rows, s.out, s.in, T(1), in, s.in, W, s.out, T(0), out, s.out,
                  GemmEpilogue{&SoftmaxHead<T>::block, &head, true});
          in = h;
          ++i;
          continue;
        }
        // a = X·θ + b, and h = σ(a) in the same pass when an activation follows
        gemm<T>(false, false, rows, s.out, s.in, T(1), in, s.in, W, s.out, T(0), out, s.out);
        if (i + 1 < count && is_elementwise(layers_[i + 1].spec.kind)) {
          const Layer& act = layers_[i + 1];
          T* h = keep ? acts_.data() + cap_ * act.act_off : other(out);
          if (L.b_size)
            bias_activation_forward(act.spec.kind, T(act.spec.hyper), b, out, h, rows, s.out);
          else
            activation_forward(act.spec.kind, T(act.spec.hyper), out, h, rows * s.out);
          in = h;
          ++i;
          continue;
        }
        if (L.b_size) add_bias(out, b, rows, s.out);
        break;
      case LayerKind::Maxout: {
        // z_j = X·θ_j + b_j side by side in scratch (rows × k·out); h = max_j z_j.
        const Index kw = s.k * s.out;
        T* z = keep ? scratch_.data() : infer_scratch_.data();
        for (Index j = 0; j < s.k; ++j)
          gemm<T>(false, false, rows, s.out, s.in, T(1), in, s.in, W + j * s.in * s.out, s.out,
                  T(0), z + j * s.out, kw);
        std::int32_t* idx = keep ? argmax_.data() + cap_ * L.idx_off : infer_idx_.data();
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
      case LayerKind::Dropout:
        // Identity unless a training pass set the key; inference skips the copy.
        if (keep && dropout_.on) dropout_forward(dropout_, i, s.hyper, in, out, rows, s.out);
        else if (keep) std::copy(in, in + rows * s.out, out);
        else continue;
        break;
      default:
        activation_forward(s.kind, T(s.hyper), in, out, rows * s.out);
    }
    in = out;
  }
  return in;
}

template <class T>
bool Network<T>::predict(const T* X, Index rows, T* out, const PollFn& poll, Index chunk) {
  if (tiny_ && tiny::enabled()) {  // small networks: cheap per row, no chunking needed
    tiny_->predict(X, rows, out);
    return true;
  }
  reserve_inference(std::min(rows, chunk));
  const Index w = n_out();
  for (Index r0 = 0; r0 < rows; r0 += chunk) {
    const Index m = std::min(chunk, rows - r0);
    const T* h = run_forward(X + r0 * n_in(), m, false);
    std::copy(h, h + m * w, out + r0 * w);
    if (poll && r0 + m < rows && !poll()) return false;
  }
  return true;
}

template <class T>
bool Network<T>::fused_with(LossKind loss) const {
  const LayerKind last = layers_.back().spec.kind;
  return (loss == LossKind::BCE && last == LayerKind::Sigmoid) ||
         (loss == LossKind::CE && last == LayerKind::Softmax) ||
         (loss == LossKind::Poisson && last == LayerKind::Exp);
}

template <class T>
void Network<T>::check_differentiable() const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i].spec.kind == LayerKind::Step)
      throw std::invalid_argument("layer " + std::to_string(i) +
                                  " (Step) has no gradient; it can be used for prediction only");
}

template <class T>
double Network<T>::penalty(double l1, double l2, T* grad) {
  if (l1 == 0.0 && l2 == 0.0) return 0.0;
  double total = 0.0;
  const T c1 = T(l1), c2 = T(2.0 * l2);
  for (const Layer& L : layers_) {
    if (L.w_size == 0) continue;
    const T* w = params_.data() + L.w_off;
    double s1 = 0.0, s2 = 0.0;
    for (Index i = 0; i < L.w_size; ++i) {
      s1 += std::fabs(double(w[i]));
      s2 += double(w[i]) * double(w[i]);
    }
    if (grad) add_penalty_grad(grad + L.w_off, w, L.w_size, c1, c2);
    total += l1 * s1 + l2 * s2;
  }
  return total;
}

template <class T>
double Network<T>::loss_and_grad(const T* X, Index rows, LossKind loss, Targets<T> targets,
                                 double l1, double l2, bool want_grad) {
  if (want_grad) check_differentiable();
  reserve(rows);
  if (tiny_ && tiny_->takes(loss))
    return tiny_->loss_and_grad(X, rows, loss, targets, l1, l2, want_grad);
  const T* h = forward(X, rows);
  const bool fused = fused_with(loss);
  const Index last = Index(layers_.size()) - 1;
  // Fused: the loss reads the logits z, the input of the final Sigmoid/Softmax/Exp.
  const T* input = fused ? layer_output(last - 1) : h;
  T* delta = want_grad ? delta0_.data() : nullptr;
  double value = loss_forward_backward(loss, input, targets, rows, n_out(), delta);
  if (want_grad) backward(X, rows, fused ? last - 1 : last, delta);
  return value + penalty(l1, l2, want_grad ? grads_.data() : nullptr);
}

template <class T>
bool Network<T>::loss_and_grad_chunked(const T* X, Index rows, LossKind loss, Targets<T> targets,
                                       double l1, double l2, double* value, T* grad,
                                       const PollFn& poll) {
  const std::size_t np = params_.size();
  if (rows <= kRowsPerChunk) {  // one chunk: exactly loss_and_grad
    *value = loss_and_grad(X, rows, loss, targets, l1, l2, grad != nullptr);
    if (grad) std::copy(grads_.begin(), grads_.end(), grad);
    return true;
  }
  if (grad) check_differentiable();
  // A chunk's mean enters with weight (its rows or weight sum) / (the total): sums in row order.
  auto weight_of = [&](Index r0, Index m) {
    if (!targets.w) return double(m);
    double s = 0.0;
    for (Index r = r0; r < r0 + m; ++r) s += double(targets.w[r]);
    return s;
  };
  const double total = weight_of(0, rows);
  const Index width = n_out();
  double sum = 0.0;
  for (Index r0 = 0; r0 < rows; r0 += kRowsPerChunk) {
    const Index m = std::min(kRowsPerChunk, rows - r0);
    Targets<T> t = targets;
    if (t.Y) t.Y += r0 * width;
    if (t.labels) t.labels += r0;
    if (t.w) t.w += r0;
    const double share = total > 0.0 ? weight_of(r0, m) / total : 0.0;
    // Dropout masks stay keyed by the row's place in X, whatever chunk it falls in.
    const DropoutKey whole = dropout_;
    if (whole.on && !whole.ids) dropout_.row0 = whole.row0 + r0;
    const double chunk_value = loss_and_grad(X + r0 * n_in(), m, loss, t, 0.0, 0.0,
                                             grad != nullptr);
    dropout_ = whole;
    sum += share * chunk_value;
    if (grad) {
      const T s = T(share);
      if (r0 == 0)
        for (std::size_t i = 0; i < np; ++i) grad[i] = s * grads_[i];
      else
        for (std::size_t i = 0; i < np; ++i) grad[i] += s * grads_[i];
    }
    if (poll && r0 + m < rows && !poll()) return false;
  }
  *value = sum + penalty(l1, l2, grad);
  return true;
}

template class Network<float>;
template class Network<double>;

}  // namespace nncore
