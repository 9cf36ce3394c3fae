// GEMM correctness: every kernel family x {NN, TN, NT, TT} x float/double x many
// shapes against a double-precision triple loop; strided operands, alpha/beta
// variants, beta = 0 over NaN-filled C, untouched padding, bitwise identity of
// 1 thread, 2 threads and one thread running the pieces many threads would
// share (the piece trace's mode: exercises the cut even when a busy machine
// gives the 2-thread run one thread), and no workspace allocation after warm-up.
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <array>
#include <atomic>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <vector>
#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include "gemm/family.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

using nncore::Index;
namespace gd = nncore::gemm_detail;

static int g_fail = 0, g_checks = 0;
static void set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}

struct Case {
  bool ta, tb;
  Index M, N, K;
  double alpha, beta;
  Index pad;  // extra leading-dimension columns (strided sub-matrices)
};

template <class T>
struct Data {
  std::vector<T> A, B, C0;
  Index lda, ldb, ldc;
};

template <class T>
Data<T> make(const Case& c, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  Data<T> d;
  const Index ar = c.ta ? c.K : c.M, ac = c.ta ? c.M : c.K;
  const Index br = c.tb ? c.N : c.K, bc = c.tb ? c.K : c.N;
  d.lda = ac + c.pad, d.ldb = bc + c.pad, d.ldc = c.N + c.pad;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  // Padding holds NaN: reading it into a result would show up as an error.
  d.A.assign(std::size_t(std::max<Index>(ar, 1) * d.lda), nan);
  d.B.assign(std::size_t(std::max<Index>(br, 1) * d.ldb), nan);
  d.C0.assign(std::size_t(std::max<Index>(c.M, 1) * d.ldc), T(-7));  // -7: padding sentinel
  for (Index i = 0; i < ar; ++i) for (Index j = 0; j < ac; ++j) d.A[i * d.lda + j] = T(u(rng));
  for (Index i = 0; i < br; ++i) for (Index j = 0; j < bc; ++j) d.B[i * d.ldb + j] = T(u(rng));
  for (Index i = 0; i < c.M; ++i)
    for (Index j = 0; j < c.N; ++j) d.C0[i * d.ldc + j] = c.beta == 0 ? nan : T(u(rng));
  return d;
}

template <class T>
bool check(const Case& c, const Data<T>& d, const std::vector<T>& C, const char* fam) {
  const double rtol = sizeof(T) == 4 ? 1e-5 : 1e-12;
  const double tol = rtol * std::sqrt(double(std::max<Index>(c.K, 1)));
  int bad = 0;
  for (Index i = 0; i < c.M; ++i)
    for (Index j = 0; j < c.N + c.pad; ++j) {
      const double got = C[i * d.ldc + j];
      if (j >= c.N) {  // padding must be untouched
        if (got != -7) ++bad;
        continue;
      }
      double s = 0, mag = 0;
      for (Index p = 0; p < c.K; ++p) {
        const double a = c.ta ? d.A[p * d.lda + i] : d.A[i * d.lda + p];
        const double b = c.tb ? d.B[j * d.ldb + p] : d.B[p * d.ldb + j];
        s += a * b, mag += std::fabs(a * b);
      }
      const double c0 = c.beta == 0 ? 0 : double(d.C0[i * d.ldc + j]);
      const double ref = c.alpha * s + c.beta * c0;
      const double scale = std::fabs(c.alpha) * mag + std::fabs(c.beta * c0) + 1e-30;
      if (!(std::fabs(got - ref) <= tol * scale)) {
        if (bad == 0 && g_fail < 20)
          std::printf("FAIL %s %s %c%c M=%ld N=%ld K=%ld a=%g b=%g pad=%ld at (%ld,%ld): %.9g vs %.9g\n",
                      fam, sizeof(T) == 4 ? "f32" : "f64", c.ta ? 'T' : 'N', c.tb ? 'T' : 'N',
                      long(c.M), long(c.N), long(c.K), c.alpha, c.beta, long(c.pad), long(i),
                      long(j), got, ref);
        ++bad;
      }
    }
  ++g_checks;
  if (bad) ++g_fail;
  return bad == 0;
}

