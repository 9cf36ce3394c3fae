// Forward mode: the directional derivative ∇L·v of the loss along a tangent v
// over the parameters, carried layer by layer next to the primal values of the
// forward pass that ran just before (dual numbers: every value a gets its
// tangent ȧ = ∂a/∂θ · v). Per layer, with x the input and ẋ its tangent
// (ẋ = 0 for the data):
//   Dense      ȧ = ẋ·θ + x·θ̇ + ḃ                       (θ̇, ḃ: v's views of θ, b)
//   Maxout     ḣ = ẋ·θ_{j*} + x·θ̇_{j*} + ḃ_{j*}       (j* the winning piece)
//   σ element  ḣ = σ′(a)·ȧ      (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Identity: the
//              Jacobian is diagonal, so this is activation_backward's product)
//   PReLU      ḣ = ȧ if a > 0 else α·ȧ + α̇·a
//   Softmax    ḣ = h ⊙ (ȧ − ⟨ȧ, h⟩)  (the Jacobian is symmetric: softmax_backward)
// and at the loss d = Σ δ ⊙ ż, δ = ∂L/∂z from the primal pass. Every GEMM
// sums in a fixed order and the final sum runs over rows in order, so d does
// not depend on the thread count.
#include <algorithm>

#include "nncore/activations.hpp"
#include "nncore/gemm.hpp"
#include "forward_gradient.hpp"

namespace nncore::train {

template <class T>
void JvpWorkspace<T>::reserve(const Network<T>& net, Index rows) {
  if (rows <= cap) return;
  Index width = 0, pieces = 0;
  for (const Layer& L : net.layers()) {
    width = std::max({width, L.spec.in, L.spec.out});
    if (L.spec.kind == LayerKind::Maxout) pieces = std::max(pieces, L.spec.k * L.spec.out);
  }
  a.resize(std::size_t(rows * width));
  b.resize(std::size_t(rows * width));
  z.resize(std::size_t(rows * pieces));
  delta.resize(std::size_t(rows * net.n_out()));
  cap = rows;
}

namespace {

// ȧ = ẋ·θ + x·θ̇ (ẋ null: the data, no tangent), for one block of columns of θ.
template <class T>
void affine_tangent(const T* x, const T* xdot, const T* W, const T* Wdot, Index rows, Index in,
                    Index out, Index ldw, T* adot, Index lda) {
  if (xdot) {
    gemm<T>(false, false, rows, out, in, T(1), xdot, in, W, ldw, T(0), adot, lda);
    gemm<T>(false, false, rows, out, in, T(1), x, in, Wdot, ldw, T(1), adot, lda);
  } else {
    gemm<T>(false, false, rows, out, in, T(1), x, in, Wdot, ldw, T(0), adot, lda);
  }
}

template <class T>
void prelu_tangent(const T* a, const T* alpha, const T* alpha_dot, Index n_alpha, const T* adot,
                   T* hdot, Index rows, Index width) {
  for (Index r = 0; r < rows; ++r)
    for (Index o = 0; o < width; ++o) {
      const Index i = r * width + o, k = n_alpha == 1 ? 0 : o;
      hdot[i] = a[i] > T(0) ? adot[i] : alpha[k] * adot[i] + alpha_dot[k] * a[i];
    }
}

}  // namespace

template <class T>
double loss_directional_derivative(Network<T>& net, const T* X, Index rows, const T* v,
                                   Index stop, JvpWorkspace<T>& ws) {
  const T* theta = net.params();
  const auto& layers = net.layers();
  const T* xdot = nullptr;  // tangent of the current layer's input
  T* cur = ws.a.data();     // where a layer writes its output's tangent
  T* spare = ws.b.data();
  for (Index i = 0; i <= stop; ++i) {
    const Layer& L = layers[std::size_t(i)];
    const LayerSpec& s = L.spec;
    const T* x = i == 0 ? X : net.layer_output(i - 1);
    switch (s.kind) {
      case LayerKind::Dense:
        affine_tangent(x, xdot, theta + L.w_off, v + L.w_off, rows, s.in, s.out, s.out, cur, s.out);
        if (L.b_size) add_bias(cur, v + L.b_off, rows, s.out);  // none for Dense(bias=False)
        break;
      case LayerKind::Maxout: {
        const Index kw = s.k * s.out;
        T* z = ws.z.data();
        for (Index j = 0; j < s.k; ++j) {
          const Index wj = j * s.in * s.out;
          affine_tangent(x, xdot, theta + L.w_off + wj, v + L.w_off + wj, rows, s.in, s.out,
                         s.out, z + j * s.out, kw);
        }
        const std::int32_t* win = net.maxout_winners(i);
        const T* bdot = v + L.b_off;
        for (Index r = 0; r < rows; ++r)
          for (Index o = 0; o < s.out; ++o) {
            const Index j = win[r * s.out + o];
            cur[r * s.out + o] = z[r * kw + j * s.out + o] + bdot[j * s.out + o];
          }
        break;
      }
      case LayerKind::PReLU:
        prelu_tangent(x, theta + L.a_off, v + L.a_off, s.n_alpha, xdot, cur, rows, s.out);
        break;
      case LayerKind::Softmax:
        softmax_backward(net.layer_output(i), xdot, cur, rows, s.out);
        break;
      case LayerKind::Dropout:  // ḣ = m/(1−p)·ẋ with the pass's mask; the identity when off
        if (net.dropout().on) dropout_backward(net.dropout(), i, s.hyper, xdot, cur, rows, s.out);
        else std::copy(xdot, xdot + rows * s.out, cur);
        break;
      default:  // element-wise: ḣ = σ′(a)·ȧ
        activation_backward(s.kind, T(s.hyper), x, net.layer_output(i), xdot, cur, rows * s.out);
    }
    xdot = cur;
    std::swap(cur, spare);
  }
  // d = Σ δ ⊙ ż over the rows in order (float64), z the loss input.
  const Index width = layers[std::size_t(stop)].spec.out;
  const T* delta = ws.delta.data();
  double d = 0.0;
  for (Index r = 0; r < rows; ++r) {
    double row = 0.0;
    for (Index o = 0; o < width; ++o)
      row += double(delta[r * width + o]) * double(xdot[r * width + o]);
    d += row;
  }
  return d;
}

template <class T>
double penalty_directional_derivative(Network<T>& net, const T* v, double l1, double l2) {
  if (l1 == 0.0 && l2 == 0.0) return 0.0;
  const T* theta = net.params();
  double d = 0.0;
  for (const Layer& L : net.layers())
    for (Index i = L.w_off; i < L.w_off + L.w_size; ++i) {
      const double w = double(theta[i]);
      const double sign = double((w > 0) - (w < 0));
      d += (2.0 * l2 * w + l1 * sign) * double(v[i]);
    }
  return d;
}

#define NNCORE_INSTANTIATE(T)                                                                \
  template struct JvpWorkspace<T>;                                                           \
  template double loss_directional_derivative<T>(Network<T>&, const T*, Index, const T*,     \
                                                 Index, JvpWorkspace<T>&);                   \
  template double penalty_directional_derivative<T>(Network<T>&, const T*, double, double);
NNCORE_INSTANTIATE(float)
NNCORE_INSTANTIATE(double)
#undef NNCORE_INSTANTIATE

}  // namespace nncore::train
