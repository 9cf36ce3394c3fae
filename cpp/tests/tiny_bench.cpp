// A tiny network's step on the general path (a GEMM call per layer) and on the
// tiny path (a block of rows through all layers): fit per step, one
// train_batch, one predict, interleaved and timed as thread CPU time (the least
// of several runs), so a busy machine disturbs the figures less.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "nncore/parallel.hpp"
#include "nncore/tangent.hpp"
#include "nncore/tiny.hpp"
#include "nncore/trainer.hpp"

using namespace nncore;

static double cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

// The least of 7 repeats of the per-iteration time of f() called n times.
template <class F>
static double per_call_ns(int n, F f) {
  std::vector<double> t;
  for (int r = 0; r < 7; ++r) {
    const double t0 = cpu_ns();
    for (int i = 0; i < n; ++i) f();
    t.push_back((cpu_ns() - t0) / n);
  }
  std::sort(t.begin(), t.end());
  return t[0];  // the least disturbed: other processes only ever add time
}

struct Case {
  const char* name;
  std::vector<LayerSpec> specs;
  Index rows;
  OptimizerKind opt;
  double lr;
};

static void run(const Case& c) {
  using T = double;
  Network<T> net(c.specs);
  std::mt19937_64 g(0);
  std::normal_distribution<double> nd;
  for (Index i = 0; i < net.num_params(); ++i) net.params()[i] = 0.5 * nd(g);
  const Index n_in = net.n_in();
  std::vector<T> X(std::size_t(c.rows * n_in)), Y(std::size_t(c.rows));
  for (auto& x : X) x = nd(g);
  for (Index i = 0; i < c.rows; ++i) Y[std::size_t(i)] = T(i % 2);
  Dataset<T> d;
  d.X = X.data(); d.rows = c.rows; d.y.Y = Y.data();
  FitConfig cfg;
  cfg.loss = LossKind::BCE; cfg.batch_size = c.rows; cfg.shuffle = false; cfg.lr = c.lr;
  OptimizerConfig opt;
  opt.kind = c.opt;
  std::vector<T> m(std::size_t(net.num_params())), v(m.size());
  OptimizerState<T> st{m.data(), v.data(), 0};
  const int epochs = 1000;
  cfg.epochs = epochs;
  net.reserve(c.rows);
  OptimizerUpdate<T> up(opt, c.lr, 1);
  bool ok;
  double fit_ns[2], tb[2], fw[2];
  for (int round = 0; round < 3; ++round)
    for (int tiny_on = 0; tiny_on < 2; ++tiny_on) {
      tiny::set_enabled(tiny_on == 1);
      const double f = per_call_ns(1, [&] { fit<T>(net, d, nullptr, cfg, opt, st, {}, {}); }) / epochs;
      const double b = per_call_ns(2000, [&] {
        net.train_batch(X.data(), c.rows, LossKind::BCE, d.y, 0, 0, up, m.data(), v.data(), &ok);
      });
      std::vector<T> out(std::size_t(c.rows * net.n_out()));
      const double p = per_call_ns(2000, [&] { net.predict(X.data(), c.rows, out.data()); });
      if (round == 0 || f < fit_ns[tiny_on]) fit_ns[tiny_on] = f;
      if (round == 0 || b < tb[tiny_on]) tb[tiny_on] = b;
      if (round == 0 || p < fw[tiny_on]) fw[tiny_on] = p;
    }
  tiny::set_enabled(true);
  std::printf("%-6s general: fit %.0f ns/step, train_batch %.0f, predict %.0f | "
              "tiny: fit %.0f, train_batch %.0f, predict %.0f\n",
              c.name, fit_ns[0], tb[0], fw[0], fit_ns[1], tb[1], fw[1]);

  // Forward-gradient training (k = 1, the xor-fg and moons-fg workloads) in tiny-path
  // predicts (benchmarks/run.py's ratio), and the part of its step that only draws
  // the tangent: a floor under the ratio that no pass fusion can lower.
  FitConfig fg = cfg;
  fg.gradient = GradientKind::Forward;
  fg.seed = 1;
  std::vector<T> tangent(std::size_t(net.num_params()));
  double fg_ns = 0, draw_ns = 0;
  std::uint64_t draws = 0;
  for (int round = 0; round < 3; ++round) {
    const double f = per_call_ns(1, [&] { fit<T>(net, d, nullptr, fg, opt, st, {}, {}); }) / epochs;
    const double t = per_call_ns(2000, [&] {
      draw_tangent<T>(fg.seed, draws++, 0, tangent.data(), net.num_params());
    });
    if (round == 0 || f < fg_ns) fg_ns = f;
    if (round == 0 || t < draw_ns) draw_ns = t;
  }
  std::printf("%-6s forward gradient: fit %.0f ns/step = %.1f predicts; drawing its %lld-entry "
              "tangent %.0f ns = %.1f predicts\n",
              c.name, fg_ns, fg_ns / fw[1], static_cast<long long>(net.num_params()), draw_ns,
              draw_ns / fw[1]);
}

// tiny_bench [name [rounds]]: only that case (moons, xor), `rounds` times (a profile).
int main(int argc, char** argv) {
  set_max_threads(1);
  const Case moons{"moons",
                   {{LayerKind::Dense, 2, 10}, {LayerKind::Tanh}, {LayerKind::Dense, 10, 10},
                    {LayerKind::Tanh}, {LayerKind::Dense, 10, 1}, {LayerKind::Sigmoid}},
                   100, OptimizerKind::Adam, 0.01};
  const Case xr{"xor",
                {{LayerKind::Dense, 2, 4}, {LayerKind::Tanh}, {LayerKind::Dense, 4, 1},
                 {LayerKind::Sigmoid}},
                4, OptimizerKind::SGD, 0.5};
  const std::string only = argc > 1 ? argv[1] : "";
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  for (int i = 0; i < rounds; ++i)
    for (const Case* c : {&moons, &xr})
      if (only.empty() || only == c->name) run(*c);
}