static gd::Path g_path = gd::Path::automatic;

template <class T>
std::vector<T> run(const gd::KernelSet& ks, const Case& c, const Data<T>& d) {
  std::vector<T> C = d.C0;
  gd::gemm_with<T>(ks, c.ta, c.tb, c.M, c.N, c.K, T(c.alpha), d.A.data(), d.lda, d.B.data(),
                   d.ldb, T(c.beta), C.data(), d.ldc, g_path);
  return C;
}

template <class T>
void test_case(const gd::KernelSet& ks, const Case& c, std::mt19937& rng, bool threads) {
  Data<T> d = make<T>(c, rng);
  set_threads(1);
  std::vector<T> c1 = run<T>(ks, c, d);
  check<T>(c, d, c1, ks.name);
  if (threads) {
    for (const char* mode : {"2 threads", "cut"}) {
      set_threads(mode[0] == '2' ? 2 : 1);
      nncore::set_piece_trace(mode[0] == 'c');
      std::vector<T> c2 = run<T>(ks, c, d);
      nncore::set_piece_trace(false);
      ++g_checks;
      if (std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(T)) != 0) {
        ++g_fail;
        std::printf("FAIL %s 1 thread vs %s differ: %c%c M=%ld N=%ld K=%ld\n", ks.name, mode,
                    c.ta ? 'T' : 'N', c.tb ? 'T' : 'N', long(c.M), long(c.N), long(c.K));
      }
    }
  }
}

template <class T>
void test_family(const gd::KernelSet& ks) {
  std::mt19937 rng(42);
  const int fail0 = g_fail, checks0 = g_checks;
  const Index small[] = {1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 64};
  const bool tr[4][2] = {{false, false}, {true, false}, {false, true}, {true, true}};
  // Every small shape through each path (the automatic choice would hide one).
  for (gd::Path path : {gd::Path::direct, gd::Path::packed}) {
    g_path = path;
    for (auto& t : tr)
      for (Index M : small)
        for (Index N : small)
          for (Index K : small) test_case<T>(ks, {t[0], t[1], M, N, K, 1.0, 0.0, 0}, rng, false);
  }
  g_path = gd::Path::automatic;
  // Larger and mixed shapes (K > KC, M > MC, N > NC, thin outputs), each with
  // alpha/beta variants, strides and the thread check.
  const Index big[][3] = {{100, 127, 255}, {1000, 17, 33}, {255, 1000, 7}, {127, 33, 1000},
                          {1, 1000, 255},  {1000, 1, 64},  {300, 300, 300}, {33, 255, 600},
                          {784, 512, 128}, {128, 10, 512}, {7, 5000, 3},   {1, 512, 784},
                          {4, 100, 100},   {5, 100, 100},  {100, 2, 10},    {128, 784, 513}};
  const double ab[][2] = {{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0, 0.5}, {0, 0}, {1.5, -1}};
  int v = 0;
  for (auto& t : tr)
    for (auto& s : big) {
      const double* a = ab[v++ % 7];
      test_case<T>(ks, {t[0], t[1], s[0], s[1], s[2], a[0], a[1], Index(v % 3 ? 0 : 5)}, rng, true);
    }
  for (gd::Path path : {gd::Path::direct, gd::Path::packed}) {
    g_path = path;
    for (auto& t : tr)
      for (auto& a : ab)
        for (Index pad : {0, 3}) {
          test_case<T>(ks, {t[0], t[1], 37, 45, 29, a[0], a[1], pad}, rng, true);
          test_case<T>(ks, {t[0], t[1], 130, 9, 300, a[0], a[1], pad}, rng, true);  // thin, 2 K blocks
        }
  }
  g_path = gd::Path::automatic;
  // Degenerate sizes: M, N or K zero (K = 0 -> C = beta*C).
  for (auto& t : tr)
    for (auto& s : {std::array<Index, 3>{0, 5, 3}, {5, 0, 3}, {5, 4, 0}, {0, 0, 0}})
      for (auto& a : ab) test_case<T>(ks, {t[0], t[1], s[0], s[1], s[2], a[0], a[1], 2}, rng, true);
  std::printf("%-8s %s: %d checks, %d failures\n", ks.name, sizeof(T) == 4 ? "float " : "double",
              g_checks - checks0, g_fail - fail0);
}

