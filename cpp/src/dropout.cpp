// Inverted dropout's forward and backward passes (nncore/dropout.hpp): both
// redraw the mask from its key, so nothing is stored between them. Rows are
// cut into fixed pieces; each element depends only on its own key.
#include "nncore/dropout.hpp"

#include <algorithm>

#include "nncore/parallel.hpp"

namespace nncore {

namespace {

template <class T>
void apply_mask(const DropoutKey& key, Index layer, double p, const T* in, T* out, Index rows,
                Index width) {
  const T scale = T(1.0 / (1.0 - p));
  const Index piece_rows = std::max<Index>(1, 4096 / std::max<Index>(width, 1));
  const Index pieces = worth_threads(rows * width) ? (rows + piece_rows - 1) / piece_rows : 1;
  for_pieces(pieces, [&](Index piece) {
    const Index r0 = pieces == 1 ? 0 : piece * piece_rows;
    const Index r1 = pieces == 1 ? rows : std::min(rows, r0 + piece_rows);
    for (Index r = r0; r < r1; ++r) {
      const std::uint64_t k = dropout_row_key(key.seed, key.step, layer, key.id(r));
      const T* x = in + r * width;
      T* y = out + r * width;
      for (Index j = 0; j < width; ++j) y[j] = dropout_keep(k, j, p) ? x[j] * scale : T(0);
    }
  });
}

}  // namespace

template <class T>
void dropout_forward(const DropoutKey& key, Index layer, double p, const T* x, T* h, Index rows,
                     Index width) {
  apply_mask(key, layer, p, x, h, rows, width);
}

template <class T>
void dropout_backward(const DropoutKey& key, Index layer, double p, const T* dh, T* dx,
                      Index rows, Index width) {
  apply_mask(key, layer, p, dh, dx, rows, width);
}

template void dropout_forward<float>(const DropoutKey&, Index, double, const float*, float*,
                                     Index, Index);
template void dropout_forward<double>(const DropoutKey&, Index, double, const double*, double*,
                                      Index, Index);
template void dropout_backward<float>(const DropoutKey&, Index, double, const float*, float*,
                                      Index, Index);
template void dropout_backward<double>(const DropoutKey&, Index, double, const double*,
                                       double*, Index, Index);

}  // namespace nncore
