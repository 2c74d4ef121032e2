// The dense linear algebra of the GP core (Cholesky, triangular solves and products) on raw
// column-major arrays, dispatched at run time: on x86-64 CPUs with AVX2 and FMA to a copy of the
// code compiled for them (docs/design/gp_sampler.md has the gain), elsewhere to the baseline
// copy. Wheels are built for the baseline instruction set, so this is how they use the wider
// units where present.
// Both copies do the same arithmetic in the same order within a copy, so one machine always
// gets the same results; set HYPERDIAL_DISABLE_AVX2=1 to force the baseline copy.
#pragma once

namespace hyperdial::dense {

// True when the AVX2 + FMA copy is in use.
bool uses_avx2() noexcept;

// Candidates per block of parzen_gaussian_block.
inline constexpr long kParzenBlock = 8;

// The dispatched kernels, each documented in the list (dense_kernels.def).
#define HYPERDIAL_DENSE_KERNEL(ret, name, params, args) ret name params;
#include "hyperdial/dense_kernels.def"
#undef HYPERDIAL_DENSE_KERNEL

}  // namespace hyperdial::dense
