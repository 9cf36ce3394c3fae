// AVX2 + FMA kernels (compiled with -mavx2 -mfma; only called when the CPU has both).
// 6x16 float / 6x8 double register tiles: 12 accumulators + 2 B vectors + 1
// broadcast fit the 16 ymm registers, 12 independent FMA chains hide latency.
// KC = 512 measured best for float (KC 256/384 within 2 %).
#include <immintrin.h>
#include "kernel_set.hpp"

namespace nncore::gemm_detail {
namespace {

struct F32x8 {
  using T = float;
  using V = __m256;
  using M = __m256i;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V load(const T* p) { return _mm256_load_ps(p); }
  static V loadu(const T* p) { return _mm256_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static M mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V maskload(const T* p, M m) { return _mm256_maskload_ps(p, m); }
  static void maskstore(T* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
  static void transpose(V* r) {
    V t[8], u[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; ++h) {
      u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
      u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
      u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
      u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    for (int q = 0; q < 4; ++q) {
      r[q] = _mm256_permute2f128_ps(u[q], u[q + 4], 0x20);
      r[q + 4] = _mm256_permute2f128_ps(u[q], u[q + 4], 0x31);
    }
  }
};

struct F64x4 {
  using T = double;
  using V = __m256d;
  using M = __m256i;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V load(const T* p) { return _mm256_load_pd(p); }
  static V loadu(const T* p) { return _mm256_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static M mask(int n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static V maskload(const T* p, M m) { return _mm256_maskload_pd(p, m); }
  static void maskstore(T* p, M m, V v) { _mm256_maskstore_pd(p, m, v); }
  static void transpose(V* r) {
    const V t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const V t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
};

// Direct path row block (measured best: 8 rows x 2 vectors on AVX-512, 6 x 2 on AVX2).
constexpr int kDirectRows = 6;

// Packed blocking: MR, NV (vectors per row), KC, MC, NC; direct: 6 rows x 2
// vectors, single rows with 8 vectors.
constexpr KernelSet kSet{
    "avx2",
    FamilyOf<Packed<F32x8, 6, 2, 512, 144, 2048>, F32x8, kDirectRows, 2, 8>::family(),
    FamilyOf<Packed<F64x4, 6, 2, 256, 96, 2048>, F64x4, kDirectRows, 2, 8>::family()};

}  // namespace

const KernelSet* kernels_avx2() { return &kSet; }

}  // namespace nncore::gemm_detail
