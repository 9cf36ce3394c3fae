// Internal interface between the GEMM driver (gemm.cpp) and the kernel
// families, each compiled in its own translation unit with its own CPU flags.
#pragma once
#include <cstddef>
#include "nncore/gemm.hpp"

namespace nncore::gemm_detail {

template <class T>
struct Family {
  int mr, nr;  // register tile of the packed kernel (thread split granularity)
  int dw;      // vector width of the direct kernel (column granularity)
  int drb;     // rows per block of the direct kernel
  // Packed (BLIS-style) GEMM of a sub-block of C; ws holds ws_elems(M, N, K)
  // elements, 64-byte aligned, private to the calling thread. ct: C is stored
  // transposed (element (i, j) at C[j*ldc + i]), used to compute Cᵀ = Bᵀ·Aᵀ.
  void (*packed)(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A,
                 Index lda, const T* B, Index ldb, T beta, T* C, Index ldc, T* ws, bool ct);
  std::size_t (*ws_elems)(Index M, Index N, Index K);
  // Direct (unpacked) GEMM for small problems; B must be row-contiguous
  // (op(B)(p, j) = B[p*ldb + j]), op(A) may be transposed.
  void (*direct)(bool ta, Index M, Index N, Index K, T alpha, const T* A, Index lda,
                 const T* B, Index ldb, T beta, T* C, Index ldc);
  // The packed path cut among threads (packed.hpp): K slab size, packing one
  // slab's rows of op(A) / columns of op(B) into shared panels, and one block
  // of C from those panels.
  Index (*kc_of)(Index K);
  void (*pack_a_rows)(bool ta, const T* A, Index lda, Index i0, Index i1, Index pc, Index kc,
                      T* slabA);
  void (*pack_b_cols)(bool tb, const T* B, Index ldb, Index j0, Index j1, Index pc, Index kc,
                      T* slabB);
  void (*block)(Index m0, Index m1, Index n0, Index n1, Index kc, T alpha, T beta,
                const T* slabA, const T* slabB, T* C, Index ldc, bool ct);
};

struct KernelSet {
  const char* name;
  Family<float> f32;
  Family<double> f64;
};

// Each returns nullptr when that family was not compiled in.
const KernelSet* kernels_generic();
const KernelSet* kernels_avx2();
const KernelSet* kernels_avx512();
const KernelSet* kernels_neon();

// The family chosen once at start-up (CPU features, NNCORE_GEMM_KERNEL).
const KernelSet& active_kernels();
// A family by name if compiled in and supported by this CPU, else nullptr (tests).
const KernelSet* kernels_by_name(const char* name);

// Runs gemm with an explicit family (the public gemm uses active_kernels());
// tests may force the direct or packed path.
enum class Path { automatic, direct, packed };
template <class T>
void gemm_with(const KernelSet& ks, bool ta, bool tb, Index M, Index N, Index K, T alpha,
               const T* A, Index lda, const T* B, Index ldb, T beta, T* C, Index ldc,
               Path path = Path::automatic, const GemmEpilogue* ep = nullptr);

// A 64-byte aligned buffer of at least `bytes`, owned by the calling thread and
// reused by later calls (grows only). Call outside OpenMP regions: may throw.
void* workspace(std::size_t bytes);

}  // namespace nncore::gemm_detail
