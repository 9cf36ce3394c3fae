// The thread pool under load from every side, for ThreadSanitizer (tools/sanitize
// thread) as much as for the numbers: fit, predict and the chunked loss_and_grad give
// the same bits for 1, 2 and 4 threads, also while two caller threads share the pool
// (as Python threads calling predict and fit at once do), and a poll that says stop
// ends loss_and_grad_chunked and predict between chunks with the parameters untouched.
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "nncore/parallel.hpp"
#include "nncore/trainer.hpp"

using namespace nncore;

namespace {

int g_fail = 0;
void expect(bool ok, const char* what) {
  if (!ok) { std::printf("FAIL: %s\n", what); ++g_fail; }
}

std::vector<LayerSpec> specs() {
  // Wide enough that the GEMMs and element-wise passes are cut into pieces.
  return {{LayerKind::Dense, 24, 256}, {LayerKind::ReLU}, {LayerKind::Dense, 256, 128},
          {LayerKind::Tanh}, {LayerKind::Dense, 128, 5}, {LayerKind::Softmax}};
}

struct Data {
  Index rows;
  std::vector<double> X;
  std::vector<std::int64_t> labels;
  explicit Data(Index n) : rows(n), X(std::size_t(n) * 24), labels(std::size_t(n)) {
    std::mt19937_64 g(3);
    std::normal_distribution<double> nd;
    for (auto& x : X) x = nd(g);
    for (auto& l : labels) l = std::int64_t(g() % 5);
  }
};

void init(Network<double>& net) {
  std::mt19937_64 g(0);
  std::normal_distribution<double> nd;
  for (Index i = 0; i < net.num_params(); ++i) net.params()[i] = 0.1 * nd(g);
}

// What one run computes: parameters after a short fit, predictions, loss and gradient.
struct Result {
  std::vector<double> params, pred, grad;
  double loss = 0;
  bool operator==(const Result& o) const {
    return params == o.params && pred == o.pred && grad == o.grad &&
           std::memcmp(&loss, &o.loss, sizeof loss) == 0;
  }
};

Result run(const Data& d) {
  Network<double> net(specs());
  init(net);
  Dataset<double> train;
  train.X = d.X.data(); train.rows = 600; train.y.labels = d.labels.data();
  FitConfig cfg;
  cfg.loss = LossKind::CE; cfg.epochs = 2; cfg.batch_size = 100; cfg.lr = 1e-2;
  OptimizerConfig opt;
  opt.kind = OptimizerKind::Adam;
  std::vector<double> m(std::size_t(net.num_params())), v(m.size());
  OptimizerState<double> st;
  st.m = m.data(); st.v = v.data();
  fit<double>(net, train, nullptr, cfg, opt, st, {}, {});
  Result r;
  r.params.assign(net.params(), net.params() + net.num_params());
  r.pred.resize(std::size_t(d.rows) * 5);
  net.predict(d.X.data(), d.rows, r.pred.data());
  r.grad.resize(std::size_t(net.num_params()));
  Targets<double> t;
  t.labels = d.labels.data();
  net.loss_and_grad_chunked(d.X.data(), d.rows, LossKind::CE, t, 1e-4, 1e-3, &r.loss,
                            r.grad.data());
  return r;
}

}  // namespace

int main() {
  const Data d(2 * kRowsPerChunk + 100);  // three chunks of rows
  set_max_threads(1);
  const Result serial = run(d);
  for (int n : {2, 4}) {
    set_max_threads(n);
    expect(run(d) == serial, "1 thread vs more: the same bits");
    // Two callers at once share the pool.
    Result a, b;
    std::thread ta([&] { a = run(d); });
    std::thread tb([&] { b = run(d); });
    ta.join();
    tb.join();
    expect(a == serial && b == serial, "two concurrent callers: the same bits as serial");
  }

  // A poll that stops after the first chunk: false, parameters untouched.
  set_max_threads(2);
  Network<double> net(specs());
  init(net);
  const std::vector<double> before(net.params(), net.params() + net.num_params());
  std::vector<double> grad(before.size()), out(std::size_t(d.rows) * 5);
  Targets<double> t;
  t.labels = d.labels.data();
  int polls = 0;
  const PollFn stop = [&] { ++polls; return false; };
  double loss = 0;
  expect(!net.loss_and_grad_chunked(d.X.data(), d.rows, LossKind::CE, t, 0, 0, &loss,
                                    grad.data(), stop) && polls == 1,
         "loss_and_grad_chunked stops at the first poll");
  expect(!net.predict(d.X.data(), d.rows, out.data(), stop) && polls == 2,
         "predict stops at the first poll");
  expect(std::vector<double>(net.params(), net.params() + net.num_params()) == before,
         "a stopped call leaves the parameters as they were");
  const PollFn go = [&] { ++polls; return true; };
  expect(net.predict(d.X.data(), d.rows, out.data(), go) && polls == 4,
         "predict polls between its three chunks");
  set_max_threads(0);
  std::printf("threads_test: %s\n", g_fail ? "FAIL" : "ok");
  return g_fail ? 1 : 0;
}
