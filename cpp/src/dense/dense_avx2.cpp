// The AVX2 + FMA copy of dense_impl.inc; CMake compiles this file with -mavx2 -mfma (x86-64 GCC
// and Clang only) and dense.cpp calls it only on CPUs that have both. Eigen's namespace is
// renamed in this file so that the linker cannot merge its AVX2 template instances with the
// baseline ones used everywhere else (they would otherwise share mangled names).
#define Eigen hyperdial_eigen_avx2
#define HYPERDIAL_DENSE_NS dense_avx2
#include "dense_impl.inc"
