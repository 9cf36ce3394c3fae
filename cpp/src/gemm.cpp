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

// Estimated one-core time (ns) of an M×N×K product: compute at ~200 (float) /
// ~100 (double) GFLOP/s, or streaming op(B) at ~30 GB/s (batch-1 GEMV-like
// calls are bandwidth bound), whichever is longer.
double estimated_ns(Index M, Index N, Index K, std::size_t elem) {
  const double flops = 2.0 * double(M) * double(N) * double(K);
  return std::max(flops * double(elem) / 800.0, double(K) * double(N) * double(elem) / 30.0);
}

// Threads only pay once the call takes several times a hand-out to the pool
// (~1 us here). Measured: 32x128x64 float (2.6 us) gains nothing from 2
// threads, 100^3 float (10 us) gains 1.5x. A short K (the 10-wide output
// layer's ∂X) is bound by writing C, which on many cores is written into
// many caches at once, so it is cut like any other product. Inside a caller's
// parallel region the call runs serially.
bool worth_threads_for(Index M, Index N, Index K, std::size_t elem) {
#ifdef _OPENMP
  return estimated_ns(M, N, K, elem) >= 6000.0 && threads_or_trace() && !omp_in_parallel();
#else
  (void)M, (void)N, (void)K, (void)elem;
  return false;
#endif
}

// The pieces threads share: C cut into fixed mb × nb blocks, from the shape
// alone (never the thread count). Starting from all of C, the longer side is
// halved in whole units (register tiles, cache lines) until a block's estimated
// time is at most kBlockNs: long enough that taking a piece (one atomic
// increment) costs a few percent, short enough that many cores get several
// rounds of pieces, where a part-filled last round costs less (a 128-row
// training batch of a 512-wide layer: 128 blocks of ~4 µs measured, 8 whole
// rounds on 16 cores). Near-square blocks repack the least (each block packs
// its own rows of op(A) and columns of op(B)). A unit of 0 forbids splitting
// that side. Products below kMinBlocks blocks of kBlockNs (the 10-wide output
// layer's, a few µs each) are cut into up to kMinBlocks blocks of at least
// kMinBlockNs: otherwise each is a serial step that many cores wait on. The
// estimate is 3-5x optimistic for such thin products (memory bound; 8 blocks
// of "1 µs" measured 4-5 µs each), hence the low floor: 16 blocks, so 16 cores
// all take part (threads.py, mnist-mlp on 16 cores, two A/B runs: predicted
// 10.8-10.9x with kBlockNs 8000 / kMinBlockNs 1000 and fixed pack pieces,
// 11.4-12.7x with these and the pack pieces below; at 2 threads no change
// measured against the noise).
// Large products (a 2048² square: 10⁴ blocks of kBlockNs) are cut into about
// kMaxBlocks blocks instead, big enough that a block's panels are reused from
// L1/L2 rather than streamed from L3 for a few tiles each (2048² float: 58 ->
// 96 GFLOP/s on one thread cut), and still 4 rounds of pieces for 64 cores.
constexpr double kBlockNs = 4000.0, kMinBlockNs = 400.0;
constexpr int kMinBlocks = 16, kMaxBlocks = 256;

struct Blocks {
  Index mb, nb, rows, cols;  // block size; blocks down and across
  Index count() const { return rows * cols; }
};

Blocks blocks_of(Index M, Index N, Index K, std::size_t elem, Index mu, Index nu) {
  auto up = [](Index a, Index u) { return (a + u - 1) / u * u; };
  Index mb = mu ? up(M, mu) : M, nb = nu ? up(N, nu) : N;
  const double est = estimated_ns(M, N, K, elem);
  const double target = std::max({kMinBlockNs, std::min(kBlockNs, est / kMinBlocks), est / kMaxBlocks});
  while (estimated_ns(mb, nb, K, elem) > target) {
    const Index m2 = mu ? up((mb + 1) / 2, mu) : mb, n2 = nu ? up((nb + 1) / 2, nu) : nb;
    if (n2 < nb && (nb >= mb || m2 >= mb)) nb = n2;
    else if (m2 < mb) mb = m2;
    else break;
  }
  mb = std::min(mb, M), nb = std::min(nb, N);
  return {mb, nb, (M + mb - 1) / mb, (N + nb - 1) / nb};
}

// Runs body(r0, r1, c0, c1, slot) on every block of C: as one block on one
// thread, or block by block on the thread team (slot: the calling thread's
// number, for per-thread workspaces).
template <class Body>
void run_blocks(bool threads, const Blocks& b, Index M, Index N, const Body& body) {
  if (!threads || b.count() == 1) return body(Index(0), M, Index(0), N, 0);
  for_pieces(b.count(), [&](Index p) {
    const Index i = p / b.cols, j = p % b.cols;
    const int slot = piece_slot();
    body(i * b.mb, std::min(M, (i + 1) * b.mb), j * b.nb, std::min(N, (j + 1) * b.nb), slot);
  });
}

// The packed path cut among threads: per group of K slabs, one job packs the
// slabs' panels of op(A) and op(B) once (pieces of ~kPackElems elements; a
// copy, so how it is cut changes nothing), then one job runs the blocks of C
// from them. The K slabs are run()'s, so every element is summed in the same
// order as on one thread. Slabs are packed together while they fit
// kSharedPackBytes (every workload's products: one group), so the workspace
// stays bounded for any K. A packing piece has about 1/kPackPieces of a slab's
// elements, between kMinPackElems and kPackElems: packing reads from L3 or
// memory at ~5 GB/s here, so fixed pieces of 16384 elements took 8-14 µs, and
// the first layer's ∂θ packs only 7 + 4 of them (Xᵀ, 784 x 128, and δ): the
// longest step of a training step on 16 cores; now 20 + 16. A large predict's
// pack job keeps its pieces of kPackElems (84 for 1024 x 784 · 784 x 512).
constexpr Index kPackElems = 16384, kMinPackElems = 2048, kPackPieces = 32;
constexpr std::size_t kSharedPackBytes = std::size_t(16) << 20;

