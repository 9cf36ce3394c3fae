// Optimizer update kernels. Element-wise, so splitting across threads keeps
// results bitwise identical for any thread count.
#include "nncore/optim.hpp"

#include <cmath>

#include "nncore/parallel.hpp"
#include "nncore/simd.hpp"

namespace nncore {

template <class T>
NNCORE_SIMD_CLONES bool optimizer_step(const OptimizerConfig& c, double lr_d, std::int64_t t, T* th, const T* g,
                    T* m, T* v, const std::uint8_t* mask, Index n) {
  const T lr = T(lr_d), gm = T(c.gamma), eps = T(c.eps);
  const bool par = worth_threads(n * 8);
  int bad = 0;
  switch (c.kind) {
    case OptKind::SGD:
      NNCORE_PARALLEL_FOR(par)
      for (Index i = 0; i < n; ++i) th[i] -= lr * g[i];
      break;
    case OptKind::Momentum:
      if (c.form == MomentumForm::EMA) {
        // m ← γm + (1−γ)g ; θ ← θ − ηm
        NNCORE_PARALLEL_FOR(par)
        for (Index i = 0; i < n; ++i) {
          m[i] = gm * m[i] + (T(1) - gm) * g[i];
          th[i] -= lr * m[i];
        }
      } else {
        // v ← γv + g ; θ ← θ − ηv (classic) or θ − η(g + γv) (Nesterov)
        const bool nesterov = c.form == MomentumForm::Nesterov;
        NNCORE_PARALLEL_FOR(par)
        for (Index i = 0; i < n; ++i) {
          m[i] = gm * m[i] + g[i];
          th[i] -= lr * (nesterov ? g[i] + gm * m[i] : m[i]);
        }
      }
      break;
    case OptKind::RMSprop:
      // v ← γv + (1−γ)g² ; θ ← θ − α g/√(v+ε)  (or g/(√v+ε))
      NNCORE_PARALLEL_FOR(par)
      for (Index i = 0; i < n; ++i) {
        v[i] = gm * v[i] + (T(1) - gm) * g[i] * g[i];
        const T den = c.eps_inside ? std::sqrt(v[i] + eps) : std::sqrt(v[i]) + eps;
        th[i] -= lr * g[i] / den;
      }
      break;
    case OptKind::Adam: {
      const T b2 = T(c.beta2);
      const T c1 = T(1.0 - std::pow(c.gamma, double(t)));
      const T c2 = T(1.0 - std::pow(c.beta2, double(t)));
      const T wd = T(lr_d * c.weight_decay);
      NNCORE_PARALLEL_FOR(par)
      for (Index i = 0; i < n; ++i) {
        if (mask[i]) th[i] -= wd * th[i];  // decoupled decay (AdamW); 0 when off
        m[i] = gm * m[i] + (T(1) - gm) * g[i];
        v[i] = b2 * v[i] + (T(1) - b2) * g[i] * g[i];
        th[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
      }
      break;
    }
  }
  // A separate pass keeps the update loops free of branches that block vectorising.
  for (Index i = 0; i < n; ++i) bad |= !std::isfinite(th[i]);
  return !bad;
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
template double l2_norm<float>(const float*, Index);
template double l2_norm<double>(const double*, Index);

}  // namespace nncore
