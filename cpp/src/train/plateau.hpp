// ReduceOnPlateau, the one stateful schedule: after `patience` epochs without
// a relative improvement of the monitored loss by `threshold`, lr ← max(lr·factor, min_lr).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

#include "nncore/trainer.hpp"

namespace nncore::train {

class Plateau {
 public:
  explicit Plateau(const ScheduleConfig& s) : s_(s) {}

  // The learning rate for the next epoch, given this epoch's monitored loss.
  double next_lr(double monitor, double lr) {
    // best starts at +∞, so the first epoch always improves; NaN never does.
    const bool improved =
        !std::isnan(monitor) &&
        (std::isinf(best_) || monitor < best_ - s_.threshold * std::fabs(best_));
    if (improved) {
      best_ = monitor;
      wait_ = 0;
    } else if (++wait_ >= s_.patience) {
      lr = std::max(lr * s_.factor, s_.min_lr);
      wait_ = 0;
    }
    return lr;
  }

 private:
  const ScheduleConfig& s_;
  double best_ = std::numeric_limits<double>::infinity();
  Index wait_ = 0;
};

}  // namespace nncore::train
