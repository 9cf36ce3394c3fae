// Shared pieces of the GEMM kernels, written once over a small SIMD trait `S`
// and instantiated in each kernel translation unit under that unit's CPU flags
// (packed.hpp: BLIS-style packed GEMM, direct.hpp: unpacked small-problem path).
// Everything sits in an unnamed namespace so the per-ISA copies never merge
// at link time (an AVX-512 body must not stand in for the generic one).
//
// S provides: T, V, M (mask), W (lanes), zero, set1, bcast, load (aligned),
// loadu, storeu, fma(a,b,c)=a*b+c, mul, mask(n), maskload, maskstore,
// transpose(V r[W]) (in-register W x W transpose).
#pragma once
#include <cstddef>
#include <cstdint>
#include "family.hpp"

namespace nncore::gemm_detail {
namespace {

inline Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }
inline Index round_up(Index a, Index b) { return ceil_div(a, b) * b; }
inline Index imin(Index a, Index b) { return a < b ? a : b; }

// C tile update shared by every path, so an element's value never depends on
// where it falls (full tile, edge tile, direct path block): c = alpha*acc + beta*c,
// and beta == 0 never reads C.
template <class S>
inline void update(typename S::T* c, typename S::V acc, typename S::V va,
                   typename S::V vb, bool beta0) {
  if (beta0) S::storeu(c, S::mul(va, acc));
  else S::storeu(c, S::fma(va, acc, S::mul(vb, S::loadu(c))));
}
template <class S>
inline void update_masked(typename S::T* c, typename S::M m, typename S::V acc,
                          typename S::V va, typename S::V vb, bool beta0) {
  if (beta0) S::maskstore(c, m, S::mul(va, acc));
  else S::maskstore(c, m, S::fma(va, acc, S::mul(vb, S::maskload(c, m))));
}

}  // namespace
}  // namespace nncore::gemm_detail
