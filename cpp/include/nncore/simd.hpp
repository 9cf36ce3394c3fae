// Hot element-wise loops get an AVX2+FMA clone picked at load time (GCC's
// target_clones / ifunc), so one build runs on any x86-64 and still uses
// 256-bit vectors where the CPU has them. Elsewhere the attribute vanishes.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NNCORE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define NNCORE_SIMD_CLONES
#endif
