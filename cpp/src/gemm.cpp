// Portable blocked GEMM (first version; replaced by the packed SIMD kernels).
#include "nncore/gemm.hpp"
#include <algorithm>

namespace nncore {

template <class T>
void gemm(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A,
          Index lda, const T* B, Index ldb, T beta, T* C, Index ldc) {
  const bool parallel = M * N * K > (1 << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (Index i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) std::fill(c, c + N, T(0));
    else if (beta != T(1)) for (Index j = 0; j < N; ++j) c[j] *= beta;
    for (Index p = 0; p < K; ++p) {
      const T a = alpha * (ta ? A[p * lda + i] : A[i * lda + p]);
      if (!tb) {
        const T* b = B + p * ldb;
        for (Index j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (Index j = 0; j < N; ++j) c[j] += a * B[j * ldb + p];
      }
    }
  }
}

const char* gemm_kernel_name() { return "generic"; }

template void gemm<float>(bool, bool, Index, Index, Index, float, const float*, Index,
                          const float*, Index, float, float*, Index);
template void gemm<double>(bool, bool, Index, Index, Index, double, const double*, Index,
                           const double*, Index, double, double*, Index);

}  // namespace nncore
