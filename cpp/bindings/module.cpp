#include "pybind.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "hyperdial's compiled numerics (private; use the hyperdial package instead).";
    hyperdial::bindings::bind_info(m);
    hyperdial::bindings::bind_errors(m);
    hyperdial::bindings::bind_sobol(m);
    hyperdial::bindings::bind_kernels(m);
    hyperdial::bindings::bind_gp(m);
    hyperdial::bindings::bind_hyperfit(m);
    hyperdial::bindings::bind_acquisition(m);
    hyperdial::bindings::bind_tpe(m);
    hyperdial::bindings::bind_importance(m);
    hyperdial::bindings::bind_cmaes(m);
}
