// GEMM throughput (GFLOP/s, best of 7 timed batches after warm-up) for the
// shapes nncore's workloads use, float/double, 1 and 2 threads, and "cut": one
// thread running the product cut into the pieces many threads would share (the
// piece trace's mode), so cut / 1t is what the cut costs.
// Usage: gemm_bench [family] [filter]   family: active (default) | generic | avx2 | avx512 | neon
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include "gemm/family.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

using nncore::Index;
namespace gd = nncore::gemm_detail;

struct Shape { const char* name; Index M, N, K; bool ta, tb; };
static const Shape kShapes[] = {
    {"fwd 128x784.784x512", 128, 512, 784, false, false},
    {"fwd 128x512.512x512", 128, 512, 512, false, false},
    {"fwd 128x512.512x10", 128, 10, 512, false, false},
    {"dW TN 784x512 K128", 784, 512, 128, true, false},
    {"dW TN 512x512 K128", 512, 512, 128, true, false},
    {"dW TN 512x10 K128", 512, 10, 128, true, false},
    {"dX NT 128x784 K512", 128, 784, 512, false, true},
    {"dX NT 128x512 K512", 128, 512, 512, false, true},
    {"dX NT 128x512 K10", 128, 512, 10, false, true},
    {"sq 1024", 1024, 1024, 1024, false, false},
    {"sq 2048", 2048, 2048, 2048, false, false},
    {"100x2.2x10", 100, 10, 2, false, false},
    {"32x64.64x128", 32, 128, 64, false, false},
    {"1x784.784x512", 1, 512, 784, false, false},
};

template <class T>
double bench(const gd::KernelSet& ks, const Shape& s) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<T> u(-1, 1);
  std::vector<T> A(std::size_t(s.M * s.K)), B(std::size_t(s.K * s.N)), C(std::size_t(s.M * s.N));
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  const Index lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
  auto call = [&] {
    gd::gemm_with<T>(ks, s.ta, s.tb, s.M, s.N, s.K, T(1), A.data(), lda, B.data(), ldb, T(0),
                     C.data(), s.N);
  };
  const double flop = 2.0 * double(s.M) * double(s.N) * double(s.K);
  const int reps = int(std::clamp(2e8 / flop, 1.0, 100000.0));
  for (int i = 0; i < std::max(2, reps / 4); ++i) call();
  double best = 1e30;
  for (int r = 0; r < 7; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) call();
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, t / reps);
  }
  return flop / best * 1e-9;
}

int main(int argc, char** argv) {
  const char* fam = argc > 1 ? argv[1] : "active";
  const char* filter = argc > 2 ? argv[2] : "";
  const gd::KernelSet* ks = std::strcmp(fam, "active") ? gd::kernels_by_name(fam) : &gd::active_kernels();
  if (!ks) { std::printf("kernel family %s not available\n", fam); return 1; }
  std::printf("kernel %s; GFLOP/s (best of 7)\n%-22s %8s %8s %8s %8s %8s %8s\n", ks->name,
              "shape", "f32 1t", "f32 cut", "f32 2t", "f64 1t", "f64 cut", "f64 2t");
  for (const Shape& s : kShapes) {
    if (!std::strstr(s.name, filter)) continue;
    double r[6];
    for (int mode = 0; mode < 3; ++mode) {  // 1 thread, 1 thread cut, 2 threads
      nncore::set_max_threads(mode == 2 ? 2 : 1);
      nncore::set_piece_trace(mode == 1);
      r[mode] = bench<float>(*ks, s);
      r[mode + 3] = bench<double>(*ks, s);
      nncore::set_piece_trace(false);
    }
    std::printf("%-22s %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", s.name, r[0], r[1], r[2], r[3],
                r[4], r[5]);
    std::fflush(stdout);
  }
}
