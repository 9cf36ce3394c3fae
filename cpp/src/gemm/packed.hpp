// Packed (BLIS-style) GEMM over the SIMD trait S (see common.hpp).
#pragma once
#include "common.hpp"

namespace nncore::gemm_detail {
namespace {

// Blocking (BLIS loop order jc -> pc -> ic -> jr -> ir):
//   B block KC x NC packed once per (jc, pc), read from L3/L2;
//   A block MC x KC packed once per (jc, pc, ic), stays in L2;
//   MR x NR register tile, B micro-panel KC x NR stays in L1.
// KC blocks depend on K alone, so every C element is summed in the same
// order however M and N are split among threads.
template <class S, int MR_, int NV, int KC, int MC, int NC>
struct Packed {
  using T = typename S::T;
  using V = typename S::V;
  static constexpr int MR = MR_;
  static constexpr int NR = NV * S::W;

  static Index kc_of(Index K) { return ceil_div(K, ceil_div(K, KC)); }
  static Index mc_of(Index M) { return round_up(ceil_div(M, ceil_div(M, MC)), MR); }
  static Index nc_of(Index N) { return round_up(ceil_div(N, ceil_div(N, NC)), NR); }

  // Upper bound for any sub-problem of M x N x K (mc_of(m) <= round_up(min(m, MC), MR)),
  // a multiple of 16 elements so per-thread slices stay 64-byte aligned.
  static std::size_t ws_elems(Index M, Index N, Index K) {
    const Index kc = kc_of(K);
    const Index b = round_up(kc * round_up(imin(N, NC), NR), 16);
    return std::size_t(round_up(b + round_up(imin(M, MC), MR) * kc, 16));
  }

  // op(A) rows [0, mc) x cols [0, kc) -> MR-row panels, k-major, zero-padded.
  static void pack_a(bool ta, const T* A, Index lda, Index mc, Index kc, T* Ap) {
    for (Index i0 = 0; i0 < mc; i0 += MR, Ap += MR * kc) {
      const Index mr = imin(MR, mc - i0);
      if (ta) {  // op(A)(i,p) = A[p*lda + i]: each k holds MR contiguous values
        const T* a = A + i0;
        if (mr == MR) {
          for (Index p = 0; p < kc; ++p)
            for (int i = 0; i < MR; ++i) Ap[p * MR + i] = a[p * lda + i];
        } else {
          for (Index p = 0; p < kc; ++p)
            for (int i = 0; i < MR; ++i) Ap[p * MR + i] = i < mr ? a[p * lda + i] : T(0);
        }
      } else {  // op(A)(i,p) = A[i*lda + p]: gather MR row streams
        const T* a = A + i0 * lda;
        if (mr == MR) {
          // W x W register transposes: groups of W rows (the last group padded
          // with zero rows), each output vector stored as up to W values of a k row.
          constexpr int G = (MR + S::W - 1) / S::W;
          Index p = 0;
          for (; p + S::W <= kc; p += S::W) {
#pragma GCC unroll 4
            for (int g = 0; g < G; ++g) {
              constexpr int full = MR % S::W == 0 ? S::W : MR % S::W;
              const int rows = g + 1 < G ? S::W : full;
              V r[S::W];
              for (int i = 0; i < S::W; ++i)
                r[i] = i < rows ? S::loadu(a + (g * S::W + i) * lda + p) : S::zero();
              S::transpose(r);
              if (rows == S::W)
                for (int q = 0; q < S::W; ++q) S::storeu(Ap + (p + q) * MR + g * S::W, r[q]);
              else
                for (int q = 0; q < S::W; ++q)
                  S::maskstore(Ap + (p + q) * MR + g * S::W, S::mask(rows), r[q]);
            }
          }
          for (; p < kc; ++p)
            for (int i = 0; i < MR; ++i) Ap[p * MR + i] = a[i * lda + p];
        } else {
          for (Index p = 0; p < kc; ++p)
            for (int i = 0; i < MR; ++i) Ap[p * MR + i] = i < mr ? a[i * lda + p] : T(0);
        }
      }
    }
  }

