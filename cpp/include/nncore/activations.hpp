// Element-wise activations h = σ(a) and their backward δa = σ'(a)·δh.
// The backward pass sees both the input a and the output h of the layer,
// and uses whichever makes the derivative cheapest (sigmoid: h(1−h)).
#pragma once
#include <algorithm>
#include <cmath>

#include "nncore/fastmath.hpp"
#include "nncore/layer.hpp"

// Element-wise loops get an AVX2+FMA clone picked at load time (GCC ifunc),
// so one build runs on any x86-64 and still vectorises where it can.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NNCORE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NNCORE_SIMD_CLONES
#endif

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
