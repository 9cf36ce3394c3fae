// Hot element-wise loops get AVX-512 (x86-64-v4) and AVX2+FMA (v3) clones,
// one picked at load time (GCC's target_clones / ifunc), so one build runs on
// any x86-64 and still uses wide vectors where the CPU has them (v4 made the
// digits network 22 % faster than v3 on this Zen machine). Elsewhere the
// attribute vanishes.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NNCORE_SIMD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NNCORE_SIMD_CLONES
#endif
