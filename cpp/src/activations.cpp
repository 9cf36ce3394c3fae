// Element-wise activations, their derivatives, PReLU and softmax.
#include "nncore/activations.hpp"

#include <stdexcept>

#include "nncore/parallel.hpp"

namespace nncore {

namespace {

// The loops proper, cloned per ISA through the entries below (simd.hpp); `kind` is
// switched once per call, outside the loops.
template <class T>
NNCORE_SIMD_INLINE void forward_loop(LayerKind kind, T hyper, const T* __restrict a,
                                     T* __restrict h, Index n) {
  switch (kind) {
    case LayerKind::Identity:
      for (Index i = 0; i < n; ++i) h[i] = a[i];
      break;
    case LayerKind::Sigmoid:
      for (Index i = 0; i < n; ++i) h[i] = fastmath::sigmoid(a[i]);
      break;
    case LayerKind::Tanh:
      for (Index i = 0; i < n; ++i) h[i] = fastmath::tanh(a[i]);
      break;
    case LayerKind::ReLU:
      for (Index i = 0; i < n; ++i) h[i] = a[i] > T(0) ? a[i] : T(0);
      break;
    case LayerKind::LeakyReLU:
      for (Index i = 0; i < n; ++i) h[i] = a[i] > T(0) ? a[i] : hyper * a[i];
      break;
    case LayerKind::ELU:
      for (Index i = 0; i < n; ++i) {
        const T neg = hyper * fastmath::expm1_neg(std::min(a[i], T(0)));
        h[i] = a[i] > T(0) ? a[i] : neg;
      }
      break;
    case LayerKind::Step:
      for (Index i = 0; i < n; ++i) h[i] = a[i] > T(0) ? T(1) : T(0);
      break;
    case LayerKind::Exp:  // the log link's inverse (Poisson regression's output)
      for (Index i = 0; i < n; ++i) h[i] = std::exp(a[i]);
      break;
    default:
      break;
  }
}

// δa = σ'(a)·δh; da may alias dh (element i is read before it is written).
template <class T>
NNCORE_SIMD_INLINE void backward_body(LayerKind kind, T hyper, const T* a, const T* h,
                                      const T* dh, T* da, Index n) {
  switch (kind) {
    case LayerKind::Identity:
      for (Index i = 0; i < n; ++i) da[i] = dh[i];
      break;
    case LayerKind::Sigmoid:
      for (Index i = 0; i < n; ++i) da[i] = dh[i] * h[i] * (T(1) - h[i]);
      break;
    case LayerKind::Tanh:
      for (Index i = 0; i < n; ++i) da[i] = dh[i] * (T(1) - h[i] * h[i]);
      break;
    case LayerKind::ReLU:
      for (Index i = 0; i < n; ++i) da[i] = a[i] > T(0) ? dh[i] : T(0);
      break;
    case LayerKind::LeakyReLU:
      for (Index i = 0; i < n; ++i) da[i] = a[i] > T(0) ? dh[i] : hyper * dh[i];
      break;
    case LayerKind::ELU:
      // σ'(a) = α·e^a = h + α for a ≤ 0.
      for (Index i = 0; i < n; ++i) da[i] = a[i] > T(0) ? dh[i] : dh[i] * (h[i] + hyper);
      break;
    case LayerKind::Exp:  // (e^a)' = e^a = h
      for (Index i = 0; i < n; ++i) da[i] = dh[i] * h[i];
      break;
    default:
      break;
  }
}

// In place (da == dh, the usual call) the body gets one pointer for both: clang's
// run-time overlap check would otherwise send the exact alias to its scalar loop
// (GCC's check lets a distance of 0 through), 13x slower for ReLU.
template <class T>
NNCORE_SIMD_INLINE void backward_loop(LayerKind kind, T hyper, const T* a, const T* h,
                                      const T* dh, T* da, Index n) {
  if (da == dh) backward_body(kind, hyper, a, h, da, da, n);
  else backward_body(kind, hyper, a, h, dh, da, n);
}

// Splits a long element-wise pass into fixed chunks shared by the threads.
template <class F>
void chunked(Index n, F f) {
  for_chunks(n, 4096, [&](Index i0, Index i1) { f(i0, i1 - i0); });
}

template <class T>
NNCORE_SIMD_INLINE void add_bias_rows(T* __restrict a, const T* __restrict b, Index rows,
                                      Index cols) {
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < cols; ++j) a[r * cols + j] += b[j];
}

template <class T>
NNCORE_SIMD_INLINE void accumulate(T* __restrict sum, const T* __restrict x, Index n) {
  for (Index j = 0; j < n; ++j) sum[j] += x[j];
}

template <class T>
NNCORE_SIMD_INLINE void column_sums_loop(const T* __restrict x, Index rows, Index cols,
                                         T* __restrict sums) {
  for (Index j = 0; j < cols; ++j) sums[j] = T(0);
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < cols; ++j) sums[j] += x[r * cols + j];
}

