// fit / train_step / evaluate: the whole training run in native code. The
// pieces fit is made of (batches, the step, plateau, early stopping) are in train/.
#include "nncore/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "train/accuracy.hpp"
#include "train/batches.hpp"
#include "train/early_stopping.hpp"
#include "train/plateau.hpp"
#include "train/step.hpp"

namespace nncore {

using namespace nncore::train;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// One fit call: the buffers of the loop (all sized in the constructor) and
// the epoch loop, split into an epoch's batches, its record and its report.
template <class T>
class FitLoop {
 public:
  FitLoop(Network<T>& net, const Dataset<T>& train, const Dataset<T>* val, const FitConfig& cfg,
          const OptimizerConfig& opt, OptimizerState<T>& st, const ReportFn& on_report,
          const PollFn& poll, const BatchFn& on_batch, const LrFn& lr_for, EpochOutputs<T> out)
      : net_(net), train_(train), val_(val), cfg_(cfg), opt_(opt), st_(st),
        on_report_(on_report), poll_(poll), on_batch_(on_batch), lr_for_(lr_for), out_(out),
        bs_(std::min(cfg.batch_size, train.rows)),
        batches_(train, net.n_in(), net.n_out(), bs_, cfg.shuffle),
        snap_(net.num_params(), st), est_(net, cfg, bs_), plateau_(cfg.schedule),
        early_(cfg, net.num_params()),
        lr_(cfg.lr) {
    net.reserve(std::max(bs_, val ? std::min<Index>(val->rows, 4096) : Index(1)));
    // Room for the usual run up front; a huge epochs (stopped early by a callback)
    // must not reserve memory for epochs that never run: the history grows then.
    const auto room = std::size_t(std::min<Index>(cfg.epochs, 4096));
    for (auto* v : {&h_.loss, &h_.lr, &h_.seconds}) v->reserve(room);
    if (classification(cfg.loss)) h_.metric.reserve(room);
    if (val) {
      h_.val_loss.reserve(room);
      if (classification(cfg.loss)) h_.val_metric.reserve(room);
    }
  }

  History run() {
    for (Index e = 0; e < cfg_.epochs && !stopped_; ++e) {
      const Index epoch = cfg_.first_epoch + e;
      if (cfg_.schedule.kind != ScheduleKind::Plateau)
        lr_ = scheduled_lr(cfg_.schedule, cfg_.lr, epoch);
      if (lr_for_ && !lr_for_(epoch, &lr_)) {
        stop("callback");
        break;
      }
      snap_.take(net_, st_);  // the epoch's start, to undo an overflowing update
      batches_.start_epoch(cfg_.seed, std::uint64_t(epoch));
      const EpochSums sums = train_epoch(epoch);
      // Non-finite, or interrupted mid-epoch: that epoch is not recorded. (An
      // interrupt after its last batch leaves a complete epoch: record it.)
      if (stopped_ && (non_finite_ || sums.rows < train_.rows)) break;
      const EpochReport rep = record(e, epoch, sums);
      const double monitor = val_ ? rep.val_loss : rep.loss;
      if (cfg_.schedule.kind == ScheduleKind::Plateau) lr_ = plateau_.next_lr(monitor, lr_);
      if (early_.should_stop(monitor, epoch, net_.params())) stop("early_stopping");
      report(e, rep);
    }
    h_.best_epoch = early_.best_epoch();
    if (!non_finite_) early_.restore_best(net_.params());
    return h_;
  }

 private:
  struct EpochSums {
    double loss = 0.0;  // Σ batch loss × batch rows
    Index correct = 0, rows = 0;
  };

  void stop(const char* reason) {
    h_.stop_reason = reason;
    stopped_ = true;
  }

