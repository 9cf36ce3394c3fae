// AVX-512F kernels (compiled with -mavx512f -mfma; only called when the CPU has AVX-512F).
// Zen 5 runs 512-bit FMAs at full width (2 per cycle), twice the AVX2 rate.
// Packed tile 8x2 vectors (8x32 float, 8x16 double), KC = 512: measured best on
// the training shapes (8x32 beat 12x32 and 14x32 by ~4 %: M = 128 batches split
// evenly and fewer loads per FMA are not the limit here). Tails use lane masks.
#include <immintrin.h>
#include "kernel_set.hpp"

namespace nncore::gemm_detail {
namespace {

// In-register W x W transpose by block swaps (b = W/2, ..., 1): rows i and i+b
// exchange their off-diagonal b x b blocks, one two-source permute per row.
// Index vectors are compile-time constants (row i keeps its low-b columns and
// takes row i+b's; row i+b takes row i's high-b columns and keeps its own).
constexpr int lo_idx(int W, int b, int c) { return (c & b) ? W + c - b : c; }
constexpr int hi_idx(int W, int b, int c) { return (c & b) ? W + c : c + b; }

template <int b>
inline void stage16(__m512* r) {
#define NN_I(f) _mm512_setr_epi32(f(16, b, 0), f(16, b, 1), f(16, b, 2), f(16, b, 3), \
    f(16, b, 4), f(16, b, 5), f(16, b, 6), f(16, b, 7), f(16, b, 8), f(16, b, 9),     \
    f(16, b, 10), f(16, b, 11), f(16, b, 12), f(16, b, 13), f(16, b, 14), f(16, b, 15))
  const __m512i il = NN_I(lo_idx), ih = NN_I(hi_idx);
#undef NN_I
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    if (i & b) continue;
    const __m512 x = r[i], y = r[i + b];
    r[i] = _mm512_permutex2var_ps(x, il, y);
    r[i + b] = _mm512_permutex2var_ps(x, ih, y);
  }
}

template <int b>
inline void stage8(__m512d* r) {
#define NN_I(f) _mm512_setr_epi64(f(8, b, 0), f(8, b, 1), f(8, b, 2), f(8, b, 3), \
    f(8, b, 4), f(8, b, 5), f(8, b, 6), f(8, b, 7))
  const __m512i il = NN_I(lo_idx), ih = NN_I(hi_idx);
#undef NN_I
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    if (i & b) continue;
    const __m512d x = r[i], y = r[i + b];
    r[i] = _mm512_permutex2var_pd(x, il, y);
    r[i + b] = _mm512_permutex2var_pd(x, ih, y);
  }
}

struct F32x16 {
  using T = float;
  using V = __m512;
  using M = __mmask16;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V bcast(const T* p) { return _mm512_set1_ps(*p); }
  static V load(const T* p) { return _mm512_load_ps(p); }
  static V loadu(const T* p) { return _mm512_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static M mask(int n) { return M((1u << n) - 1u); }
  static V maskload(const T* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void maskstore(T* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static void transpose(V* r) {
    stage16<8>(r), stage16<4>(r), stage16<2>(r), stage16<1>(r);
  }
};

struct F64x8 {
  using T = double;
  using V = __m512d;
  using M = __mmask8;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V bcast(const T* p) { return _mm512_set1_pd(*p); }
  static V load(const T* p) { return _mm512_load_pd(p); }
  static V loadu(const T* p) { return _mm512_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static M mask(int n) { return M((1u << n) - 1u); }
  static V maskload(const T* p, M m) { return _mm512_maskz_loadu_pd(m, p); }
  static void maskstore(T* p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
  static void transpose(V* r) {
    stage8<4>(r), stage8<2>(r), stage8<1>(r);
  }
};

// Direct path row block (measured best: 8 rows x 2 vectors on AVX-512, 6 x 2 on AVX2).
constexpr int kDirectRows = 8;

// Packed blocking: MR, NV (vectors per row), KC, MC, NC. NC caps the packed B
// block at 4 MiB per thread (it lives in L3); 2048 vs 4096 made no difference.
constexpr KernelSet kSet{
    "avx512",
    FamilyOf<Packed<F32x16, 8, 2, 512, 144, 2048>, F32x16, kDirectRows, 2, 16>::family(),
    FamilyOf<Packed<F64x8, 8, 2, 512, 96, 1024>, F64x8, kDirectRows, 2, 16>::family()};

}  // namespace

const KernelSet* kernels_avx512() { return &kSet; }

}  // namespace nncore::gemm_detail
