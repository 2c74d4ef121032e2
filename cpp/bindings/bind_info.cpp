// Build facts: what the compiled core was built with, for bug reports and for tests.
#include <string>

#include "hyperdial/dense.hpp"
#include "hyperdial/parallel.hpp"
#include "hyperdial/version.hpp"
#include "pybind.hpp"

#ifndef HYPERDIAL_BUILD_TYPE
#define HYPERDIAL_BUILD_TYPE ""
#endif

namespace hyperdial::bindings {
namespace {

std::string compiler_description() {
#if defined(__clang__)
    return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
    return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
    return "msvc " + std::to_string(_MSC_FULL_VER);
#else
    return "unknown";
#endif
}

}  // namespace

void bind_info(py::module_& m) {
    m.attr("__version__") = hyperdial::version;
    m.attr("build_type") = HYPERDIAL_BUILD_TYPE;
    m.def("version", [] { return std::string(hyperdial::version); },
          "Version of the compiled core (the package version it was built as).");
    m.def(
        "_set_min_parallel_work",
        [](double work) {
            const double old = hyperdial::min_parallel_work().load();
            hyperdial::min_parallel_work().store(work);
            return old;
        },
        py::arg("work"),
        "Sets the work (flops) below which calls run on one thread; returns the old value. "
        "For tests, which set 0 to exercise the parallel code on small inputs.");
    m.def("uses_avx2", &hyperdial::dense::uses_avx2,
          "Whether the dense linear algebra runs its AVX2 + FMA copy on this CPU.");
    m.def("openmp_enabled", &hyperdial::openmp_enabled,
          "Whether the core was built with threads (the HYPERDIAL_OPENMP build option).");
    m.def("max_threads", &hyperdial::max_threads,
          "Threads this process may use: affinity, cgroup quota and OMP_NUM_THREADS (1 without "
          "threads).");
    m.def("idle_threads", &hyperdial::idle_threads,
          "Threads that n_threads=0 stands for now: max_threads() less the CPUs that other "
          "runnable tasks occupy (at least 1).");
    m.def("eigen_version", [] { return std::string(hyperdial::eigen_version); },
          "Version of the Eigen headers the core was compiled against.");
    m.def("pybind11_version",
          [] {
              // Stringified: the patch level may be a token such as 0.dev1.
              return std::string(HYPERDIAL_STRINGIFY(PYBIND11_VERSION_MAJOR) "." HYPERDIAL_STRINGIFY(
                  PYBIND11_VERSION_MINOR) "." HYPERDIAL_STRINGIFY(PYBIND11_VERSION_PATCH));
          },
          "Version of the pybind11 headers the bindings were compiled against.");
    m.def("compiler", &compiler_description, "Compiler name and version that built the core.");
}

}  // namespace hyperdial::bindings