  EpochSums train_epoch(Index epoch) {
    EpochSums sums;
    const Index n = train_.rows;
    for (Index b0 = 0; b0 < n; b0 += bs_) {
      const Index m = std::min(bs_, n - b0);
      const Batch<T> b = batches_.get(b0, m);
      double loss = 0.0;
      const StepResult r = step_on_batch(net_, b.X, b.y, m, cfg_, opt_, st_, lr_, &loss, &est_,
                                         b.ids, b.row0);
      if (r != StepResult::Ok) {
        // Back to the last finite weights: untouched on a bad loss; on an
        // overflowing update, those at the start of this epoch.
        if (r == StepResult::BadUpdate) snap_.restore(net_, st_);
        non_finite_ = true;
        stop("non_finite");
        break;
      }
      if (out_.train) keep_outputs(b0, m);
      sums.loss += loss * double(m);
      sums.rows += m;
      if (classification(cfg_.loss))
        sums.correct += count_correct(net_.layer_output(Index(net_.layers().size()) - 1), b.y, m,
                                      net_.n_out(), cfg_.loss);
      if (!after_batch(BatchReport{epoch, b0 / bs_, m, loss})) break;
    }
    return sums;
  }

  // The batch's outputs (rows of the last layer) at their rows' places in the training set.
  void keep_outputs(Index b0, Index m) {
    const Index w = net_.n_out();
    const T* h = net_.layer_output(Index(net_.layers().size()) - 1);
    for (Index r = 0; r < m; ++r)
      std::copy(h + r * w, h + (r + 1) * w, out_.train + batches_.source_row(b0 + r) * w);
  }

  // The batch callback and the Ctrl-C poll; false when one of them stops fit.
  bool after_batch(const BatchReport& br) {
    ++batches_seen_;
    batch_end_ = Clock::now();
    if (on_batch_ && cfg_.report_every_batches > 0 &&
        batches_seen_ % cfg_.report_every_batches == 0) {
      if (!on_batch_(br)) { stop("callback"); return false; }
      t_poll_ = batch_end_ = Clock::now();  // the callback ran Python: signals were seen there
    }
    if (poll_ && cfg_.poll_seconds > 0 &&
        std::chrono::duration<double>(batch_end_ - t_poll_).count() >= cfg_.poll_seconds) {
      if (!poll_()) { stop("interrupted"); return false; }
      t_poll_ = batch_end_ = Clock::now();
    }
    return true;
  }

  // The epoch's losses and metrics, appended to the history.
  EpochReport record(Index e, Index epoch, const EpochSums& sums) {
    EpochReport rep;
    rep.epoch = epoch;
    rep.loss = sums.loss / double(train_.rows);
    rep.lr = lr_;
    rep.has_metric = classification(cfg_.loss);
    rep.metric =
        rep.has_metric ? accuracy(sums.correct, train_.rows, net_.n_out(), cfg_.loss) : kNaN;
    rep.val_loss = rep.val_metric = kNaN;
    if (val_) {
      rep.has_val = true;
      // per-weight penalty: divided by the validation set's weight sum
      const double ws = cfg_.penalty_per_weight ? weight_sum(val_->y.w, val_->rows) : 1.0;
      rep.val_loss = evaluate(net_, *val_, cfg_.loss, cfg_.l1 / ws, cfg_.l2 / ws, &rep.val_metric,
                              out_.val);
    }
    // Without validation the epoch ended with its last batch: use the clock that batch
    // read for the Ctrl-C poll (a clock read costs 20-50 ns, a whole step of the 4-row
    // XOR network a few hundred); after a validation pass, read it again.
    if (val_) batch_end_ = Clock::now();
    rep.seconds = std::chrono::duration<double>(batch_end_ - t_start_).count();
    h_.loss.push_back(rep.loss);
    if (rep.has_metric) h_.metric.push_back(rep.metric);
    if (val_) {
      h_.val_loss.push_back(rep.val_loss);
      if (rep.has_metric) h_.val_metric.push_back(rep.val_metric);
    }
    h_.lr.push_back(rep.lr);
    h_.seconds.push_back(rep.seconds);
    h_.epochs_run = e + 1;
    return rep;
  }

  // The epoch callback: every N epochs, every report_seconds, and after the last epoch.
  void report(Index e, const EpochReport& rep) {
    const bool last = e + 1 == cfg_.epochs || stopped_;
    const bool due_epochs = cfg_.report_every_epochs > 0 && (e + 1) % cfg_.report_every_epochs == 0;
    const bool due_time = cfg_.report_seconds > 0 && seconds_since(t_report_) >= cfg_.report_seconds;
    if (on_report_ && (due_epochs || due_time || last)) {
      t_report_ = t_poll_ = Clock::now();
      if (!on_report_(rep) && !stopped_) stop("callback");
    }
  }

