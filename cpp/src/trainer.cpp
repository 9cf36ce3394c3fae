// fit / train_step / evaluate: the whole training run in native code.
#include "nncore/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "nncore/parallel.hpp"
#include "nncore/shuffle.hpp"

namespace nncore {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Correct predictions in rows of h (the network's output) against the targets.
template <class T>
Index count_correct(const T* h, Targets<T> y, Index rows, Index width, LossKind loss) {
  Index correct = 0;
  if (loss == LossKind::BCE) {  // element-wise threshold at ½, like Keras' binary accuracy
    for (Index i = 0; i < rows * width; ++i) correct += (h[i] > T(0.5)) == (y.Y[i] > T(0.5));
    return correct;
  }
  for (Index r = 0; r < rows; ++r) {
    const T* hr = h + r * width;
    const Index pred = Index(std::max_element(hr, hr + width) - hr);
    Index truth;
    if (y.labels) truth = Index(y.labels[r]);
    else truth = Index(std::max_element(y.Y + r * width, y.Y + (r + 1) * width) - (y.Y + r * width));
    correct += pred == truth;
  }
  return correct;
}

bool classification(LossKind loss) { return loss == LossKind::BCE || loss == LossKind::CE; }

template <class T>
Targets<T> offset_targets(Targets<T> y, Index r0, Index width) {
  Targets<T> out;
  if (y.labels) out.labels = y.labels + r0;
  else out.Y = y.Y + r0 * width;
  return out;
}

// What went wrong in a step, if anything.
enum class StepResult { Ok, BadLoss, BadUpdate };

// Steps that share train_step and fit: gradient, clipping, update.
// BadLoss: the loss or gradient is not finite, nothing was changed.
// BadUpdate: the update produced a non-finite θ; the caller restores θ, m, v.
template <class T>
StepResult step_on_batch(Network<T>& net, const T* X, Targets<T> y, Index rows,
                         const FitConfig& cfg, const OptimizerConfig& opt, OptimizerState<T>& st,
                         double lr, double* loss) {
  if (cfg.clip_norm <= 0) {
    // No clipping: the update rides along in backprop (Network::train_batch).
    st.t += 1;
    const OptimizerUpdate<T> update(opt, lr, st.t);
    bool finite_update = true;
    *loss = net.train_batch(X, rows, cfg.loss, y, cfg.l1, cfg.l2, update, st.m, st.v,
                            &finite_update);
    if (std::isfinite(*loss) && finite_update) return StepResult::Ok;
    st.t -= 1;
    return std::isfinite(*loss) ? StepResult::BadUpdate : StepResult::BadLoss;
  }
  *loss = net.loss_and_grad(X, rows, cfg.loss, y, cfg.l1, cfg.l2, true);
  if (!std::isfinite(*loss)) return StepResult::BadLoss;
  const Index n = net.num_params();
  T* g = net.grads();
  if (cfg.clip_norm > 0) {
    const double norm = l2_norm(g, n);
    if (!std::isfinite(norm)) return StepResult::BadLoss;
    if (norm > cfg.clip_norm) {
      const T s = T(cfg.clip_norm / norm);
      for (Index i = 0; i < n; ++i) g[i] *= s;
    }
  }
  st.t += 1;
  if (optimizer_step(opt, lr, st.t, net.params(), g, st.m, st.v, net.weight_mask().data(), n))
    return StepResult::Ok;
  st.t -= 1;
  return StepResult::BadUpdate;
}

// θ, m, v and t as they were, to undo a step whose update overflowed.
template <class T>
struct Snapshot {
  std::vector<T> p, m, v;
  std::int64_t t = 0;
  Snapshot(Index n, const OptimizerState<T>& st)
      : p(std::size_t(n)), m(st.m ? std::size_t(n) : 0), v(st.v ? std::size_t(n) : 0) {}
  void take(Network<T>& net, const OptimizerState<T>& st) {
    std::copy(net.params(), net.params() + p.size(), p.begin());
    if (st.m) std::copy(st.m, st.m + m.size(), m.begin());
    if (st.v) std::copy(st.v, st.v + v.size(), v.begin());
    t = st.t;
  }
  void restore(Network<T>& net, OptimizerState<T>& st) const {
    std::copy(p.begin(), p.end(), net.params());
    if (st.m) std::copy(m.begin(), m.end(), st.m);
    if (st.v) std::copy(v.begin(), v.end(), st.v);
    st.t = t;
  }
};

}  // namespace

double scheduled_lr(const ScheduleConfig& s, double base, Index e) {
  switch (s.kind) {
    case ScheduleKind::Step: return base * std::pow(s.gamma, double(e / s.step_size));
    case ScheduleKind::Exponential: return base * std::pow(s.gamma, double(e));
    case ScheduleKind::Cosine: {
      const double pi = 3.14159265358979323846;
      const double frac = double(std::min(e, s.t_max)) / double(s.t_max);
      return s.min_lr + (base - s.min_lr) * (1.0 + std::cos(pi * frac)) / 2.0;
    }
    default: return base;
  }
}

template <class T>
double evaluate(Network<T>& net, const Dataset<T>& d, LossKind loss, double l1, double l2,
                double* metric) {
  const Index chunk = std::max<Index>(net.capacity(), 1);
  const Index w = net.n_out(), in = net.n_in();
  double total = 0.0;
  Index correct = 0;
  for (Index r0 = 0; r0 < d.rows; r0 += chunk) {
    const Index m = std::min(chunk, d.rows - r0);
    const Targets<T> y = offset_targets(d.y, r0, w);
    total += m * net.loss_and_grad(d.X + r0 * in, m, loss, y, 0.0, 0.0, false);
    if (metric && classification(loss))
      correct += count_correct(net.layer_output(Index(net.layers().size()) - 1), y, m, w, loss);
  }
  if (metric) {
    const double denom = double(d.rows) * (loss == LossKind::BCE ? w : 1);
    *metric = classification(loss) ? correct / denom : std::numeric_limits<double>::quiet_NaN();
  }
  return total / double(d.rows) + net.penalty_value(l1, l2);
}

template <class T>
double train_step(Network<T>& net, const Dataset<T>& b, const FitConfig& cfg,
                  const OptimizerConfig& opt, OptimizerState<T>& st, double lr) {
  net.check_differentiable();
  net.reserve(b.rows);
  double loss = 0.0;
  Snapshot<T> snap(net.num_params(), st);  // one step: allocating here is fine
  snap.take(net, st);
  const StepResult r = step_on_batch(net, b.X, b.y, b.rows, cfg, opt, st, lr, &loss);
  if (r != StepResult::Ok) {
    if (r == StepResult::BadUpdate) snap.restore(net, st);
    throw std::domain_error("train_step: the loss or the update is not finite "
                            "(weights and optimizer state left unchanged); lower the learning "
                            "rate or clip gradients");
  }
  return loss;
}

template <class T>
History fit(Network<T>& net, const Dataset<T>& train, const Dataset<T>* val, const FitConfig& cfg,
            const OptimizerConfig& opt, OptimizerState<T>& st, const ReportFn& on_report,
            const PollFn& poll, const BatchFn& on_batch) {
  net.check_differentiable();
  const Index n = train.rows, in = net.n_in(), w = net.n_out(), P = net.num_params();
  const Index bs = std::min(cfg.batch_size, n);
  // A full batch needs no shuffle: its gradient is the same sum in any row order
  // (up to rounding), so it is used in place, without a permutation or a copy.
  const bool gather = cfg.shuffle && bs < n;
  // Every buffer of the loop is sized here, once.
  net.reserve(std::max(bs, val ? std::min<Index>(val->rows, 4096) : Index(1)));
  std::vector<Index> perm(gather ? static_cast<std::size_t>(n) : 0);
  std::vector<T> xb(gather ? std::size_t(bs * in) : 0), yb;
  std::vector<std::int64_t> lb;
  if (gather) {
    if (train.y.labels) lb.resize(std::size_t(bs));
    else yb.resize(std::size_t(bs * w));
  }
  Snapshot<T> snap(P, st);  // the epoch's start, to undo an overflowing update
  std::vector<T> best(static_cast<std::size_t>(P));
  History h;
  for (auto* v : {&h.loss, &h.val_loss, &h.metric, &h.val_metric, &h.lr, &h.seconds})
    v->reserve(std::size_t(cfg.epochs));

  double lr = cfg.lr, best_monitor = std::numeric_limits<double>::infinity();
  double plateau_best = std::numeric_limits<double>::infinity();
  Index plateau_wait = 0, es_wait = 0, batches_seen = 0;
  const auto t_start = Clock::now();
  auto t_poll = t_start, t_report = t_start;
  bool stop = false;

  for (Index e = 0; e < cfg.epochs && !stop; ++e) {
    const Index epoch = cfg.first_epoch + e;
    if (cfg.schedule.kind != ScheduleKind::Plateau) lr = scheduled_lr(cfg.schedule, cfg.lr, epoch);
    snap.take(net, st);
    if (gather) permutation(cfg.seed, std::uint64_t(epoch), n, perm.data());

    double loss_sum = 0.0;
    Index correct = 0, rows_done = 0;
    for (Index b0 = 0; b0 < n; b0 += bs) {
      const Index m = std::min(bs, n - b0);
      const T* X = train.X + b0 * in;
      Targets<T> y = offset_targets(train.y, b0, w);
      if (gather) {  // rows perm[b0 .. b0+m) into the batch buffers (a copy: any thread count)
        NNCORE_PARALLEL_FOR(worth_threads(m * in))
        for (Index r = 0; r < m; ++r) {
          const Index src = perm[b0 + r];
          std::copy(train.X + src * in, train.X + (src + 1) * in, xb.begin() + r * in);
          if (train.y.labels) lb[r] = train.y.labels[src];
          else std::copy(train.y.Y + src * w, train.y.Y + (src + 1) * w, yb.begin() + r * w);
        }
        X = xb.data();
        y = Targets<T>{};
        if (train.y.labels) y.labels = lb.data(); else y.Y = yb.data();
      }
      double loss = 0.0;
      const StepResult r = step_on_batch(net, X, y, m, cfg, opt, st, lr, &loss);
      if (r != StepResult::Ok) {
        // Back to the last finite weights: untouched on a bad loss; on an
        // overflowing update, those at the start of this epoch.
        if (r == StepResult::BadUpdate) snap.restore(net, st);
        h.non_finite = true;
        h.stop_reason = "non_finite";
        stop = true;
        break;
      }
      loss_sum += loss * m;
      rows_done += m;
      if (classification(cfg.loss))
        correct += count_correct(net.layer_output(Index(net.layers().size()) - 1), y, m, w, cfg.loss);
      ++batches_seen;
      if (on_batch && cfg.report_every_batches > 0 &&
          batches_seen % cfg.report_every_batches == 0) {
        const BatchReport br{epoch, b0 / bs, m, loss};
        if (!on_batch(br)) { h.stop_reason = "callback"; stop = true; break; }
        t_poll = Clock::now();  // the callback ran Python: signals were seen there
      }
      if (poll && cfg.poll_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - t_poll).count() >= cfg.poll_seconds) {
        t_poll = Clock::now();
        if (!poll()) { h.stop_reason = "interrupted"; stop = true; break; }
      }
    }
    // Non-finite, or interrupted mid-epoch: that epoch is not recorded. (An
    // interrupt after its last batch leaves a complete epoch: record it.)
    if (stop && (h.non_finite || rows_done < n)) break;

    EpochReport rep;
    rep.epoch = epoch;
    rep.loss = loss_sum / double(n);
    rep.lr = lr;
    rep.has_metric = classification(cfg.loss);
    rep.metric = rep.has_metric ? correct / double(n * (cfg.loss == LossKind::BCE ? w : 1))
                                : std::numeric_limits<double>::quiet_NaN();
    rep.val_loss = rep.val_metric = std::numeric_limits<double>::quiet_NaN();
    if (val) {
      rep.has_val = true;
      rep.val_loss = evaluate(net, *val, cfg.loss, cfg.l1, cfg.l2, &rep.val_metric);
    }
    rep.seconds = seconds_since(t_start);
    h.loss.push_back(rep.loss);
    h.val_loss.push_back(rep.val_loss);
    h.metric.push_back(rep.metric);
    h.val_metric.push_back(rep.val_metric);
    h.lr.push_back(lr);
    h.seconds.push_back(rep.seconds);
    h.epochs_run = e + 1;

    const double monitor = val ? rep.val_loss : rep.loss;
    if (cfg.schedule.kind == ScheduleKind::Plateau) {
      // best starts at +∞, so the first epoch always improves; NaN never does.
      const bool improved =
          !std::isnan(monitor) &&
          (std::isinf(plateau_best) ||
           monitor < plateau_best - cfg.schedule.threshold * std::fabs(plateau_best));
      if (improved) {
        plateau_best = monitor;
        plateau_wait = 0;
      } else if (++plateau_wait >= cfg.schedule.patience) {
        lr = std::max(lr * cfg.schedule.factor, cfg.schedule.min_lr);
        plateau_wait = 0;
      }
    }
    if (cfg.patience > 0) {
      if (monitor < best_monitor - cfg.min_delta) {
        best_monitor = monitor;
        h.best_epoch = epoch;
        es_wait = 0;
        if (cfg.restore_best) std::copy(net.params(), net.params() + P, best.begin());
      } else if (++es_wait >= cfg.patience) {
        h.stop_reason = "early_stopping";
        stop = true;
      }
    }
    const bool last = e + 1 == cfg.epochs || stop;
    const bool due_epochs = cfg.report_every_epochs > 0 && (e + 1) % cfg.report_every_epochs == 0;
    const bool due_time = cfg.report_seconds > 0 &&
                          std::chrono::duration<double>(Clock::now() - t_report).count() >= cfg.report_seconds;
    if (on_report && (due_epochs || due_time || last)) {
      t_report = t_poll = Clock::now();
      if (!on_report(rep) && !stop) { h.stop_reason = "callback"; stop = true; }
    }
  }
  if (cfg.patience > 0 && cfg.restore_best && h.best_epoch >= 0 && !h.non_finite)
    std::copy(best.begin(), best.end(), net.params());
  return h;
}

#define NNCORE_INSTANTIATE(T)                                                                   \
  template History fit<T>(Network<T>&, const Dataset<T>&, const Dataset<T>*, const FitConfig&,  \
                          const OptimizerConfig&, OptimizerState<T>&, const ReportFn&,          \
                          const PollFn&, const BatchFn&);                                       \
  template double train_step<T>(Network<T>&, const Dataset<T>&, const FitConfig&,               \
                                const OptimizerConfig&, OptimizerState<T>&, double);            \
  template double evaluate<T>(Network<T>&, const Dataset<T>&, LossKind, double, double, double*);
NNCORE_INSTANTIATE(float)
NNCORE_INSTANTIATE(double)
#undef NNCORE_INSTANTIATE

}  // namespace nncore
