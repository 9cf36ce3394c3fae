// Hot element-wise loops get AVX-512 and AVX2 clones, one picked at load time
// (target_clones / ifunc), so one build runs on any x86-64 and still uses wide
// vectors where the CPU has them (AVX-512 made the digits network 22 % faster
// than AVX2 on this Zen machine). Elsewhere (MSVC, macOS, arm64) the
// attributes vanish and the loops get the build's baseline ISA; musl has no
// ifunc, so musllinux builds go without clones too.
//
// GCC clones any function, templates included: NNCORE_SIMD_CLONES. Clang
// (>= 14, x86-64 Linux) clones only non-template functions, so the portable
// pattern, the same for both compilers, is a template body marked
// NNCORE_SIMD_INLINE called from one non-template entry per type marked
// NNCORE_SIMD_ENTRY: the body is inlined into, and vectorised for, each clone.
//   template <class T> NNCORE_SIMD_INLINE void body(T* x, Index n) { ... }
//   NNCORE_SIMD_ENTRY void run(float* x, Index n) { body(x, n); }
// NNCORE_SIMD_CLONES on a template is GCC-only (clang builds skip it).
#pragma once
#include <cstdint>  // defines __GLIBC__ where the C library is glibc

// ThreadSanitizer instruments the clones' ifunc resolvers, which the loader runs before
// the TSan runtime is set up (a crash at start): TSan builds go without clones.
#if defined(__SANITIZE_THREAD__)
#define NNCORE_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NNCORE_NO_CLONES 1
#endif
#endif

// ifunc, which the clones need, is a glibc feature (musl has none).
#if defined(__has_attribute) && !defined(NNCORE_NO_CLONES)
#if __has_attribute(target_clones) && defined(__x86_64__) && defined(__linux__) && \
    defined(__GLIBC__)
#define NNCORE_HAVE_TARGET_CLONES 1
#endif
#endif

#if defined(NNCORE_HAVE_TARGET_CLONES) && defined(__GNUC__) && !defined(__clang__) && \
    __GNUC__ >= 11
// The psABI levels: v4 = AVX-512 F/BW/CD/DQ/VL, v3 = AVX2 + FMA + BMI.
#define NNCORE_SIMD_CLONE_LIST "arch=x86-64-v4", "arch=x86-64-v3", "default"
#define NNCORE_SIMD_CLONES __attribute__((target_clones(NNCORE_SIMD_CLONE_LIST)))
#define NNCORE_SIMD_CLONE_IS(level, feature) __builtin_cpu_supports(level)
#elif defined(NNCORE_HAVE_TARGET_CLONES) && defined(__clang__)
// Clang resolves "arch=<cpu>" clones by CPU model (an AMD CPU would never get
// "arch=haswell") and clang 14 drops "arch=x86-64-v3" beside v4, so its clones
// name one feature each. avx512dq implies AVX-512F, AVX2 and FMA, and adds what
// GCC's v4 clone has and avx512f lacks: 64-bit multiplies and int64 <-> double
// conversions in vectors (the tangent generator's hash and uniforms; with
// "avx512f" clang drew xor's 17-entry tangent in 127 ns against gcc's 87, now
// 93; moons-fg's step 9.5 -> 8.7 µs, gcc 8.1: tiny_bench, least of 4). Every
// CPU with AVX-512F but Xeon Phi has DQ. The avx2 clone has no FMA (no single
// feature implies both; FMA-less loops on AVX2-only CPUs were not measured).
#define NNCORE_SIMD_CLONE_LIST "avx512dq", "avx2", "default"
#define NNCORE_SIMD_CLONES
#define NNCORE_SIMD_CLONE_IS(level, feature) __builtin_cpu_supports(feature)
#endif

#ifdef NNCORE_SIMD_CLONE_LIST
#define NNCORE_SIMD_ENTRY __attribute__((target_clones(NNCORE_SIMD_CLONE_LIST)))
#define NNCORE_SIMD_INLINE inline __attribute__((always_inline))
#else
#define NNCORE_SIMD_CLONES
#define NNCORE_SIMD_ENTRY
#define NNCORE_SIMD_INLINE inline
#endif

// Loops whose trip counts are often short (a row of a layer, a tiny network's whole
// arena): by default clang vectorises them four vectors per iteration and runs
// anything shorter (a 10-wide row: all of it) scalar, where GCC runs one vector per
// iteration and a short tail. This asks clang for one vector per iteration and a
// masked tail; GCC needs nothing. Not for a bare add per element called row by row
// (a bias row): there the mask's set-up costs more than the scalar loop it replaces.
#if defined(__clang__)
#define NNCORE_SHORT_LOOP _Pragma("clang loop vectorize_predicate(enable) interleave_count(1)")
#else
#define NNCORE_SHORT_LOOP
#endif

namespace nncore {
// For nc.show_config(): the clones this build has ("" if none), and the one
// the loader's resolver picks on this CPU (the same test it makes).
inline const char* simd_clones_compiled() {
#if defined(NNCORE_SIMD_CLONE_LIST) && defined(__clang__)
  return "avx512dq,avx2,default";
#elif defined(NNCORE_SIMD_CLONE_LIST)
  return "x86-64-v4,x86-64-v3,default";
#else
  return "";
#endif
}

inline const char* simd_clone_selected() {
#ifdef NNCORE_SIMD_CLONE_LIST
  __builtin_cpu_init();
  if (NNCORE_SIMD_CLONE_IS("x86-64-v4", "avx512dq")) return "avx512";
  if (NNCORE_SIMD_CLONE_IS("x86-64-v3", "avx2")) return "avx2";
  return "default";
#else
  return "";
#endif
}
}  // namespace nncore
