// Public GEMM entry: trivial cases, direct-vs-packed choice, and the split of
// C among OpenMP threads. Kernels live in gemm/ (one file per CPU family).
#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include <algorithm>
#include "gemm/family.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace nncore {
namespace gemm_detail {
namespace {

template <class T> const Family<T>& family(const KernelSet& ks);
template <> const Family<float>& family<float>(const KernelSet& ks) { return ks.f32; }
template <> const Family<double>& family<double>(const KernelSet& ks) { return ks.f64; }

// Direct (unpacked) path, from measurements on Zen 5 (cpp/tests/gemm_bench and
// friends). It streams op(B) once per block of `drb` rows, so it wins while op(B)
// stays in L2 (K*N*sizeof(T) <= 128 KiB: 128^3 float 255 vs 222 GFLOP/s packed)
// or for at most two row blocks (batch-1 inference 1x784x512: 42 vs 11 GFLOP/s;
// 16x784x512 float: 195 vs 129). NT first transposes B on one thread, which
// pays only for tiny products (32^3 NT is already faster packed). TT is not a
// backprop shape and always goes packed.
bool use_direct(bool ta, bool tb, Index M, Index N, Index K, std::size_t elem, int drb) {
  if (ta && tb) return false;
  const double mnk = double(M) * double(N) * double(K);
  if (tb) return mnk <= 16384;
  if (mnk <= 32768) return true;
  return M <= 2 * drb || double(K) * double(N) * double(elem) <= 131072;
}

// Padded tile area of C vs Cᵀ; the transposed store costs extra, so demand a clear gain.
bool swap_pays(Index M, Index N, Index mr, Index nr) {
  auto up = [](Index a, Index b) { return double((a + b - 1) / b * b); };
  return N < nr && 1.5 * up(N, mr) * up(M, nr) < up(M, mr) * up(N, nr);
}

// A second thread only pays once the call takes several times the OpenMP
// fork/join (~1 us here). Estimated single-thread time: compute at ~200
// (float) / ~100 (double) GFLOP/s, or streaming op(B) at ~30 GB/s (batch-1
// GEMV-like calls are bandwidth bound), whichever is longer. Measured: 32x128x64
// float (2.6 us) gains nothing from 2 threads, 100^3 float (10 us) gains 1.5x.
int threads_for(Index M, Index N, Index K, std::size_t elem) {
#ifdef _OPENMP
  const double flops = 2.0 * double(M) * double(N) * double(K);
  const double ns = std::max(flops * double(elem) / 800.0, double(K) * double(N) * double(elem) / 30.0);
  // K < 16: the call is bound by writing C, which a second core does not speed up.
  // Inside a caller's parallel region (e.g. one column part per thread) run serially.
  if (ns >= 6000.0 && K >= 16 && !omp_in_parallel()) return std::max(1, max_threads());
#endif
  (void)M, (void)N, (void)K, (void)elem;
  return 1;
}

// Runs body(r, parts) on each of nt threads. One thread calls it directly: even
// an `if(false)` parallel region costs libgomp a team set-up (malloc + futex),
// ~0.1 us per call, which dominated tiny products.
template <class Body>
void run_parts(int nt, const Body& body) {
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp parallel num_threads(nt)
    body(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  (void)nt;
  body(0, 1);
}

// Contiguous share `r` of `units` blocks of size `unit` among `parts`, clipped to n.
inline void share(Index n, Index unit, int parts, int r, Index& lo, Index& hi) {
  const Index units = (n + unit - 1) / unit;
  lo = std::min(n, units * r / parts * unit);
  hi = std::min(n, units * (r + 1) / parts * unit);
}

// Thread grid tm x tn (tm*tn = nt) minimising the packing every thread repeats
// (each of the tn column groups packs its rows of A, each of the tm row groups
// its columns of B) plus a penalty for column splits: threads writing the two
// halves of the same C rows disturb each other's cache lines (the prefetchers
// cross the split). Measured 128x512x10 NT on 2 threads: column split 16 us,
// row split 9 us.
void grid(int nt, Index M, Index N, Index K, Index mu, Index nu, int& tm, int& tn) {
  tm = nt, tn = 1;
  double best = -1;
  for (int a = 1; a <= nt; ++a) {
    if (nt % a) continue;
    const int b = nt / a;
    double cost = (double(b) * double(M) + double(a) * double(N)) * double(K) +
                  double(b - 1) * double(M) * 256.0;
    // Avoid empty shares: a thread with no tile still costs a pack.
    if ((M + mu - 1) / mu < a || (N + nu - 1) / nu < b) cost *= 4;
    if (best < 0 || cost < best) best = cost, tm = a, tn = b;
  }
}

template <class T>
void scale_c(Index M, Index N, T beta, T* C, Index ldc) {
  if (beta == T(1)) return;
  for (Index i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) std::fill(c, c + N, T(0));  // write-only: NaNs in C vanish
    else for (Index j = 0; j < N; ++j) c[j] *= beta;
  }
}

}  // namespace

template <class T>
void gemm_with(const KernelSet& ks, bool ta, bool tb, Index M, Index N, Index K, T alpha,
               const T* A, Index lda, const T* B, Index ldb, T beta, T* C, Index ldc,
               Path path, const GemmEpilogue* ep) {
  if (M <= 0 || N <= 0) return;
  // The epilogue sees C's coordinates, whichever way the work was split.
  auto done = [ep](Index r0, Index r1, Index c0, Index c1) {
    if (ep && r0 < r1 && c0 < c1) ep->fn(ep->ctx, r0, r1, c0, c1);
  };
  if (K <= 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return done(0, M, 0, N);
  }
  const Family<T>& f = family<T>(ks);
  const int nt = threads_for(M, N, K, sizeof(T));

  const bool direct = path == Path::automatic ? use_direct(ta, tb, M, N, K, sizeof(T), f.drb)
                                               : path == Path::direct && !(ta && tb);
  if (direct) {
    if (tb) {  // the direct kernel wants op(B) row-contiguous: transpose B (K x N, small)
      T* bt = static_cast<T*>(workspace(std::size_t(K) * N * sizeof(T)));
      for (Index p = 0; p < K; ++p)
        for (Index j = 0; j < N; ++j) bt[p * N + j] = B[j * ldb + p];
      B = bt, ldb = N;
    }
    // Split rows in whole row blocks or, for fewer rows, columns in wide blocks.
    const Index col_unit = 8 * Index(f.dw);
    const bool by_rows = M >= 2 * f.drb || N < 2 * col_unit;
    run_parts(nt, [&](int r, int parts) {
      Index lo, hi;
      if (by_rows) {
        share(M, f.drb, parts, r, lo, hi);
        if (lo < hi)
          f.direct(ta, hi - lo, N, K, alpha, ta ? A + lo : A + lo * lda, lda, B, ldb, beta,
                   C + lo * ldc, ldc);
        done(lo, hi, 0, N);
      } else {
        share(N, col_unit, parts, r, lo, hi);
        if (lo < hi)
          f.direct(ta, M, hi - lo, K, alpha, A, lda, B + lo, ldb, beta, C + lo, ldc);
        done(0, M, lo, hi);
      }
    });
    return;
  }

  // Thin outputs (N well below the tile width, e.g. a 10-class layer): compute
  // Cᵀ = op(B)ᵀ·op(A)ᵀ instead so the wide tile dimension runs along M. The
  // per-element sum is the same (same products, same K order).
  const bool ct = swap_pays(M, N, f.mr, f.nr);
  if (ct) {
    std::swap(M, N), std::swap(A, B), std::swap(lda, ldb);
    const bool t = ta;
    ta = !tb, tb = !t;
  }
  // Packed path: each thread packs and multiplies its own block of C.
  const std::size_t per_thread = f.ws_elems(M, N, K);
  T* ws = static_cast<T*>(workspace(per_thread * sizeof(T) * std::size_t(nt)));
  run_parts(nt, [&](int r, int parts) {
    int tm, tn;
    grid(parts, M, N, K, f.mr, f.nr, tm, tn);
    Index m0, m1, n0, n1;
    share(M, f.mr, tm, r / tn, m0, m1);
    share(N, f.nr, tn, r % tn, n0, n1);
    if (m0 < m1 && n0 < n1)
      f.packed(ta, tb, m1 - m0, n1 - n0, K, alpha, ta ? A + m0 : A + m0 * lda, lda,
               tb ? B + n0 * ldb : B + n0, ldb, beta,
               ct ? C + n0 * ldc + m0 : C + m0 * ldc + n0, ldc,
               ws + per_thread * std::size_t(r), ct);
    if (ct) done(n0, n1, m0, m1);  // this thread computed Cᵀ's block: C's rows n0..n1
    else done(m0, m1, n0, n1);
  });
}

template void gemm_with<float>(const KernelSet&, bool, bool, Index, Index, Index, float,
                               const float*, Index, const float*, Index, float, float*, Index,
                               Path, const GemmEpilogue*);
template void gemm_with<double>(const KernelSet&, bool, bool, Index, Index, Index, double,
                                const double*, Index, const double*, Index, double, double*,
                                Index, Path, const GemmEpilogue*);
}  // namespace gemm_detail

