// Accuracy counting for the classification losses (bce, ce).
#pragma once
#include <algorithm>

#include "nncore/losses.hpp"

namespace nncore::train {

inline bool classification(LossKind loss) { return loss == LossKind::BCE || loss == LossKind::CE; }

// Correct predictions in rows of h (the network's output) against the targets.
template <class T>
Index count_correct(const T* h, Targets<T> y, Index rows, Index width, LossKind loss) {
  Index correct = 0;
  if (loss == LossKind::BCE) {  // element-wise threshold at ½, like Keras' binary accuracy
    for (Index i = 0; i < rows * width; ++i) correct += (h[i] > T(0.5)) == (y.Y[i] > T(0.5));
    return correct;
  }
  for (Index r = 0; r < rows; ++r) {
    const T* hr = h + r * width;
    const Index pred = Index(std::max_element(hr, hr + width) - hr);
    Index truth;
    if (y.labels) truth = Index(y.labels[r]);
    else truth = Index(std::max_element(y.Y + r * width, y.Y + (r + 1) * width) - (y.Y + r * width));
    correct += pred == truth;
  }
  return correct;
}

// The fraction correct: per element for bce, per row for ce.
inline double accuracy(Index correct, Index rows, Index width, LossKind loss) {
  return double(correct) / double(rows * (loss == LossKind::BCE ? width : 1));
}

}  // namespace nncore::train
