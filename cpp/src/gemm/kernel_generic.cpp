// Portable kernels (no CPU flags): the same packed/direct code over scalar
// "vectors"; the compiler vectorises what it can with the baseline ISA.
#include "kernel_set.hpp"

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
constexpr KernelSet kSet{
    "generic",
    FamilyOf<Packed<Scalar<float>, 4, 8, 256, 128, 4096>, Scalar<float>, kDirectRows, 4, 8>::family(),
    FamilyOf<Packed<Scalar<double>, 4, 4, 256, 96, 4096>, Scalar<double>, kDirectRows, 4, 8>::family()};

}  // namespace

const KernelSet* kernels_generic() { return &kSet; }

}  // namespace nncore::gemm_detail