template <class T>
void gemm(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A, Index lda,
          const T* B, Index ldb, T beta, T* C, Index ldc) {
  gemm_detail::gemm_with<T>(gemm_detail::active_kernels(), ta, tb, M, N, K, alpha, A, lda, B,
                            ldb, beta, C, ldc);
}

template <class T>
void gemm(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A, Index lda,
          const T* B, Index ldb, T beta, T* C, Index ldc, const GemmEpilogue& ep) {
  gemm_detail::gemm_with<T>(gemm_detail::active_kernels(), ta, tb, M, N, K, alpha, A, lda, B,
                            ldb, beta, C, ldc, gemm_detail::Path::automatic, &ep);
}

template void gemm<float>(bool, bool, Index, Index, Index, float, const float*, Index,
                          const float*, Index, float, float*, Index);
template void gemm<double>(bool, bool, Index, Index, Index, double, const double*, Index,
                           const double*, Index, double, double*, Index);
template void gemm<float>(bool, bool, Index, Index, Index, float, const float*, Index,
                          const float*, Index, float, float*, Index, const GemmEpilogue&);
template void gemm<double>(bool, bool, Index, Index, Index, double, const double*, Index,
                           const double*, Index, double, double*, Index, const GemmEpilogue&);

}  // namespace nncore
