// Inverted dropout with a counter-based mask: whether unit j of sample `id` is
// kept in layer `layer` at training step `step` is a pure function of
// (seed, step, layer, id, j) (SplitMix64's finaliser applied in a chain), so the
// mask does not depend on the thread count, on how a batch is cut into pieces,
// or on where in a batch a sample sits, and nncore.reference draws the same one.
#pragma once
#include <cstdint>

#include "nncore/layer.hpp"
#include "nncore/tangent.hpp"  // mix64: SplitMix64's output function

namespace nncore {

// What a training pass needs to draw its masks. ids: the dataset row of each
// batch row (fit's epoch permutation), or nullptr for row0, row0 + 1, ...
struct DropoutKey {
  bool on = false;
  std::uint64_t seed = 0, step = 0;
  const Index* ids = nullptr;
  Index row0 = 0;
  Index id(Index r) const { return ids ? ids[r] : row0 + r; }
};

// The key of one (layer, sample): the chain seed → step → layer → sample.
inline std::uint64_t dropout_row_key(std::uint64_t seed, std::uint64_t step, Index layer,
                                     Index id) {
  std::uint64_t k = mix64(seed ^ 0xD6E8FEB86659FD93ull);
  k = mix64(k + step);
  k = mix64(k + std::uint64_t(layer));
  return mix64(k + std::uint64_t(id));
}

// Unit j is dropped when the top 53 bits of mix64(row_key + j), as a fraction
// of 2^53, are below p (exact in double, so C++ and NumPy agree bit for bit).
inline bool dropout_keep(std::uint64_t row_key, Index j, double p) {
  return double(mix64(row_key + std::uint64_t(j)) >> 11) * 0x1p-53 >= p;
}

// h = x·m/(1−p) with m ∈ {0, 1} from the key (rows × width); h may alias x.
template <class T>
void dropout_forward(const DropoutKey& key, Index layer, double p, const T* x, T* h, Index rows,
                     Index width);
// δx = δh·m/(1−p), the same mask; δx may alias δh.
template <class T>
void dropout_backward(const DropoutKey& key, Index layer, double p, const T* dh, T* dx,
                      Index rows, Index width);

}  // namespace nncore