// One cloned entry per type (simd.hpp: clang clones no templates); a
// non-template overload wins over the template above in every call.
#define NNCORE_ACT_ENTRIES(T)                                                                 \
  NNCORE_SIMD_ENTRY void forward_loop(LayerKind kind, T hyper, const T* __restrict a,       \
                                      T* __restrict h, Index n) {                           \
    forward_loop<T>(kind, hyper, a, h, n);                                                  \
  }                                                                                         \
  NNCORE_SIMD_ENTRY void backward_loop(LayerKind kind, T hyper, const T* a, const T* h,    \
                                       const T* dh, T* da, Index n) {                       \
    backward_loop<T>(kind, hyper, a, h, dh, da, n);                                         \
  }                                                                                         \
  NNCORE_SIMD_ENTRY void add_bias_rows(T* __restrict a, const T* __restrict b, Index rows, \
                                       Index cols) {                                        \
    add_bias_rows<T>(a, b, rows, cols);                                                     \
  }                                                                                         \
  NNCORE_SIMD_ENTRY void accumulate(T* __restrict sum, const T* __restrict x, Index n) {   \
    accumulate<T>(sum, x, n);                                                               \
  }                                                                                         \
  NNCORE_SIMD_ENTRY void column_sums_loop(const T* __restrict x, Index rows, Index cols,   \
                                          T* __restrict sums) {                             \
    column_sums_loop<T>(x, rows, cols, sums);                                               \
  }
NNCORE_ACT_ENTRIES(float)
NNCORE_ACT_ENTRIES(double)
#undef NNCORE_ACT_ENTRIES

}  // namespace

template <class T>
void add_bias(T* a, const T* b, Index rows, Index cols) {
  add_bias_rows(a, b, rows, cols);
}

template <class T>
void column_sums(const T* x, Index rows, Index cols, T* sums) {
  column_sums_loop(x, rows, cols, sums);
}

bool is_elementwise(LayerKind kind) {
  switch (kind) {
    case LayerKind::Identity: case LayerKind::Sigmoid: case LayerKind::Tanh:
    case LayerKind::ReLU: case LayerKind::LeakyReLU: case LayerKind::ELU:
    case LayerKind::Exp: return true;
    default: return false;
  }
}

template <class T>
void bias_activation_forward(LayerKind kind, T hyper, const T* b, T* a, T* h, Index rows,
                             Index cols) {
  // Blocks of rows small enough to stay in L1 between the two loops.
  const Index block = std::max<Index>(1, 2048 / std::max<Index>(cols, 1));
  const Index blocks = (rows + block - 1) / block;
  auto run = [&](Index q) {
    const Index r0 = q * block, m = std::min(block, rows - r0);
    add_bias_rows(a + r0 * cols, b, m, cols);
    forward_loop(kind, hyper, a + r0 * cols, h + r0 * cols, m * cols);
  };
  if (!worth_threads(rows * cols)) {
    for (Index q = 0; q < blocks; ++q) run(q);
    return;
  }
  for_pieces(blocks, run);
}

template <class T>
void activation_backward_bias_grad(LayerKind kind, T hyper, const T* a, const T* h, const T* dh,
                                   T* da, T* db, Index rows, Index cols) {
  if (!worth_threads(rows * cols)) {  // one pass for δa, then the column sums in row order
    backward_loop(kind, hyper, a, h, dh, da, rows * cols);
    column_sums(da, rows, cols, db);
    return;
  }
  // Pieces of 32 columns (whole cache lines; 16 pieces for a 512-wide layer,
  // so many cores share it), rows in order within each, so every ∂b_j is
  // summed in row order whichever thread runs its piece.
  const Index width = 32, pieces = (cols + width - 1) / width;
  for_pieces(pieces, [&](Index p) {
    const Index c0 = p * width, c1 = std::min(cols, c0 + width);
    std::fill(db + c0, db + c1, T(0));
    for (Index r = 0; r < rows; ++r) {
      const Index o = r * cols + c0;
      backward_loop(kind, hyper, a + o, h + o, dh + o, da + o, c1 - c0);
      accumulate(db + c0, da + o, c1 - c0);
    }
  });
}

