// Optimizer update kernels: one fused loop over the whole parameter arena.
// Equations (lecture forms are the defaults) are in docs/design.md and in the
// Python docstrings of nncore.SGD / Momentum / RMSprop / Adam.
#pragma once
#include <cstdint>

#include "nncore/layer.hpp"

namespace nncore {

enum class OptimizerKind : int { SGD, Momentum, RMSprop, Adam };
inline constexpr EnumName<OptimizerKind> kOptimizerKindNames[] = {
    {"sgd", OptimizerKind::SGD}, {"momentum", OptimizerKind::Momentum},
    {"rmsprop", OptimizerKind::RMSprop}, {"adam", OptimizerKind::Adam},
};

enum class MomentumForm : int { EMA, Classic, Nesterov };
inline constexpr EnumName<MomentumForm> kMomentumFormNames[] = {
    {"ema", MomentumForm::EMA}, {"classic", MomentumForm::Classic},
    {"nesterov", MomentumForm::Nesterov},
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::SGD;
  double gamma = 0.9;   // Momentum γ, RMSprop γ, Adam β₁
  double beta2 = 0.999; // Adam β₂
  double eps = 1e-8;
  MomentumForm form = MomentumForm::EMA;
  bool eps_inside = true;     // RMSprop: √(v+ε) (lecture) or √v + ε (PyTorch);
                              // Adam: ε added before the bias correction (scikit-learn)
  double weight_decay = 0.0;  // Adam: decoupled (AdamW), on weights only
};

// One step θ ← update(θ, g) with learning rate lr; m, v are the state buffers
// (unused ones may be null); t is the step count after incrementing (≥ 1).
// weight_mask[i] != 0 marks penalised weights (for decoupled weight decay).
// Returns false if any new θ is not finite (the caller restores a snapshot).
template <class T>
bool optimizer_step(const OptimizerConfig& cfg, double lr, std::int64_t t, T* theta,
                    const T* g, T* m, T* v, const std::uint8_t* weight_mask, Index n);

// The arrays an update reads and writes (m, v, weight_mask may be null where the
// optimizer does not use them).
template <class T>
struct UpdateArrays {
  T* theta;
  const T* g;
  T* m;
  T* v;
  const std::uint8_t* weight_mask;
};

// One step's update prepared once (bias corrections, …) and applied to any
// sub-range, serially, with the same arithmetic as optimizer_step: used by the
// fused weight-gradient epilogue, which updates θ block by block.
template <class T>
class OptimizerUpdate {
 public:
  OptimizerUpdate(const OptimizerConfig& cfg, double lr, std::int64_t t);
  // θ[i0, i1) ← update(θ, g); false if a new θ is not finite. Inline so that the
  // out-of-line call takes its arguments in registers: the epilogue calls it once
  // per row, and clang copied i0, i1 from the stack with one 16-byte load of two
  // 8-byte stores, which cannot be store-forwarded, so every call waited for the
  // previous row's divisions to retire (16-wide rows took twice GCC's time).
  bool apply(T* theta, const T* g, T* m, T* v, const std::uint8_t* weight_mask, Index i0,
             Index i1) const {
    return apply_range(UpdateArrays<T>{theta, g, m, v, weight_mask}, i0, i1);
  }
  bool apply_range(const UpdateArrays<T>& arrays, Index i0, Index i1) const;

 private:
  OptimizerConfig cfg_;
  T lr_, gamma_, beta2_, eps_, c1_, c2_, wd_;
};

// ‖g‖₂ with a fixed summation order (thread-count independent).
template <class T>
double l2_norm(const T* g, Index n);

}  // namespace nncore
