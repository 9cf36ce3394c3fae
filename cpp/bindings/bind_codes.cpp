// The core's code tables as Python enums (_core.LayerKind, _core.LossKind,
// _core.OptimizerKind, _core.MomentumForm, _core.ScheduleKind, _core.GradientKind). The member
// names come from the tables next to each C++ enum, so there is one list.
#include <cstddef>

#include "nncore/layer.hpp"
#include "nncore/optim.hpp"
#include "nncore/trainer.hpp"
#include "pybind.hpp"

namespace nncore_bind {

namespace {

template <class E, std::size_t N>
void bind_enum(py::module_& m, const char* name, const nncore::EnumName<E> (&names)[N],
               const char* doc) {
  py::enum_<E> e(m, name, doc);
  for (const auto& n : names) e.value(n.name, n.value);
}

}  // namespace

void bind_codes(py::module_& m) {
  bind_enum(m, "LayerKind", nncore::kLayerKindNames, "Layer kinds (nncore.layers names)");
  bind_enum(m, "LossKind", nncore::kLossKindNames, "Losses (the loss= names of fit/evaluate)");
  bind_enum(m, "OptimizerKind", nncore::kOptimizerKindNames, "Optimizers (Optimizer.kind)");
  bind_enum(m, "MomentumForm", nncore::kMomentumFormNames, "Momentum update forms (Momentum.form)");
  bind_enum(m, "ScheduleKind", nncore::kScheduleKindNames,
            "Learning-rate schedules (Schedule.kind; constant: no schedule)");
  bind_enum(m, "GradientKind", nncore::kGradientKindNames,
            "How fit gets its gradient (the gradient= names of fit)");
}

}  // namespace nncore_bind
