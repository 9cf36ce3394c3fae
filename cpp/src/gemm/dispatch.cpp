// Chooses the kernel family once (thread-safe static init) from the CPU's
// features; NNCORE_GEMM_KERNEL=generic|avx2|avx512|neon forces a supported
// family. NEON is baseline on AArch64: compiled in there means supported.
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include "family.hpp"

namespace nncore::gemm_detail {

const KernelSet* kernels_by_name(const char* name) {
  if (!name) return nullptr;
#if NNCORE_GEMM_HAVE_X86_KERNELS
  __builtin_cpu_init();
  if (!std::strcmp(name, "avx512") && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("fma"))
    return kernels_avx512();
  if (!std::strcmp(name, "avx2") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    return kernels_avx2();
#endif
#if NNCORE_GEMM_HAVE_NEON_KERNELS
  if (!std::strcmp(name, "neon")) return kernels_neon();
#endif
  if (!std::strcmp(name, "generic")) return kernels_generic();
  return nullptr;
}

static const KernelSet& choose() {
  if (const KernelSet* forced = kernels_by_name(std::getenv("NNCORE_GEMM_KERNEL")))
    return *forced;
  for (const char* name : {"avx512", "avx2", "neon"})
    if (const KernelSet* k = kernels_by_name(name)) return *k;
  return *kernels_generic();
}

const KernelSet& active_kernels() {
  static const KernelSet& chosen = choose();
  return chosen;
}

}  // namespace nncore::gemm_detail

namespace nncore {
const char* gemm_kernel_name() { return gemm_detail::active_kernels().name; }
}  // namespace nncore