template <class T, class Done>
void packed_shared(const Family<T>& f, const Blocks& b, bool ta, bool tb, Index M, Index N,
                   Index K, T alpha, const T* A, Index lda, const T* B, Index ldb, T beta,
                   T* C, Index ldc, bool ct, const Done& done) {
  auto up = [](Index a, Index u) { return (a + u - 1) / u * u; };
  const Index kcb = f.kc_of(K), slabs = (K + kcb - 1) / kcb;
  const Index mpad = up(M, f.mr), npad = up(N, f.nr);
  const Index a_elems = up(mpad * kcb, 16), slab_elems = a_elems + up(npad * kcb, 16);
  const Index group = std::clamp<Index>(
      Index(kSharedPackBytes / (std::size_t(slab_elems) * sizeof(T))), 1, slabs);
  T* ws = static_cast<T*>(workspace(std::size_t(group * slab_elems) * sizeof(T)));
  // Panels per packing piece, and the pieces of one slab: A's row groups, then B's.
  const Index pack_elems = std::clamp((mpad + npad) * kcb / kPackPieces, kMinPackElems, kPackElems);
  const Index a_rows = std::max<Index>(f.mr, pack_elems / kcb / f.mr * f.mr);
  const Index b_cols = std::max<Index>(f.nr, pack_elems / kcb / f.nr * f.nr);
  const Index a_pieces = (M + a_rows - 1) / a_rows, b_pieces = (N + b_cols - 1) / b_cols;
  for (Index s0 = 0; s0 < slabs; s0 += group) {
    const Index s1 = std::min(slabs, s0 + group);
    for_pieces((s1 - s0) * (a_pieces + b_pieces), [&](Index p) {
      const Index s = s0 + p / (a_pieces + b_pieces), q = p % (a_pieces + b_pieces);
      const Index pc = s * kcb, kc = std::min(kcb, K - pc);
      T* slab = ws + (s - s0) * slab_elems;
      if (q < a_pieces)
        f.pack_a_rows(ta, A, lda, q * a_rows, std::min(M, (q + 1) * a_rows), pc, kc, slab);
      else
        f.pack_b_cols(tb, B, ldb, (q - a_pieces) * b_cols,
                      std::min(N, (q - a_pieces + 1) * b_cols), pc, kc, slab + a_elems);
    });
    for_pieces(b.count(), [&](Index p) {
      const Index i = p / b.cols, j = p % b.cols;
      const Index m0 = i * b.mb, m1 = std::min(M, m0 + b.mb);
      const Index n0 = j * b.nb, n1 = std::min(N, n0 + b.nb);
      for (Index s = s0; s < s1; ++s) {
        const Index pc = s * kcb, kc = std::min(kcb, K - pc);
        const T* slab = ws + (s - s0) * slab_elems;
        f.block(m0, m1, n0, n1, kc, alpha, pc == 0 ? beta : T(1), slab, slab + a_elems, C,
                ldc, ct);
      }
      if (s1 == slabs) {
        if (ct) done(n0, n1, m0, m1);  // this block of Cᵀ is C's rows n0..n1
        else done(m0, m1, n0, n1);
      }
    });
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
  const bool threads = worth_threads_for(M, N, K, sizeof(T));

  const bool direct = path == Path::automatic ? use_direct(ta, tb, M, N, K, sizeof(T), f.drb)
                                               : path == Path::direct && !(ta && tb);
  if (direct) {
    if (tb) {  // the direct kernel wants op(B) row-contiguous: transpose B (K x N, small)
      T* bt = static_cast<T*>(workspace(std::size_t(K) * N * sizeof(T)));
      for (Index p = 0; p < K; ++p)
        for (Index j = 0; j < N; ++j) bt[p * N + j] = B[j * ldb + p];
      B = bt, ldb = N;
    }
    // Blocks of whole row blocks or, for fewer rows, of wide column blocks.
    const Index col_unit = 8 * Index(f.dw);
    const bool by_rows = M >= 2 * f.drb || N < 2 * col_unit || (ep && ep->whole_rows);
    const Blocks b = by_rows ? blocks_of(M, N, K, sizeof(T), f.drb, 0)
                             : blocks_of(M, N, K, sizeof(T), 0, col_unit);
    run_blocks(threads, b, M, N, [&](Index r0, Index r1, Index c0, Index c1, int) {
      f.direct(ta, r1 - r0, c1 - c0, K, alpha, ta ? A + r0 : A + r0 * lda, lda, B + c0, ldb,
               beta, C + r0 * ldc + c0, ldc);
      done(r0, r1, c0, c1);
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
  // Whole rows of C: C's columns are not cut (after the swap, Cᵀ's rows are not).
  const bool whole = ep && ep->whole_rows;
  const Blocks b = !whole ? blocks_of(M, N, K, sizeof(T), 2 * Index(f.mr), f.nr)
                   : ct   ? blocks_of(M, N, K, sizeof(T), 0, f.nr)
                          : blocks_of(M, N, K, sizeof(T), f.mr, 0);
  if (threads && b.count() > 1)
    return packed_shared(f, b, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ct, done);
  // Packed path on one thread: one block, packing as it goes.
  T* ws = static_cast<T*>(workspace(f.ws_elems(M, N, K) * sizeof(T)));
  f.packed(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ws, ct);
  if (ct) done(0, N, 0, M);  // C was computed as Cᵀ
  else done(0, M, 0, N);
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