// Steady state allocates nothing: repeat a set of calls, the counter must not move.
void test_allocations() {
  std::mt19937 rng(1);
  const Case cases[] = {{false, false, 128, 512, 784, 1, 0, 0}, {true, false, 784, 512, 128, 1, 0, 0},
                        {false, true, 128, 784, 512, 1, 0, 0},  {false, true, 3, 10, 5, 1, 0, 0},
                        {false, false, 1, 512, 784, 1, 0, 0},   {false, false, 300, 300, 300, 1, 1, 0}};
  std::vector<Data<float>> df;
  std::vector<Data<double>> dd;
  for (auto& c : cases) df.push_back(make<float>(c, rng)), dd.push_back(make<double>(c, rng));
  std::size_t before = 0;
  for (int round = 0; round < 3; ++round) {
    if (round == 1) before = nncore::gemm_workspace_allocations();
    for (int th : {1, 2}) {
      set_threads(th);
      for (std::size_t i = 0; i < std::size(cases); ++i) {
        const Case& c = cases[i];
        std::vector<float>& Cf = df[i].C0;
        std::vector<double>& Cd = dd[i].C0;
        nncore::gemm<float>(c.ta, c.tb, c.M, c.N, c.K, 1.f, df[i].A.data(), df[i].lda,
                            df[i].B.data(), df[i].ldb, 0.f, Cf.data(), df[i].ldc);
        nncore::gemm<double>(c.ta, c.tb, c.M, c.N, c.K, 1.0, dd[i].A.data(), dd[i].lda,
                             dd[i].B.data(), dd[i].ldb, 0.0, Cd.data(), dd[i].ldc);
      }
    }
  }
  const std::size_t after = nncore::gemm_workspace_allocations();
  ++g_checks;
  if (after != before) {
    ++g_fail;
    std::printf("FAIL workspace allocations grew in steady state: %zu -> %zu\n", before, after);
  } else {
    std::printf("allocations: %zu during warm-up, 0 in steady state\n", after);
  }
}

// The epilogue sees every element of C exactly once, after its final value
// is stored, for the direct and packed paths and 1 or 2 threads.
struct EpilogueProbe {
  const std::vector<float>* C;
  std::vector<float> seen;   // C's value when its block was reported
  std::vector<int> count;    // how many times each element was reported
  Index N;
  std::atomic<bool> part_rows{false};  // a block did not span whole rows
};
static void probe(void* ctx, Index r0, Index r1, Index c0, Index c1) {
  auto& p = *static_cast<EpilogueProbe*>(ctx);
  if (c0 != 0 || c1 != p.N) p.part_rows.store(true, std::memory_order_relaxed);
  for (Index r = r0; r < r1; ++r)
    for (Index c = c0; c < c1; ++c) {
#ifdef _OPENMP
#pragma omp atomic
#endif
      p.count[r * p.N + c] += 1;
      p.seen[r * p.N + c] = (*p.C)[r * p.N + c];
    }
}
void test_epilogue() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  const Index shapes[][3] = {{5, 7, 3}, {128, 512, 128}, {784, 512, 128}, {512, 10, 128}, {1, 300, 200}};
  for (auto& sh : shapes)
    for (bool ta : {false, true})
      for (bool whole_rows : {false, true})
      for (int threads : {1, 2, 0}) {  // 0: one thread, cut (the trace's mode)
        set_threads(threads ? threads : 1);
        nncore::set_piece_trace(threads == 0);
        const Index M = sh[0], N = sh[1], K = sh[2];
        std::vector<float> A(M * K), B(K * N), C(M * N, 0.f);
        for (auto& x : A) x = u(rng);
        for (auto& x : B) x = u(rng);
        EpilogueProbe p{&C, std::vector<float>(M * N, 0.f), std::vector<int>(M * N, 0), N};
        const nncore::GemmEpilogue ep{&probe, &p, whole_rows};
        nncore::gemm<float>(ta, false, M, N, K, 1.f, A.data(), ta ? M : K, B.data(), N, 0.f,
                            C.data(), N, ep);
        nncore::set_piece_trace(false);
        ++g_checks;
        bool ok = true;
        for (Index i = 0; i < M * N; ++i) ok &= p.count[i] == 1 && p.seen[i] == C[i];
        ok &= !(whole_rows && p.part_rows);
        if (!ok) {
          ++g_fail;
          std::printf("FAIL epilogue %ldx%ldx%ld ta=%d whole_rows=%d threads=%d\n", long(M),
                      long(N), long(K), int(ta), int(whole_rows), threads);
        }
      }
  set_threads(2);
}

