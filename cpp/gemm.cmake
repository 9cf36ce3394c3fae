# GEMM sources and their per-file CPU flags (owned by the GEMM work).
# The SIMD kernels get their ISA flags per source file only; the dispatcher
# picks one at run time, so the library runs on any x86-64 (no -march=native).
# On AArch64 NEON is baseline: kernel_neon.cpp needs no flags and no check.
set(_gemm ${CMAKE_CURRENT_LIST_DIR}/src)
set(NNCORE_GEMM_SOURCES
  ${_gemm}/gemm.cpp
  ${_gemm}/gemm/dispatch.cpp
  ${_gemm}/gemm/workspace.cpp
  ${_gemm}/gemm/kernel_generic.cpp
)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64|i.86")
  list(APPEND NNCORE_GEMM_SOURCES ${_gemm}/gemm/kernel_avx2.cpp ${_gemm}/gemm/kernel_avx512.cpp)
  set_source_files_properties(${_gemm}/gemm/kernel_avx2.cpp PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(${_gemm}/gemm/kernel_avx512.cpp PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx2;-mfma")
  set_source_files_properties(${_gemm}/gemm/dispatch.cpp PROPERTIES COMPILE_DEFINITIONS "NNCORE_GEMM_HAVE_X86_KERNELS=1")
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64" OR CMAKE_OSX_ARCHITECTURES MATCHES "arm64")
  list(APPEND NNCORE_GEMM_SOURCES ${_gemm}/gemm/kernel_neon.cpp)
  set_property(SOURCE ${_gemm}/gemm/dispatch.cpp APPEND PROPERTY COMPILE_DEFINITIONS "NNCORE_GEMM_HAVE_NEON_KERNELS=1")
endif()
unset(_gemm)
