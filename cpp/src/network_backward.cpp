// Network<T>: backpropagation. Every Dense layer passes ∂X = δ·θᵀ down first
// (a fused update changes θ), then computes ∂θ = Xᵀ·δ, in a fused step with θ
// updated block by block by the thread that computed the block. Both are
// plain GEMMs: the GEMM cuts its output into fixed blocks from the shapes and
// hands them to whichever thread is free, and no sum (∂X, ∂θ, ∂b) is split
// across blocks, so results do not depend on the thread count.
#include "nncore/network.hpp"

#include <algorithm>

#include "nncore/activations.hpp"
#include "nncore/gemm.hpp"
#include "fused_update.hpp"

namespace nncore {

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
        if (!bias_done && L.b_size) column_sums(delta, rows, s.out, db);
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
      case LayerKind::Dropout:  // off: the identity, δ passes unchanged
        if (dropout_.on) dropout_backward(dropout_, i, s.hyper, delta, delta, rows, s.out);
        break;
      default:
        if (i > 0 && layers_[i - 1].spec.kind == LayerKind::Dense && layers_[i - 1].b_size) {
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

template <class T>
void Network<T>::dense_backward(const Layer& L, const T* in, Index rows, bool first,
                                const T* delta, T* delta_in, Fused* fused) {
  const LayerSpec& s = L.spec;
  const T* W = params_.data() + L.w_off;
  T* dW = grads_.data() + L.w_off;
  if (!first)
    gemm<T>(false, true, rows, s.in, s.out, T(1), delta, s.out, W, s.out, T(0), delta_in, s.in);
  if (fused) {
    Part part{fused, &L};
    const GemmEpilogue ep{&Network::dense_update_block, &part, true};
    gemm<T>(true, false, s.in, s.out, rows, T(1), in, s.in, delta, s.out, T(0), dW, s.out, ep);
  } else {
    gemm<T>(true, false, s.in, s.out, rows, T(1), in, s.in, delta, s.out, T(0), dW, s.out);
  }
}

template class Network<float>;
template class Network<double>;

}  // namespace nncore