  Network<T>& net_;
  const Dataset<T>& train_;
  const Dataset<T>* val_;
  const FitConfig& cfg_;
  const OptimizerConfig& opt_;
  OptimizerState<T>& st_;
  const ReportFn& on_report_;
  const PollFn& poll_;
  const BatchFn& on_batch_;
  const LrFn& lr_for_;
  const EpochOutputs<T> out_;
  const Index bs_;
  BatchSource<T> batches_;
  Snapshot<T> snap_;
  GradientEstimator<T> est_;
  Plateau plateau_;
  EarlyStopping<T> early_;
  History h_;
  double lr_;
  Index batches_seen_ = 0;
  bool stopped_ = false, non_finite_ = false;
  Clock::time_point t_start_ = Clock::now(), t_poll_ = t_start_, t_report_ = t_start_;
  Clock::time_point batch_end_ = t_start_;  // read once per batch, after it
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
                double* metric, T* outputs) {
  const Index chunk = std::max<Index>(net.capacity(), 1);
  const Index w = net.n_out(), in = net.n_in();
  double total = 0.0, weights = 0.0;  // Σ chunk loss × chunk weight; Σ weights
  Index correct = 0;
  for (Index r0 = 0; r0 < d.rows; r0 += chunk) {
    const Index m = std::min(chunk, d.rows - r0);
    const Targets<T> y = offset_targets(d.y, r0, w);
    const double wm = weight_sum(y.w, m);
    total += wm * net.loss_and_grad(d.X + r0 * in, m, loss, y, 0.0, 0.0, false);
    weights += wm;
    if (outputs) {
      const T* h = net.layer_output(Index(net.layers().size()) - 1);
      std::copy(h, h + m * w, outputs + r0 * w);
    }
    if (metric && classification(loss))
      correct += count_correct(net.layer_output(Index(net.layers().size()) - 1), y, m, w, loss);
  }
  if (metric) *metric = classification(loss) ? accuracy(correct, d.rows, w, loss) : kNaN;
  return (weights > 0 ? total / weights : 0.0) + net.penalty_value(l1, l2);
}

template <class T>
double train_step(Network<T>& net, const Dataset<T>& b, const FitConfig& cfg,
                  const OptimizerConfig& opt, OptimizerState<T>& st, double lr) {
  if (cfg.gradient != GradientKind::Perturbation) net.check_differentiable();
  net.reserve(b.rows);
  double loss = 0.0;
  Snapshot<T> snap(net.num_params(), st);  // one step: allocating here is fine
  snap.take(net, st);
  GradientEstimator<T> est(net, cfg, b.rows);
  const StepResult r = step_on_batch(net, b.X, b.y, b.rows, cfg, opt, st, lr, &loss, &est);
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
            const PollFn& poll, const BatchFn& on_batch, const LrFn& lr_for,
            EpochOutputs<T> outputs) {
  // Weight perturbation needs no derivative: it trains through Step layers too.
  if (cfg.gradient != GradientKind::Perturbation) net.check_differentiable();
  return FitLoop<T>(net, train, val, cfg, opt, st, on_report, poll, on_batch, lr_for, outputs)
      .run();
}

#define NNCORE_INSTANTIATE(T)                                                                   \
  template History fit<T>(Network<T>&, const Dataset<T>&, const Dataset<T>*, const FitConfig&,  \
                          const OptimizerConfig&, OptimizerState<T>&, const ReportFn&,          \
                          const PollFn&, const BatchFn&, const LrFn&, EpochOutputs<T>);         \
  template double train_step<T>(Network<T>&, const Dataset<T>&, const FitConfig&,               \
                                const OptimizerConfig&, OptimizerState<T>&, double);            \
  template double evaluate<T>(Network<T>&, const Dataset<T>&, LossKind, double, double, double*, \
                              T*);
NNCORE_INSTANTIATE(float)
NNCORE_INSTANTIATE(double)
#undef NNCORE_INSTANTIATE

}  // namespace nncore
