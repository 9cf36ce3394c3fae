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