  // op(B) rows [0, kc) x cols [0, nc) -> NR-column panels, k-major, zero-padded.
  static void pack_b(bool tb, const T* B, Index ldb, Index kc, Index nc, T* Bp) {
    for (Index j0 = 0; j0 < nc; j0 += NR, Bp += NR * kc) {
      const Index nr = imin(NR, nc - j0);
      if (!tb) {  // op(B)(p,j) = B[p*ldb + j]: a straight copy of NR values per k
        const T* b = B + j0;
        if (nr == NR) {
          for (Index p = 0; p < kc; ++p)
            for (int v = 0; v < NV; ++v) S::storeu(Bp + p * NR + v * S::W, S::loadu(b + p * ldb + v * S::W));
        } else {
          for (Index p = 0; p < kc; ++p)
            for (int j = 0; j < NR; ++j) Bp[p * NR + j] = j < nr ? b[p * ldb + j] : T(0);
        }
      } else {  // op(B)(p,j) = B[j*ldb + p]: transpose NR row streams of B
        const T* b = B + j0 * ldb;
        if (nr == NR) {
          Index p = 0;
          for (; p + S::W <= kc; p += S::W)
            for (int v = 0; v < NV; ++v) {  // W x W register transposes
              V r[S::W];
              for (int j = 0; j < S::W; ++j) r[j] = S::loadu(b + (v * S::W + j) * ldb + p);
              S::transpose(r);
              for (int q = 0; q < S::W; ++q) S::storeu(Bp + (p + q) * NR + v * S::W, r[q]);
            }
          for (; p < kc; ++p)
            for (int j = 0; j < NR; ++j) Bp[p * NR + j] = b[j * ldb + p];
        } else {
          for (Index p = 0; p < kc; ++p)
            for (int j = 0; j < NR; ++j) Bp[p * NR + j] = j < nr ? b[j * ldb + p] : T(0);
        }
      }
    }
  }

  // MR x NR register tile over one packed KC block, then the C update.
  static inline void micro(Index kc, const T* __restrict Ap, const T* __restrict Bp, T* C,
                           Index ldc, T alpha, T beta) {
    V acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
    for (Index p = 0; p < kc; ++p) {
      V b[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) b[v] = S::load(Bp + v * S::W);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        const V a = S::bcast(Ap + i);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = S::fma(a, b[v], acc[i][v]);
      }
      Ap += MR;
      Bp += NR;
    }
    const V va = S::set1(alpha), vb = S::set1(beta);
    const bool beta0 = beta == T(0);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) update<S>(C + i * ldc + v * S::W, acc[i][v], va, vb, beta0);
  }

  // Edge tile, or C stored transposed (ct: element (i, j) at C[j*ldc + i]):
  // run the same kernel on a local tile so values match full tiles.
  static void micro_edge(Index kc, const T* Ap, const T* Bp, T* C, Index ldc, T alpha, T beta,
                         Index mr, Index nr, bool ct) {
    alignas(64) T tile[MR * NR];
    const Index si = ct ? 1 : ldc, sj = ct ? ldc : 1;
    if (beta != T(0)) {
      if (ct) {  // walk C by rows (contiguous) to fill tile columns
        for (Index j = 0; j < nr; ++j)
          for (Index i = 0; i < mr; ++i) tile[i * NR + j] = C[j * sj + i];
      } else {
        for (Index i = 0; i < mr; ++i)
          for (Index j = 0; j < nr; ++j) tile[i * NR + j] = C[i * si + j];
      }
    }
    micro(kc, Ap, Bp, tile, NR, alpha, beta);
    if (ct) {
      for (Index j = 0; j < nr; ++j)
        for (Index i = 0; i < mr; ++i) C[j * sj + i] = tile[i * NR + j];
    } else {
      for (Index i = 0; i < mr; ++i)
        for (Index j = 0; j < nr; ++j) C[i * si + j] = tile[i * NR + j];
    }
  }

  // One MR x NR tile of C at (i, j); mleft/nleft: rows/cols of C left from there.
  static inline void tile(Index i, Index j, Index mleft, Index nleft, Index kc, const T* ap,
                          const T* bp, T alpha, T beta, T* C, Index ldc, bool ct) {
    const Index mr = imin(MR, mleft), nr = imin(NR, nleft);
    if (ct) {
      micro_edge(kc, ap, bp, C + j * ldc + i, ldc, alpha, beta, mr, nr, true);
    } else {
      T* c = C + i * ldc + j;
      if (mr == MR && nr == NR) micro(kc, ap, bp, c, ldc, alpha, beta);
      else micro_edge(kc, ap, bp, c, ldc, alpha, beta, mr, nr, false);
    }
  }