template <class T>
void activation_forward(LayerKind kind, T hyper, const T* a, T* h, Index n) {
  if (!is_elementwise(kind) && kind != LayerKind::Step)
    throw std::logic_error("activation_forward: not an element-wise activation");
  chunked(n, [&](Index i0, Index m) { forward_loop(kind, hyper, a + i0, h + i0, m); });
}

template <class T>
void activation_backward(LayerKind kind, T hyper, const T* a, const T* h, const T* dh, T* da,
                         Index n) {
  if (!is_elementwise(kind))
    throw std::logic_error("activation_backward: not a differentiable element-wise activation");
  chunked(n, [&](Index i0, Index m) {
    backward_loop(kind, hyper, a + i0, h + i0, dh + i0, da + i0, m);
  });
}

template <class T>
void prelu_forward(const T* a, const T* alpha, Index n_alpha, T* h, Index rows, Index width) {
  for (Index r = 0; r < rows; ++r) {
    const T* ar = a + r * width;
    T* hr = h + r * width;
    for (Index j = 0; j < width; ++j) {
      const T al = alpha[n_alpha == 1 ? 0 : j];
      hr[j] = ar[j] > T(0) ? ar[j] : al * ar[j];
    }
  }
}

template <class T>
void prelu_backward(const T* a, const T* alpha, Index n_alpha, const T* dh, T* da, T* dalpha,
                    Index rows, Index width) {
  // ∂α = Σ δh·min(a, 0); rows summed in order for a fixed rounding.
  for (Index r = 0; r < rows; ++r) {
    const T* ar = a + r * width;
    const T* dr = dh + r * width;
    T* out = da + r * width;
    for (Index j = 0; j < width; ++j) {
      const Index q = n_alpha == 1 ? 0 : j;
      const T d = dr[j];
      if (ar[j] > T(0)) {
        out[j] = d;
      } else {
        dalpha[q] += d * ar[j];
        out[j] = alpha[q] * d;
      }
    }
  }
}

template <class T>
void softmax_forward(const T* a, T* h, Index rows, Index width) {
  for (Index r = 0; r < rows; ++r) {
    const T* ar = a + r * width;
    T* hr = h + r * width;
    const T mx = *std::max_element(ar, ar + width);
    T s = 0;
    for (Index j = 0; j < width; ++j) s += (hr[j] = fastmath::exp_neg(ar[j] - mx));
    const T inv = T(1) / s;
    for (Index j = 0; j < width; ++j) hr[j] *= inv;
  }
}

template <class T>
void softmax_backward(const T* h, const T* dh, T* da, Index rows, Index width) {
  for (Index r = 0; r < rows; ++r) {
    const T* hr = h + r * width;
    const T* dr = dh + r * width;
    T dot = 0;
    for (Index j = 0; j < width; ++j) dot += dr[j] * hr[j];
    T* out = da + r * width;
    for (Index j = 0; j < width; ++j) out[j] = hr[j] * (dr[j] - dot);
  }
}

#define NNCORE_INSTANTIATE(T)                                                              \
  template void activation_forward<T>(LayerKind, T, const T*, T*, Index);                  \
  template void activation_backward<T>(LayerKind, T, const T*, const T*, const T*, T*,     \
                                       Index);                                             \
  template void prelu_forward<T>(const T*, const T*, Index, T*, Index, Index);             \
  template void prelu_backward<T>(const T*, const T*, Index, const T*, T*, T*, Index,      \
                                  Index);                                                  \
  template void softmax_forward<T>(const T*, T*, Index, Index);                            \
  template void softmax_backward<T>(const T*, const T*, T*, Index, Index);                   \
  template void bias_activation_forward<T>(LayerKind, T, const T*, T*, T*, Index, Index);   \
  template void add_bias<T>(T*, const T*, Index, Index);                                   \
  template void column_sums<T>(const T*, Index, Index, T*);                                \
  template void activation_backward_bias_grad<T>(LayerKind, T, const T*, const T*, const T*, \
                                                 T*, T*, Index, Index);
NNCORE_INSTANTIATE(float)
NNCORE_INSTANTIATE(double)
#undef NNCORE_INSTANTIATE

}  // namespace nncore
