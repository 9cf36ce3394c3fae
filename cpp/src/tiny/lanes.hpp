// One feature of a block of the tiny path: L rows side by side in a 64-byte
// vector. GCC and Clang get their vector extension (one zmm register on
// AVX-512, two ymm on AVX2, four xmm otherwise); other compilers a struct
// with the same few operators, left to their auto-vectoriser.
#pragma once
#include <cstdint>

namespace nncore::tiny {

template <class T>
struct Lanes {
  static constexpr std::int64_t L = std::int64_t(64 / sizeof(T));
#if defined(__GNUC__)
  typedef T V __attribute__((vector_size(64)));
#else
  struct alignas(64) V {
    T x[L];
    V& operator+=(const V& o) { for (std::int64_t l = 0; l < L; ++l) x[l] += o.x[l]; return *this; }
    friend V operator*(T s, const V& a) { V r; for (std::int64_t l = 0; l < L; ++l) r.x[l] = s * a.x[l]; return r; }
    friend V operator*(const V& a, const V& b) { V r; for (std::int64_t l = 0; l < L; ++l) r.x[l] = a.x[l] * b.x[l]; return r; }
    friend V operator+(const V& a, T s) { V r; for (std::int64_t l = 0; l < L; ++l) r.x[l] = a.x[l] + s; return r; }
  };
#endif
  // What buffers of V hold: GCC drops V's alignment from template arguments
  // (std::vector<V> would allocate 16-byte aligned), a class keeps it.
  struct alignas(64) Slot {
    V v;
  };
};

}  // namespace nncore::tiny
