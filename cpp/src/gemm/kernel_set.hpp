// The Family of one CPU family from its SIMD trait and blocking: the same
// thin wrappers for every family, instantiated in each kernel_<family>.cpp
// under that file's CPU flags (unnamed namespace: the copies never merge).
#pragma once
#include "direct.hpp"
#include "packed.hpp"

namespace nncore::gemm_detail {
namespace {

// P: the packed kernel type, S: the SIMD trait; the direct path runs blocks of
// Rows rows x NV vectors, and single rows with Single vectors.
template <class P, class S, int Rows, int NV, int Single>
struct FamilyOf {
  using T = typename S::T;
  static void packed(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A,
                     Index lda, const T* B, Index ldb, T beta, T* C, Index ldc, T* ws,
                     bool ct) {
    P::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws, ct);
  }
  static void direct(bool ta, Index M, Index N, Index K, T alpha, const T* A, Index lda,
                     const T* B, Index ldb, T beta, T* C, Index ldc) {
    Direct<S>::template run<Rows, NV, Single>(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  static constexpr Family<T> family() {
    return {P::MR, P::NR, S::W, Rows, &packed, &P::ws_elems, &direct,
            &P::kc_of, &P::pack_a_rows, &P::pack_b_cols, &P::block};
  }
};

}  // namespace
}  // namespace nncore::gemm_detail
