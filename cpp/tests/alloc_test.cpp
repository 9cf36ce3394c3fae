// Proves the per-batch loop allocates nothing: counts every operator new in
// the process, then checks that a fit over many batches allocates exactly as
// much as a fit over one (only the per-call setup allocates).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "nncore/trainer.hpp"

static std::atomic<long> g_news{0};
void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace nncore;

template <class T>
long allocations_for(Index epochs, OptimizerKind kind, LossKind loss,
                     GradientKind gradient = GradientKind::Backprop, bool tiny = false) {
  // Dense 128→256 at batch 64 is large enough for threaded, block-split GEMMs;
  // the tiny network (79 parameters) takes the tiny path, a block of rows at a time.
  const LayerKind last = loss == LossKind::CE        ? LayerKind::Softmax
                         : loss == LossKind::Poisson ? LayerKind::Exp
                                                     : LayerKind::Identity;
  std::vector<LayerSpec> specs = {{LayerKind::Dense, 20, 128}, {LayerKind::Tanh},
                                  {LayerKind::Dropout, 0, 0, 1, 0.3},
                                  {LayerKind::Dense, 128, 256}, {LayerKind::ReLU},
                                  {LayerKind::Maxout, 256, 32, 3}, {LayerKind::PReLU, 0, 0, 1, 0.0, 1},
                                  {LayerKind::Dense, 32, 4}, {last}};
  if (tiny)
    specs = {{LayerKind::Dense, 20, 3}, {LayerKind::ELU, 0, 0, 1, 1.0}, {LayerKind::Dense, 3, 4},
             {last}};
  Network<T> net(specs);
  std::mt19937_64 g(0);
  std::normal_distribution<double> nd;
  for (Index i = 0; i < net.num_params(); ++i) net.params()[i] = T(0.2 * nd(g));
  const Index rows = 1000, val_rows = 300;
  std::vector<T> X(rows * 20), Y(rows * 4), Xv(val_rows * 20), Yv(val_rows * 4, T(0));
  std::vector<std::int64_t> labels(rows), labels_v(val_rows);
  for (auto& x : X) x = T(nd(g));
  for (auto& x : Xv) x = T(nd(g));
  for (Index i = 0; i < rows; ++i) { labels[i] = Index(g() % 4); Y[i * 4 + labels[i]] = T(1); }
  for (Index i = 0; i < val_rows; ++i) labels_v[i] = Index(g() % 4);
  Dataset<T> d, v;
  d.X = X.data(); d.rows = rows;
  v.X = Xv.data(); v.rows = val_rows;
  if (loss == LossKind::CE) { d.y.labels = labels.data(); v.y.labels = labels_v.data(); }
  else { d.y.Y = Y.data(); v.y.Y = Yv.data(); }
  FitConfig cfg;
  cfg.loss = loss; cfg.epochs = epochs; cfg.batch_size = 64; cfg.lr = 1e-3; cfg.l2 = 1e-4;
  cfg.clip_norm = 1.0; cfg.patience = 1000;
  cfg.schedule.kind = ScheduleKind::Plateau;
  cfg.gradient = gradient; cfg.tangents = 2;
  OptimizerConfig opt;
  opt.kind = kind;
  std::vector<T> m(net.num_params()), vv(net.num_params());
  OptimizerState<T> st;
  st.m = m.data(); st.v = vv.data();
  long reports = 0;
  ReportFn report = [&](const EpochReport&) { ++reports; return true; };
  PollFn poll = [] { return true; };
  BatchFn no_batch;
  // The caller's rate before every epoch, and each epoch's outputs kept (for metrics).
  LrFn lr_for = [](Index, double* lr) { *lr *= 0.99; return true; };
  std::vector<T> out(rows * 4), out_v(val_rows * 4);
  EpochOutputs<T> outputs{out.data(), out_v.data()};
  cfg.report_every_epochs = 1;
  cfg.poll_seconds = 1e-9;  // poll after every batch
  fit<T>(net, d, &v, cfg, opt, st, report, poll, no_batch, lr_for, outputs);  // warm-up
  const long before = g_news.load();
  fit<T>(net, d, &v, cfg, opt, st, report, poll, no_batch, lr_for, outputs);
  return g_news.load() - before;
}

template <class T>
int check(const char* name, OptimizerKind kind, LossKind loss,
          GradientKind gradient = GradientKind::Backprop, bool tiny = false) {
  const long one = allocations_for<T>(1, kind, loss, gradient, tiny);
  const long many = allocations_for<T>(8, kind, loss, gradient, tiny);  // 8 epochs × 16 batches
  // History vectors are reserved up front, so the count must not grow with epochs.
  const bool ok = one == many;
  std::printf("%-28s allocations per fit: 1 epoch %ld, 8 epochs %ld -> %s\n", name, one, many,
              ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}

int main() {
  int fails = 0;
  fails += check<float>("float / Adam / ce", OptimizerKind::Adam, LossKind::CE);
  fails += check<double>("double / Momentum / mse", OptimizerKind::Momentum, LossKind::MSE);
  fails += check<double>("double / RMSprop / ce", OptimizerKind::RMSprop, LossKind::CE);
  fails += check<double>("double / Adam / ce / forward", OptimizerKind::Adam, LossKind::CE,
                         GradientKind::Forward);
  fails += check<float>("float / SGD / mse / perturbation", OptimizerKind::SGD, LossKind::MSE,
                        GradientKind::Perturbation);
  fails += check<double>("double / Adam / poisson", OptimizerKind::Adam, LossKind::Poisson);
  fails += check<float>("tiny float / Adam / ce", OptimizerKind::Adam, LossKind::CE,
                        GradientKind::Backprop, true);
  fails += check<double>("tiny double / Momentum / mse", OptimizerKind::Momentum, LossKind::MSE,
                         GradientKind::Backprop, true);
  std::printf("%d passed, %d failed\n", 8 - fails, fails);
  return fails ? 1 : 0;
}
