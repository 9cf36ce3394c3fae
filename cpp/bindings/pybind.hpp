// The single header that includes pybind11 (one place, no ODR surprises).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/typing.h>

#include "nncore/network.hpp"

namespace py = pybind11;

namespace nncore_bind {

template <class T>
using CArray = py::array_t<T, py::array::c_style>;

// A NumPy view of n values at ptr that keeps `owner` (the Python object of
// the C++ network) alive.
template <class T>
py::array_t<T> view(T* ptr, std::int64_t n, py::handle owner) {
  return py::array_t<T>({n}, {sizeof(T)}, ptr, owner);
}

// Whether `value` is a member of its code table: Python can build any
// code (e.g. _core.LossKind(9)), so each one is checked before use.
template <class E, std::size_t N>
bool known(E value, const nncore::EnumName<E> (&names)[N]) {
  for (const auto& n : names)
    if (n.value == value) return true;
  return false;
}

// Throws std::invalid_argument unless `loss` is a known code that fits the
// network's last layer and the kind of targets given (labels only for 'ce').
template <class T>
void check_loss(const nncore::Network<T>& net, nncore::LossKind loss, bool has_labels,
                const char* what);

// The Ctrl-C check for a long call that runs without the GIL (predict, loss_and_grad):
// fn() is asked between the core's chunks; at most every 50 ms it takes the GIL and
// runs Python's signal handlers. When they raise (KeyboardInterrupt), fn() returns
// false and the error stays set: the binding raises it (throw py::error_already_set())
// once it holds the GIL again. Python runs handlers on its main thread only, so
// elsewhere the check finds nothing.
class SignalPoll {
 public:
  nncore::PollFn fn() {
    return [this] {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_ < std::chrono::milliseconds(50)) return true;
      last_ = now;
      py::gil_scoped_acquire gil;
      return PyErr_CheckSignals() == 0;
    };
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

void bind_codes(py::module_& m);
void bind_network(py::module_& m);
void bind_training(py::module_& m);
void bind_build(py::module_& m);

}  // namespace nncore_bind