// A product whose packed K slabs do not fit the shared packing buffer at once
// (packed in groups of slabs, one pass each): the cut equals the whole product.
void test_slab_groups() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  const Index M = 2048, N = 1024, K = 1536;
  std::vector<float> A(M * K), B(K * N), C1(M * N), C2(M * N, 1.f);
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  for (bool ta : {false, true}) {
    set_threads(1);
    nncore::gemm<float>(ta, false, M, N, K, 1.f, A.data(), ta ? M : K, B.data(), N, 0.f,
                        C1.data(), N);
    nncore::set_piece_trace(true);
    nncore::gemm<float>(ta, false, M, N, K, 1.f, A.data(), ta ? M : K, B.data(), N, 0.f,
                        C2.data(), N);
    nncore::set_piece_trace(false);
    ++g_checks;
    if (std::memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)) != 0) {
      ++g_fail;
      std::printf("FAIL slab groups %ldx%ldx%ld ta=%d: whole vs cut differ\n", long(M),
                  long(N), long(K), int(ta));
    }
  }
  set_threads(2);
}

int main() {
  std::printf("active kernel: %s\n", nncore::gemm_kernel_name());
  // NNCORE_GEMM_KERNEL forces a family the CPU supports; others are ignored.
  if (const char* want = std::getenv("NNCORE_GEMM_KERNEL")) {
    ++g_checks;
    const bool supported = gd::kernels_by_name(want) != nullptr;
    if (supported && std::strcmp(want, nncore::gemm_kernel_name()) != 0) {
      ++g_fail;
      std::printf("FAIL NNCORE_GEMM_KERNEL=%s not honoured\n", want);
    }
  }
  // Forced runs check the chosen family only; the plain run checks them all.
  const bool forced = std::getenv("NNCORE_GEMM_KERNEL") != nullptr;
#if defined(__aarch64__) || defined(_M_ARM64)
  // NEON is AArch64 baseline: the automatic choice must take it.
  ++g_checks;
  if (!forced && std::strcmp(nncore::gemm_kernel_name(), "neon") != 0) {
    ++g_fail;
    std::printf("FAIL on AArch64 the automatic choice is %s, not neon\n",
                nncore::gemm_kernel_name());
  }
#endif
  for (const char* name : {"generic", "avx2", "avx512", "neon"}) {
    if (forced && std::strcmp(name, nncore::gemm_kernel_name()) != 0) continue;
    const gd::KernelSet* ks = gd::kernels_by_name(name);
    if (!ks) {
      std::printf("%-8s not available on this CPU/build: skipped\n", name);
      continue;
    }
    test_family<float>(*ks);
    test_family<double>(*ks);
  }
  test_allocations();
  test_epilogue();
  test_slab_groups();
  std::printf("%s: %d checks, %d failures\n", g_fail ? "FAILED" : "OK", g_checks, g_fail);
  return g_fail ? 1 : 0;
}
