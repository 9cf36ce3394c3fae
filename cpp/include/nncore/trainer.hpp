// The training loop below the GIL: epochs × minibatches × (forward, loss,
// backward, update) in one call. It reports to its caller through
// callbacks (the bindings turn them into Python calls), never touching Python.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nncore/network.hpp"
#include "nncore/optim.hpp"

namespace nncore {

enum class ScheduleKind : int { Constant, Step, Exponential, Cosine, Plateau };
inline constexpr EnumName<ScheduleKind> kScheduleKindNames[] = {
    {"constant", ScheduleKind::Constant}, {"step", ScheduleKind::Step},
    {"exponential", ScheduleKind::Exponential}, {"cosine", ScheduleKind::Cosine},
    {"plateau", ScheduleKind::Plateau},
};

// How a step gets its gradient: backpropagation, or an estimate from forward
// passes only (train/forward_gradient.hpp): the forward gradient, weight perturbation.
enum class GradientKind : int { Backprop, Forward, Perturbation };
inline constexpr EnumName<GradientKind> kGradientKindNames[] = {
    {"backprop", GradientKind::Backprop}, {"forward", GradientKind::Forward},
    {"perturbation", GradientKind::Perturbation},
};

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::Constant;
  Index step_size = 1;   // Step
  double gamma = 1.0;    // Step, Exponential
  Index t_max = 1;       // Cosine
  double min_lr = 0.0;   // Cosine, Plateau
  double factor = 0.1;   // Plateau
  Index patience = 10;   // Plateau
  double threshold = 1e-4;
};

// lr for epoch e of a closed-form schedule (Plateau is stateful: see fit).
double scheduled_lr(const ScheduleConfig& s, double base_lr, Index epoch);

struct FitConfig {
  LossKind loss = LossKind::MSE;
  double l1 = 0.0, l2 = 0.0;
  Index epochs = 1, batch_size = 32;
  bool shuffle = true;
  std::uint64_t seed = 0;
  std::uint64_t dropout_seed = 0;  // Dropout masks: (dropout_seed, step t, layer, row, unit)
  Index first_epoch = 0;     // global epoch count at the start (continued training)
  double lr = 0.01;          // base learning rate
  double clip_norm = 0.0;    // 0: off
  // l1, l2 per unit of sample weight: each batch's penalty divided by its weight sum
  // (its rows when unweighted), scikit-learn's MLP convention.
  bool penalty_per_weight = false;
  ScheduleConfig schedule;
  GradientKind gradient = GradientKind::Backprop;
  Index tangents = 1;        // forward/perturbation: tangents averaged per step
  double epsilon = 1e-3;     // perturbation: θ ± ε·v
  Index patience = 0;        // early stopping; 0: off
  double min_delta = 0.0;
  bool restore_best = true;
  double report_seconds = 0.0;   // progress callback at most this often (0: never)
  Index report_every_epochs = 0; // callback every N epochs (user callbacks); 0: never
  Index report_every_batches = 0;  // batch callback every N batches (across epochs); 0: never
  double poll_seconds = 0.05;    // how often to check for Ctrl-C inside an epoch
};

// Data for fit: training set and an optional validation set.
template <class T>
struct Dataset {
  const T* X = nullptr;
  Targets<T> y;
  Index rows = 0;
};

struct EpochReport {
  Index epoch = 0;  // global epoch index
  double loss = 0, val_loss = 0, metric = 0, val_metric = 0, lr = 0, seconds = 0;
  bool has_val = false, has_metric = false;
};

// Per epoch: loss, lr, seconds always; metric (accuracy) for classification losses only;
// val_loss and val_metric only with validation data (empty otherwise: a fit of many
// tiny epochs pays for no series it does not have).
struct History {
  std::vector<double> loss, val_loss, metric, val_metric, lr, seconds;
  Index epochs_run = 0;
  Index best_epoch = -1;
  std::string stop_reason;  // "", "early_stopping", "callback", "interrupted", "non_finite"
};

// Optimizer state buffers (arena-sized, owned by the caller) and the step count.
template <class T>
struct OptimizerState {
  T* m = nullptr;
  T* v = nullptr;
  std::int64_t t = 0;
};

// What a batch callback sees: the batch's loss (before its update).
struct BatchReport {
  Index epoch = 0, batch = 0, rows = 0;
  double loss = 0;
};

// on_report(report) → false stops training; poll() (PollFn, network.hpp) → false stops (Ctrl-C);
// on_batch(report) every report_every_batches batches → false stops.
// lr_for(epoch, &lr) before every epoch: lr holds the rate the loop would use (its
// schedule's, or ReduceOnPlateau's current one) and receives the rate to use, which the
// loop carries on (ReduceOnPlateau continues from it); false stops before the epoch.
using ReportFn = std::function<bool(const EpochReport&)>;
using BatchFn = std::function<bool(const BatchReport&)>;
using LrFn = std::function<bool(Index epoch, double* lr)>;

// Where fit writes the network's outputs of each epoch, when given (for metrics the
// caller computes): train, rows × n_out, holds each row's output in its batch, before
// that batch's update (the same outputs the accuracy counts), at the row's place in the
// training set; val, val rows × n_out, the outputs val_loss was computed from.
template <class T>
struct EpochOutputs {
  T* train = nullptr;
  T* val = nullptr;
};

template <class T>
History fit(Network<T>& net, const Dataset<T>& train, const Dataset<T>* val,
            const FitConfig& cfg, const OptimizerConfig& opt, OptimizerState<T>& state,
            const ReportFn& on_report, const PollFn& poll, const BatchFn& on_batch = {},
            const LrFn& lr_for = {}, EpochOutputs<T> outputs = {});

// One optimizer step on one batch; returns the batch loss (before the step).
// Throws std::domain_error on a non-finite loss or update (weights untouched).
template <class T>
double train_step(Network<T>& net, const Dataset<T>& batch, const FitConfig& cfg,
                  const OptimizerConfig& opt, OptimizerState<T>& state, double lr);

// Mean loss (+ penalty) and metric over a data set, in chunks of the
// network's capacity. metric: accuracy for BCE/CE, NaN otherwise. outputs (optional,
// rows × n_out) receives the network's outputs.
template <class T>
double evaluate(Network<T>& net, const Dataset<T>& data, LossKind loss, double l1, double l2,
                double* metric, T* outputs = nullptr);

}  // namespace nncore
