// Dense matrix multiply for the three shapes backprop needs, row-major.
//   C[M×N] = alpha · op(A) · op(B) + beta · C
// op(A) is A (M×K, leading dim lda) or Aᵀ (A stored K×M); op(B) likewise.
// forward  a  = X·θ     : gemm(false, false, ...)
// weights  ∂θ = Xᵀ·δ    : gemm(true,  false, ...)
// inputs   ∂X = δ·θᵀ    : gemm(false, true,  ...)
// Each C element is summed in a fixed order over K, independent of the thread
// count, so results are bitwise identical for any number of threads.
// beta == 0 means C is write-only (NaNs already in C are not propagated).
#pragma once
#include <cstddef>
#include <cstdint>

namespace nncore {

using Index = std::int64_t;

template <class T>
void gemm(bool trans_a, bool trans_b, Index M, Index N, Index K, T alpha,
          const T* A, Index lda, const T* B, Index ldb, T beta, T* C, Index ldc);

// Work to do on C right after it is computed, by the thread that computed it
// (while the block is still in that core's cache): called once per finished
// block, rows [r0, r1) and columns [c0, c1) of C, possibly from several
// threads at once on disjoint blocks. Used to fuse the optimizer update into
// the weight-gradient GEMM (no extra pass over ∂θ, no lines moving between cores).
// whole_rows: every block spans whole rows of C (c0 = 0, c1 = N), so the work
// on a block touches contiguous memory (the fused update walks θ row by row:
// 64-float row pieces scattered over θ cost a threaded step ~12 %), and a
// row-wise epilogue (softmax) always has its rows. Blocks are then cut from the
// rows alone, still from the shape only.
struct GemmEpilogue {
  void (*fn)(void* ctx, Index r0, Index r1, Index c0, Index c1);
  void* ctx;
  bool whole_rows = false;
};

// gemm(...) followed by the epilogue on every block of C.
template <class T>
void gemm(bool trans_a, bool trans_b, Index M, Index N, Index K, T alpha, const T* A,
          Index lda, const T* B, Index ldb, T beta, T* C, Index ldc, const GemmEpilogue& ep);

// Name of the micro-kernel family chosen at run time ("avx512", "avx2", "generic").
const char* gemm_kernel_name();

// Number of times the GEMM packing workspace has been (re)allocated so far, in
// any thread. Buffers are reused, so after a warm-up call with a given shape
// (and thread count) further calls leave this unchanged.
std::size_t gemm_workspace_allocations();

}  // namespace nncore
