// Whether every value of an array is finite: the input check of predict and
// fit. On a large X this scan is a real share of a call (a 1024-row predict
// reads X once more than the forward pass does), so it runs in fixed chunks
// on the thread team like any other pass; the answer is an AND, the same for
// every thread count.
#pragma once
#include "nncore/gemm.hpp"

namespace nncore {

template <class T>
bool all_finite(const T* x, Index n);

}  // namespace nncore
