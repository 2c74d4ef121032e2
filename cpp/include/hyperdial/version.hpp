// Version facts of the C++ core and of the Eigen it was compiled against.
#pragma once

#include <Eigen/Core>

// HYPERDIAL_VERSION is defined by CMakeLists.txt from the version in pyproject.toml; the fallback
// only serves tools (editors, linters) that read this header outside the build.
#ifndef HYPERDIAL_VERSION
#define HYPERDIAL_VERSION "0.0.0+unknown"
#endif

#define HYPERDIAL_STRINGIFY_(x) #x
#define HYPERDIAL_STRINGIFY(x) HYPERDIAL_STRINGIFY_(x)

// "3.4.0" for Eigen 3.4.0 (EIGEN_WORLD_VERSION.EIGEN_MAJOR_VERSION.EIGEN_MINOR_VERSION).
#define HYPERDIAL_EIGEN_VERSION                                                                \
    HYPERDIAL_STRINGIFY(EIGEN_WORLD_VERSION)                                                   \
    "." HYPERDIAL_STRINGIFY(EIGEN_MAJOR_VERSION) "." HYPERDIAL_STRINGIFY(EIGEN_MINOR_VERSION)

namespace hyperdial {

inline constexpr const char* version = HYPERDIAL_VERSION;
inline constexpr const char* eigen_version = HYPERDIAL_EIGEN_VERSION;

}  // namespace hyperdial
