# GEMM sources and their per-file CPU flags (owned by the GEMM work).
set(NNCORE_GEMM_SOURCES ${CMAKE_CURRENT_LIST_DIR}/src/gemm.cpp)