  // Shared packing for a product whose C is cut into blocks among threads: one
  // K slab [pc, pc + kc) of op(A) and op(B) is packed once, panel by panel, into
  // slabA (MR-row panels, row i0's at slabA + i0*kc) and slabB (NR-column panels,
  // column j0's at slabB + j0*kc); every block then reads its panels from there
  // instead of packing its own rows and columns again (with blocks of a few µs,
  // repacking cost 1.3-3x the product itself).
  static void pack_a_rows(bool ta, const T* A, Index lda, Index i0, Index i1, Index pc,
                          Index kc, T* slabA) {
    pack_a(ta, ta ? A + pc * lda + i0 : A + i0 * lda + pc, lda, i1 - i0, kc, slabA + i0 * kc);
  }
  static void pack_b_cols(bool tb, const T* B, Index ldb, Index j0, Index j1, Index pc,
                          Index kc, T* slabB) {
    pack_b(tb, tb ? B + j0 * ldb + pc : B + pc * ldb + j0, ldb, kc, j1 - j0, slabB + j0 * kc);
  }

  // Block rows [m0, m1) x columns [n0, n1) of C (m0 a multiple of MR, n0 of NR)
  // over one packed K slab: the same tiles, K order and C update as run().
  static void block(Index m0, Index m1, Index n0, Index n1, Index kc, T alpha, T beta,
                    const T* slabA, const T* slabB, T* C, Index ldc, bool ct) {
    if (kc < 64 || kc * (n1 - n0) * Index(sizeof(T)) <= (Index(1) << 18)) {
      for (Index i = m0; i < m1; i += MR)
        for (Index j = n0; j < n1; j += NR)
          tile(i, j, m1 - i, n1 - j, kc, slabA + i * kc, slabB + j * kc, alpha, beta, C, ldc, ct);
    } else {
      for (Index j = n0; j < n1; j += NR)
        for (Index i = m0; i < m1; i += MR)
          tile(i, j, m1 - i, n1 - j, kc, slabA + i * kc, slabB + j * kc, alpha, beta, C, ldc, ct);
    }
  }

  static void run(bool ta, bool tb, Index M, Index N, Index K, T alpha, const T* A, Index lda,
                  const T* B, Index ldb, T beta, T* C, Index ldc, T* ws, bool ct) {
    const Index KCb = kc_of(K), MCb = mc_of(M), NCb = nc_of(N);
    T* Bp = ws;
    T* Ap = ws + round_up(KCb * NCb, 16);
    for (Index jc = 0; jc < N; jc += NCb) {
      const Index nc = imin(NCb, N - jc);
      for (Index pc = 0; pc < K; pc += KCb) {
        const Index kc = imin(KCb, K - pc);
        const T beta_k = pc == 0 ? beta : T(1);  // later K blocks accumulate
        pack_b(tb, tb ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, kc, nc, Bp);
        for (Index ic = 0; ic < M; ic += MCb) {
          const Index mc = imin(MCb, M - ic);
          pack_a(ta, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, Ap);
          // Short K (C traffic dominates) or a B block small enough to stay in
          // L2: walk tiles along C rows (ir outer) so stores stream through
          // memory instead of hopping ldc apart, which with power-of-two ldc
          // aliases in L1 (128x512x10 double: 43 -> 16 us). Otherwise BLIS
          // order, keeping the KC x NR B micro-panel in L1 across ir.
          if (kc < 64 || kc * nc * Index(sizeof(T)) <= (Index(1) << 18)) {
            for (Index ir = 0; ir < mc; ir += MR)
              for (Index jr = 0; jr < nc; jr += NR)
                tile(ic + ir, jc + jr, mc - ir, nc - jr, kc, Ap + ir * kc, Bp + jr * kc, alpha,
                     beta_k, C, ldc, ct);
          } else {
            for (Index jr = 0; jr < nc; jr += NR)
              for (Index ir = 0; ir < mc; ir += MR)
                tile(ic + ir, jc + jr, mc - ir, nc - jr, kc, Ap + ir * kc, Bp + jr * kc, alpha,
                     beta_k, C, ldc, ct);
          }
        }
      }
    }
  }
};

}  // namespace
}  // namespace nncore::gemm_detail
