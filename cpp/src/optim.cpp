// Optimizer update kernels. Element-wise, so splitting across threads keeps
// results bitwise identical for any thread count.
#include "nncore/optim.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"

namespace nncore {

namespace {

// Scalars of one step, computed once.
template <class T>
struct StepConsts {
  T lr, gm, b2, eps, c1, c2, wd;
};

// Updates θ[i0, i1) and reports whether every new value is finite (the check
// rides along in the same pass over memory).
template <class T>
NNCORE_SIMD_INLINE bool update_range(const OptimizerConfig& c, const StepConsts<T>& k,
                                     T* __restrict th, const T* __restrict g, T* __restrict m,
                                     T* __restrict v, const std::uint8_t* __restrict mask,
                                     Index i0, Index i1) {
  const T big = std::numeric_limits<T>::max();
  int bad = 0;
  switch (c.kind) {
    case OptimizerKind::SGD:
      NNCORE_SHORT_LOOP
      for (Index i = i0; i < i1; ++i) {
        th[i] -= k.lr * g[i];
        bad |= !(std::fabs(th[i]) <= big);
      }
      break;
    case OptimizerKind::Momentum:
      if (c.form == MomentumForm::EMA) {
        // m ← γm + (1−γ)g ; θ ← θ − ηm
        NNCORE_SHORT_LOOP
        for (Index i = i0; i < i1; ++i) {
          m[i] = k.gm * m[i] + (T(1) - k.gm) * g[i];
          th[i] -= k.lr * m[i];
          bad |= !(std::fabs(th[i]) <= big);
        }
      } else if (c.form == MomentumForm::Classic) {
        // v ← γv + g ; θ ← θ − ηv
        NNCORE_SHORT_LOOP
        for (Index i = i0; i < i1; ++i) {
          m[i] = k.gm * m[i] + g[i];
          th[i] -= k.lr * m[i];
          bad |= !(std::fabs(th[i]) <= big);
        }
      } else {
        // v ← γv + g ; θ ← θ − η(g + γv)
        NNCORE_SHORT_LOOP
        for (Index i = i0; i < i1; ++i) {
          m[i] = k.gm * m[i] + g[i];
          th[i] -= k.lr * (g[i] + k.gm * m[i]);
          bad |= !(std::fabs(th[i]) <= big);
        }
      }
      break;
    case OptimizerKind::RMSprop:
      // v ← γv + (1−γ)g² ; θ ← θ − α g/√(v+ε)  (or g/(√v+ε))
      NNCORE_SHORT_LOOP
      for (Index i = i0; i < i1; ++i) {
        v[i] = k.gm * v[i] + (T(1) - k.gm) * g[i] * g[i];
        const T den = c.eps_inside ? std::sqrt(v[i] + k.eps) : std::sqrt(v[i]) + k.eps;
        th[i] -= k.lr * g[i] / den;
        bad |= !(std::fabs(th[i]) <= big);
      }
      break;
    case OptimizerKind::Adam:
      // (AdamW: θ ← θ − ηλθ on weights) m ← β₁m + (1−β₁)g ; v ← β₂v + (1−β₂)g² ;
      // θ ← θ − η (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
      if (k.wd != T(0)) {  // its own loop: the byte mask would keep the main loop scalar
        NNCORE_SHORT_LOOP
        for (Index i = i0; i < i1; ++i) th[i] -= mask[i] ? k.wd * th[i] : T(0);
      }
      NNCORE_SHORT_LOOP
      for (Index i = i0; i < i1; ++i) {
        m[i] = k.gm * m[i] + (T(1) - k.gm) * g[i];
        v[i] = k.b2 * v[i] + (T(1) - k.b2) * g[i] * g[i];
        th[i] -= k.lr * (m[i] / k.c1) / (std::sqrt(v[i] / k.c2) + k.eps);
        bad |= !(std::fabs(th[i]) <= big);
      }
      break;
  }
  return !bad;
}

// One cloned entry per type (simd.hpp: clang clones no templates). Its arguments
// all travel in registers (see OptimizerUpdate::apply).
#define NNCORE_UPDATE_ENTRY(T)                                                                 \
  NNCORE_SIMD_ENTRY bool update_range(const OptimizerConfig& c, const StepConsts<T>& k,       \
                                      const UpdateArrays<T>& a, Index i0, Index i1) {          \
    return update_range<T>(c, k, a.theta, a.g, a.m, a.v, a.weight_mask, i0, i1);               \
  }
NNCORE_UPDATE_ENTRY(float)
NNCORE_UPDATE_ENTRY(double)
#undef NNCORE_UPDATE_ENTRY

template <class T>
StepConsts<T> step_consts(const OptimizerConfig& c, double lr, std::int64_t t) {
  // Adam's bias corrections; the two pow calls are a good part of a tiny step, so
  // the other optimizers (which do not use them) skip them.
  const bool adam = c.kind == OptimizerKind::Adam;
  const double c1 = adam ? 1.0 - std::pow(c.gamma, double(t)) : 1.0;
  const double c2 = adam ? 1.0 - std::pow(c.beta2, double(t)) : 1.0;
  // Adam with eps_inside (scikit-learn, TensorFlow): θ ← θ − η·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε),
  // which is the loop's formula with ε/√(1−β₂ᵗ) in place of ε.
  const double eps = c.kind == OptimizerKind::Adam && c.eps_inside ? c.eps / std::sqrt(c2) : c.eps;
  return {T(lr), T(c.gamma), T(c.beta2), T(eps), T(c1), T(c2), T(lr * c.weight_decay)};
}

}  // namespace

template <class T>
OptimizerUpdate<T>::OptimizerUpdate(const OptimizerConfig& cfg, double lr, std::int64_t t)
    : cfg_(cfg) {
  const StepConsts<T> k = step_consts<T>(cfg, lr, t);
  lr_ = k.lr, gamma_ = k.gm, beta2_ = k.b2, eps_ = k.eps, c1_ = k.c1, c2_ = k.c2, wd_ = k.wd;
}

template <class T>
bool OptimizerUpdate<T>::apply_range(const UpdateArrays<T>& a, Index i0, Index i1) const {
  const StepConsts<T> k{lr_, gamma_, beta2_, eps_, c1_, c2_, wd_};
  return update_range(cfg_, k, a, i0, i1);
}

template <class T>
bool optimizer_step(const OptimizerConfig& c, double lr, std::int64_t t, T* th, const T* g, T* m,
                    T* v, const std::uint8_t* mask, Index n) {
  const StepConsts<T> k = step_consts<T>(c, lr, t);
  const UpdateArrays<T> a{th, g, m, v, mask};
  constexpr Index chunk = 16384;
  if (!worth_threads(n)) return update_range(c, k, a, 0, n);
  std::atomic<bool> bad{false};
  for_chunks(n, chunk, [&](Index i0, Index i1) {
    if (!update_range(c, k, a, i0, i1)) bad.store(true, std::memory_order_relaxed);
  });
  return !bad.load();
}

template <class T>
double l2_norm(const T* g, Index n) {
  double s = 0.0;
  for (Index i = 0; i < n; ++i) s += double(g[i]) * double(g[i]);
  return std::sqrt(s);
}

template bool optimizer_step<float>(const OptimizerConfig&, double, std::int64_t, float*,
                                    const float*, float*, float*, const std::uint8_t*, Index);
template bool optimizer_step<double>(const OptimizerConfig&, double, std::int64_t, double*,
                                     const double*, double*, double*, const std::uint8_t*, Index);
template class OptimizerUpdate<float>;
template class OptimizerUpdate<double>;
template double l2_norm<float>(const float*, Index);
template double l2_norm<double>(const double*, Index);

}  // namespace nncore
