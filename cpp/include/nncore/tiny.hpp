// The switch of the tiny-network path (src/tiny/): small networks run a block
// of rows through all layers at once instead of a GEMM call per layer.
#pragma once
#include <cstdint>

namespace nncore::tiny {

// Process-wide switch (on by default) and a count of the calls the path has
// served: tests compare it with the general path and check which one ran.
void set_enabled(bool on);
bool enabled();
std::uint64_t calls();

}  // namespace nncore::tiny
