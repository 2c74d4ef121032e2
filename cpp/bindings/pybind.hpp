// The single pybind11 include point of the bindings, and the list of bind_* functions.
#pragma once

#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "hyperdial/kernels.hpp"
#include "hyperdial/types.hpp"

namespace py = pybind11;

namespace hyperdial::bindings {

void bind_info(py::module_& m);
void bind_errors(py::module_& m);
void bind_sobol(py::module_& m);
void bind_kernels(py::module_& m);
void bind_gp(py::module_& m);
void bind_hyperfit(py::module_& m);
void bind_acquisition(py::module_& m);
void bind_tpe(py::module_& m);
void bind_importance(py::module_& m);
void bind_cmaes(py::module_& m);

// Any Python integer (int, numpy integer, anything with __index__) in [0, 2**64) -> uint64, or a
// ValueError / TypeError that names the argument "seed". Needs the GIL.
std::uint64_t seed_from_python(const py::handle& seed);

// The core's integer codes of the kinds the bindings take as enums (kernels.hpp).
inline int kernel_code(KernelKind kind) { return static_cast<int>(kind); }
inline std::vector<int> dim_codes(const std::vector<DimKind>& kinds) {
    std::vector<int> codes;
    codes.reserve(kinds.size());
    for (const DimKind kind : kinds) {
        codes.push_back(static_cast<int>(kind));
    }
    return codes;
}

// An optional mask argument (None -> empty matrix, meaning every dimension active).
inline RowMatrixXd mask_or_empty(const std::optional<RowMatrixXd>& mask) {
    return mask ? *mask : RowMatrixXd(0, 0);
}

// An optional vector argument (None -> empty vector).
inline VectorXd vector_or_empty(const std::optional<VectorXd>& v) {
    return v ? *v : VectorXd(0);
}

}  // namespace hyperdial::bindings
