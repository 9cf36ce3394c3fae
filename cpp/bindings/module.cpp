// The compiled module nncore._core: registers bindings, computes nothing.
#include <stdexcept>

#include "nncore/gemm.hpp"
#include "nncore/parallel.hpp"
#include "nncore/tiny.hpp"
#include "pybind.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "nncore's C++ core (private: use the nncore package)";
  nncore_bind::bind_codes(m);  // first: the signatures below name these enums
  nncore_bind::bind_network(m);
  nncore_bind::bind_training(m);
  nncore_bind::bind_build(m);  // compiler, OpenMP, SIMD: what nc.show_config() prints

  // n >= 1 sets the process-wide count; 0 clears it (OpenMP's setting rules again).
  m.def("set_num_threads", [](int n) {
    if (n < 0) throw std::invalid_argument("set_num_threads: n must be >= 0, got " + std::to_string(n));
    nncore::set_max_threads(n);
  }, py::arg("n"));
  m.def("requested_num_threads", []() { return nncore::requested_threads().load(); });
  m.def("get_num_threads", &nncore::max_threads);
  m.attr("max_threads_limit") = nncore::kMaxThreads;
#ifdef _OPENMP
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
  m.def("gemm_kernel_name", &nncore::gemm_kernel_name);
  // The tiny-network path (src/tiny/): a switch to compare it with the general
  // path, and how many calls it has served (tests check which path ran).
  m.def("set_tiny_path", &nncore::tiny::set_enabled, py::arg("on"));
  m.def("tiny_path_calls", &nncore::tiny::calls);
  // The piece trace behind benchmarks/threads.py (parallel.hpp).
  m.def("set_piece_trace", &nncore::set_piece_trace, py::arg("on"));
  m.def("take_piece_trace", []() -> py::typing::Dict<py::str, py::object> {
    nncore::PieceTrace t;
    {
      py::gil_scoped_release nogil;
      t = nncore::take_piece_trace();
    }
    py::dict d;
    d["job_pieces"] = py::array(py::cast(t.job_pieces));
    d["job_team"] = py::array(py::cast(t.job_team));
    d["job_start_ns"] = py::array(py::cast(t.job_start_ns));
    d["job_end_ns"] = py::array(py::cast(t.job_end_ns));
    d["piece_job"] = py::array(py::cast(t.piece_job));
    d["piece_slot"] = py::array(py::cast(t.piece_slot));
    d["piece_ns"] = py::array(py::cast(t.piece_ns));
    d["overflow"] = t.overflow;
    return d;
  });
}
