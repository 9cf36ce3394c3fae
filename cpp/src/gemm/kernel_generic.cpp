// Portable kernels (no CPU flags): the same packed/direct code over scalar
// "vectors"; the compiler vectorises what it can with the baseline ISA.
#include "direct.hpp"
#include "packed.hpp"

namespace nncore::gemm_detail {
namespace {

template <class T_>
struct Scalar {
  using T = T_;
  using V = T_;
  using M = bool;
  static constexpr int W = 1;
  static V zero() { return T(0); }
  static V set1(T x) { return x; }
  static V bcast(const T* p) { return *p; }
  static V load(const T* p) { return *p; }
  static V loadu(const T* p) { return *p; }
  static void storeu(T* p, V v) { *p = v; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V mul(V a, V b) { return a * b; }
  static M mask(int n) { return n > 0; }
  static V maskload(const T* p, M m) { return m ? *p : T(0); }
  static void maskstore(T* p, M m, V v) { if (m) *p = v; }
  static void transpose(V*) {}
};

// Direct path row block (measured best: 8 rows x 2 vectors on AVX-512, 6 x 2 on AVX2).
constexpr int kDirectRows = 4;

// MR, NV (= NR here), KC, MC, NC
using PF = Packed<Scalar<float>, 4, 8, 256, 128, 4096>;
using PD = Packed<Scalar<double>, 4, 4, 256, 96, 4096>;

void packed_f32(bool ta, bool tb, Index M, Index N, Index K, float alpha, const float* A,
                Index lda, const float* B, Index ldb, float beta, float* C, Index ldc,
                float* ws, bool ct) {
  PF::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws, ct);
}
void packed_f64(bool ta, bool tb, Index M, Index N, Index K, double alpha, const double* A,
                Index lda, const double* B, Index ldb, double beta, double* C, Index ldc,
                double* ws, bool ct) {
  PD::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws, ct);
}
void direct_f32(bool ta, Index M, Index N, Index K, float alpha, const float* A, Index lda,
                const float* B, Index ldb, float beta, float* C, Index ldc) {
  Direct<Scalar<float>>::run<kDirectRows, 4, 8>(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void direct_f64(bool ta, Index M, Index N, Index K, double alpha, const double* A, Index lda,
                const double* B, Index ldb, double beta, double* C, Index ldc) {
  Direct<Scalar<double>>::run<kDirectRows, 4, 8>(ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

const KernelSet kSet{"generic",
                     {PF::MR, PF::NR, 1, kDirectRows, packed_f32, PF::ws_elems, direct_f32},
                     {PD::MR, PD::NR, 1, kDirectRows, packed_f64, PD::ws_elems, direct_f64}};

}  // namespace

const KernelSet* kernels_generic() { return &kSet; }

}  // namespace nncore::gemm_detail
