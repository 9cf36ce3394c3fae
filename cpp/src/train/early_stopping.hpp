// Early stopping: stop once the monitored loss has not improved by more than
// min_delta for `patience` epochs; with restore_best, keep a copy of the best
// epoch's weights (sized once here) to put back at the end.
#pragma once
#include <algorithm>
#include <limits>
#include <vector>

#include "nncore/trainer.hpp"

namespace nncore::train {

template <class T>
class EarlyStopping {
 public:
  EarlyStopping(const FitConfig& cfg, Index num_params)
      : cfg_(cfg),
        best_params_(cfg.patience > 0 && cfg.restore_best ? std::size_t(num_params) : 0) {}

  // After an epoch: true when training should stop.
  bool should_stop(double monitor, Index epoch, const T* params) {
    if (cfg_.patience <= 0) return false;
    if (monitor < best_ - cfg_.min_delta) {
      best_ = monitor;
      best_epoch_ = epoch;
      wait_ = 0;
      std::copy(params, params + best_params_.size(), best_params_.begin());
      return false;
    }
    return ++wait_ >= cfg_.patience;
  }

  // Puts the best epoch's weights back (if asked for and there was one).
  void restore_best(T* params) const {
    if (best_epoch_ >= 0) std::copy(best_params_.begin(), best_params_.end(), params);
  }

  Index best_epoch() const { return best_epoch_; }

 private:
  const FitConfig& cfg_;
  std::vector<T> best_params_;  // empty unless patience > 0 and restore_best
  double best_ = std::numeric_limits<double>::infinity();
  Index best_epoch_ = -1;
  Index wait_ = 0;
};

}  // namespace nncore::train
