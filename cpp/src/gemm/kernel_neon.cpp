// AArch64 Advanced SIMD (NEON) kernels. NEON is part of the AArch64 baseline,
// so this file needs no CPU flags and no run-time check: on Arm the dispatcher
// takes it whenever it is compiled in. Elsewhere (the x86-64 slice of a macOS
// universal build, say) kernels_neon() is nullptr.
// 8x12 float / 6x8 double register tiles (the BLIS armv8a shapes): 24
// accumulators + the B vectors + 1 broadcast fit the 32 q registers.
#include "kernel_set.hpp"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

namespace nncore::gemm_detail {
namespace {

// NEON has no masked load/store: the mask is the lane count and the tails go
// through a small stack buffer (only the last partial vector of a row).
struct F32x4 {
  using T = float;
  using V = float32x4_t;
  using M = int;
  static constexpr int W = 4;
  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(T x) { return vdupq_n_f32(x); }
  static V bcast(const T* p) { return vld1q_dup_f32(p); }
  static V load(const T* p) { return vld1q_f32(p); }
  static V loadu(const T* p) { return vld1q_f32(p); }
  static void storeu(T* p, V v) { vst1q_f32(p, v); }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static M mask(int n) { return n; }
  static V maskload(const T* p, M n) {
    T t[W] = {};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f32(t);
  }
  static void maskstore(T* p, M n, V v) {
    T t[W];
    vst1q_f32(t, v);
    for (int i = 0; i < n; ++i) p[i] = t[i];
  }
  static void transpose(V* r) {
    const V t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);  // a0 b0 a2 b2 | a1 b1 a3 b3
    const V t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);  // c0 d0 c2 d2 | c1 d1 c3 d3
    const auto d = [](V x) { return vreinterpretq_f64_f32(x); };
    r[0] = vreinterpretq_f32_f64(vtrn1q_f64(d(t0), d(t2)));
    r[1] = vreinterpretq_f32_f64(vtrn1q_f64(d(t1), d(t3)));
    r[2] = vreinterpretq_f32_f64(vtrn2q_f64(d(t0), d(t2)));
    r[3] = vreinterpretq_f32_f64(vtrn2q_f64(d(t1), d(t3)));
  }
};

struct F64x2 {
  using T = double;
  using V = float64x2_t;
  using M = int;
  static constexpr int W = 2;
  static V zero() { return vdupq_n_f64(0.0); }
  static V set1(T x) { return vdupq_n_f64(x); }
  static V bcast(const T* p) { return vld1q_dup_f64(p); }
  static V load(const T* p) { return vld1q_f64(p); }
  static V loadu(const T* p) { return vld1q_f64(p); }
  static void storeu(T* p, V v) { vst1q_f64(p, v); }
  static V fma(V a, V b, V c) { return vfmaq_f64(c, a, b); }
  static V mul(V a, V b) { return vmulq_f64(a, b); }
  static M mask(int n) { return n; }
  static V maskload(const T* p, M n) {
    T t[W] = {};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f64(t);
  }
  static void maskstore(T* p, M n, V v) {
    T t[W];
    vst1q_f64(t, v);
    for (int i = 0; i < n; ++i) p[i] = t[i];
  }
  static void transpose(V* r) {
    const V t0 = vtrn1q_f64(r[0], r[1]), t1 = vtrn2q_f64(r[0], r[1]);
    r[0] = t0;
    r[1] = t1;
  }
};

// Direct path: 6 rows x 3 vectors (18 accumulators), single rows with 8
// vectors. Not tuned on Arm hardware (only run under qemu here).
constexpr int kDirectRows = 6;

// Packed blocking: MR, NV (vectors per row), KC, MC, NC.
constexpr KernelSet kSet{
    "neon",
    FamilyOf<Packed<F32x4, 8, 3, 512, 128, 2040>, F32x4, kDirectRows, 3, 8>::family(),
    FamilyOf<Packed<F64x2, 6, 4, 256, 96, 2048>, F64x2, kDirectRows, 3, 8>::family()};

}  // namespace

const KernelSet* kernels_neon() { return &kSet; }

}  // namespace nncore::gemm_detail

#else

namespace nncore::gemm_detail {
const KernelSet* kernels_neon() { return nullptr; }
}  // namespace nncore::gemm_detail

#endif
