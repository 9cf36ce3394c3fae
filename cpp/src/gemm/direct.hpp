// Direct (unpacked) GEMM over the SIMD trait S (see common.hpp).
#pragma once
#include "common.hpp"

namespace nncore::gemm_detail {
namespace {

// No packing: for small problems, batch-1 inference (M = 1) and thin outputs.
// RB rows x NV vectors of C accumulate over the whole K in order (the same
// per-element arithmetic as the packed path when K fits one KC block).
// op(B)(p, j) = B[p*ldb + j] (the driver transposes NT's B first).
template <class S>
struct Direct {
  using T = typename S::T;
  using V = typename S::V;
  using M = typename S::M;

  template <int RB, int NV, bool MASK>
  static inline void block(bool ta, Index K, T alpha, const T* A, Index lda, const T* B,
                           Index ldb, T beta, T* C, Index ldc, Index ncols) {
    V acc[RB][NV];
#pragma GCC unroll 16
    for (int r = 0; r < RB; ++r)
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[r][v] = S::zero();
    M m{};
    if (MASK) m = S::mask(int(ncols));  // MASK: NV == 1 and 0 < ncols < W
    const Index sa_i = ta ? 1 : lda, sa_p = ta ? lda : 1;
    for (Index p = 0; p < K; ++p) {
      V b[NV];
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v)
        b[v] = MASK ? S::maskload(B + p * ldb, m) : S::loadu(B + p * ldb + v * S::W);
#pragma GCC unroll 16
      for (int r = 0; r < RB; ++r) {
        const V a = S::bcast(A + r * sa_i + p * sa_p);
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) acc[r][v] = S::fma(a, b[v], acc[r][v]);
      }
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
    const bool beta0 = beta == T(0);
#pragma GCC unroll 16
    for (int r = 0; r < RB; ++r)
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) {
        if (MASK) update_masked<S>(C + r * ldc, m, acc[r][v], va, vb, beta0);
        else update<S>(C + r * ldc + v * S::W, acc[r][v], va, vb, beta0);
      }
  }

  // Columns [j, N) in blocks of NV vectors, then NV/2, ... down to single
  // vectors; returns where the full vectors end. The halving keeps several
  // accumulators in flight when N is below NV vectors (a 128-column block of a
  // batch-1 product ran on one accumulator, latency-bound: 2.4x slower).
  // Every element is the same chain of FMAs over K whatever block holds it.
  template <int RB, int NV>
  static Index columns(bool ta, Index j, Index N, Index K, T alpha, const T* A, Index lda,
                       const T* B, Index ldb, T beta, T* C, Index ldc) {
    for (; j + NV * S::W <= N; j += NV * S::W)
      block<RB, NV, false>(ta, K, alpha, A, lda, B + j, ldb, beta, C + j, ldc, NV * S::W);
    if constexpr (NV > 1)
      return columns<RB, NV / 2>(ta, j, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return j;
  }

  // One strip of RB rows: wide blocks, narrower ones, then a masked tail.
  template <int RB, int NV>
  static void strip(bool ta, Index N, Index K, T alpha, const T* A, Index lda, const T* B,
                    Index ldb, T beta, T* C, Index ldc) {
    const Index j = columns<RB, NV>(ta, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (j < N) block<RB, 1, true>(ta, K, alpha, A, lda, B + j, ldb, beta, C + j, ldc, N - j);
  }

  template <int RB, int NVR, int NV1>
  static void run(bool ta, Index M, Index N, Index K, T alpha, const T* A, Index lda,
                  const T* B, Index ldb, T beta, T* C, Index ldc) {
    const Index sa_i = ta ? 1 : lda;
    Index i = 0;
    for (; i + RB <= M; i += RB)
      strip<RB, NVR>(ta, N, K, alpha, A + i * sa_i, lda, B, ldb, beta, C + i * ldc, ldc);
    // Leftover rows (and batches below RB): 4-, 2-, then 1-row strips with wider
    // column blocks, so B is streamed once per strip, not once per row
    // (4x512x512 float: 38.6 -> 12.1 us), keeping ~NV1 accumulators in flight.
    if (RB > 4 && i + 4 <= M) {
      strip<4, (NV1 / 4 > 0 ? NV1 / 4 : 1)>(ta, N, K, alpha, A + i * sa_i, lda, B, ldb, beta,
                                            C + i * ldc, ldc);
      i += 4;
    }
    if (RB > 2 && i + 2 <= M) {
      strip<2, (NV1 / 2 > 0 ? NV1 / 2 : 1)>(ta, N, K, alpha, A + i * sa_i, lda, B, ldb, beta,
                                            C + i * ldc, ldc);
      i += 2;
    }
    for (; i < M; ++i)
      strip<1, NV1>(ta, N, K, alpha, A + i * sa_i, lda, B, ldb, beta, C + i * ldc, ldc);
  }
};

}  // namespace
}  // namespace nncore::gemm_detail
