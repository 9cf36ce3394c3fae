// What this _core was built with, for nc.show_config(): compiler, build type,
// OpenMP (version and runtime library, or none), the GEMM kernel families
// and element-wise SIMD clones compiled in, and the ones this CPU gets.
// CMake writes the facts only it knows into nncore_build_info.hpp
// (build_info.hpp.in); without it the compiler's own macros name the compiler.
#include <string>

#if defined(__has_include)
#if __has_include("nncore_build_info.hpp")
#include "nncore_build_info.hpp"
#endif
#endif

#include "nncore/gemm.hpp"
#include "nncore/simd.hpp"
#include "pybind.hpp"

namespace nncore_bind {

namespace {

std::string compiler() {
#if defined(NNCORE_COMPILER_ID)
  return NNCORE_COMPILER_ID;
#elif defined(__clang__)
  return std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GNU ") + __VERSION__;
#elif defined(_MSC_VER)
  return "MSVC " + std::to_string(_MSC_FULL_VER);
#else
  return "unknown";
#endif
}

}  // namespace

void bind_build(py::module_& m) {
  m.attr("compiler") = compiler();
#if defined(NNCORE_BUILD_TYPE)
  m.attr("build_type") = NNCORE_BUILD_TYPE;
#else
  m.attr("build_type") = "";
#endif
#ifdef _OPENMP  // has_openmp itself: module.cpp
  m.attr("openmp_version") = int(_OPENMP);  // the spec date, e.g. 201511 = OpenMP 4.5
#if defined(NNCORE_OPENMP_LIBS)
  m.attr("openmp_libraries") = NNCORE_OPENMP_LIBS;
#else
  m.attr("openmp_libraries") = "";
#endif
#else
  m.attr("openmp_version") = 0;
  m.attr("openmp_libraries") = "";
#endif
#if defined(NNCORE_GEMM_FAMILIES)
  m.attr("gemm_kernels_compiled") = NNCORE_GEMM_FAMILIES;
#else
  m.attr("gemm_kernels_compiled") = "";
#endif
  m.attr("simd_clones_compiled") = nncore::simd_clones_compiled();
  m.def("simd_clone_selected", &nncore::simd_clone_selected,
        "The element-wise clone the loader picked on this CPU ('' without clones)");
}

}  // namespace nncore_bind
