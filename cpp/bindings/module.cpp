// The compiled module nncore._core: registers bindings, computes nothing.
#include <stdexcept>

#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include "pybind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "nncore's C++ core (private: use the nncore package)";
  nncore_bind::bind_codes(m);  // first: the signatures below name these enums
  nncore_bind::bind_network(m);
  nncore_bind::bind_training(m);

  // n >= 1 sets the process-wide count; 0 clears it (OpenMP's setting rules again).
  m.def("set_num_threads", [](int n) {
    if (n < 0) throw std::invalid_argument("set_num_threads: n must be >= 0, got " + std::to_string(n));
    nncore::set_max_threads(n);
  }, py::arg("n"));
  m.def("requested_num_threads", []() { return nncore::requested_threads().load(); });
  m.def("get_num_threads", &nncore::max_threads);
#ifdef _OPENMP
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
  m.def("gemm_kernel_name", &nncore::gemm_kernel_name);
}
