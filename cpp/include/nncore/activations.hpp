// Element-wise activations h = σ(a) and their backward δa = σ'(a)·δh.
// The backward pass sees both the input a and the output h of the layer,
// and uses whichever makes the derivative cheapest (sigmoid: h(1−h)).
#pragma once
#include <algorithm>
#include <cmath>

#include "nncore/fastmath.hpp"
#include "nncore/layer.hpp"
#include "nncore/simd.hpp"

namespace nncore {

template <class T>
inline T sigmoid(T a) { return fastmath::sigmoid(a); }

// h = σ(a) over n values. kind is an element-wise activation (not PReLU/Softmax).
template <class T>
void activation_forward(LayerKind kind, T hyper, const T* a, T* h, Index n);

// δa = σ'(a)·δh. δa may alias δh.
template <class T>
void activation_backward(LayerKind kind, T hyper, const T* a, const T* h,
                         const T* dh, T* da, Index n);

// a += b on every row of a (rows × cols): the bias of a Dense layer.
template <class T>
void add_bias(T* a, const T* b, Index rows, Index cols);

// sums[j] = Σ_r x[r, j] with the rows added in order (∂b = Σ_rows δ), so the
// result does not depend on the thread count.
template <class T>
void column_sums(const T* x, Index rows, Index cols, T* sums);

// Whether `kind` is an element-wise activation with a derivative (fusable with Dense).
bool is_elementwise(LayerKind kind);

// Dense epilogue, one pass over a (rows×cols, bias not yet added): a += b row-wise,
// then h = σ(a). Rows are split across threads; a and h both stay for backward.
template <class T>
void bias_activation_forward(LayerKind kind, T hyper, const T* b, T* a, T* h, Index rows,
                             Index cols);

// δa = σ'(a)·δh and, in the same pass, db = Σ_rows δa (the Dense bias
// gradient). Columns are split across threads and each sums its rows in
// order, so db does not depend on the thread count. δa may alias δh.
template <class T>
void activation_backward_bias_grad(LayerKind kind, T hyper, const T* a, const T* h,
                                   const T* dh, T* da, T* db, Index rows, Index cols);

// PReLU over rows×width with α shared (n_alpha = 1) or per unit.
template <class T>
void prelu_forward(const T* a, const T* alpha, Index n_alpha, T* h, Index rows, Index width);
// δa and ∂α (accumulated into dalpha, which the caller zeroes).
template <class T>
void prelu_backward(const T* a, const T* alpha, Index n_alpha, const T* dh, T* da,
                    T* dalpha, Index rows, Index width);

// Row-wise softmax and its Jacobian-vector product δa = h ⊙ (δh − ⟨δh, h⟩).
template <class T>
void softmax_forward(const T* a, T* h, Index rows, Index width);
template <class T>
void softmax_backward(const T* h, const T* dh, T* da, Index rows, Index width);

}  // namespace nncore
