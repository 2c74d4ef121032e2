// Sobol' indices of a GP surface: _core.SobolInputs, _core.sobol_indices,
// _core.sobol_inputs_map (see cpp/include/hyperdial/sensitivity.hpp).
#include <optional>
#include <utility>
#include <vector>

#include "hyperdial/sensitivity.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

void bind_importance(py::module_& m) {
    py::class_<SobolInputs>(m, "SobolInputs", R"doc(The input distribution of sobol_indices.

B branches (activity patterns) over d dimensions: n_cells (d,) grid sizes of numeric dims (0:
continuous), cdf (B,) cumulative branch probabilities ending at 1, mask (B, d) activity,
lower / upper (B, d) ranges of numeric dims in [0, 1], codes (B * d, K) the codes each branch
allows for each categorical dim, NaN padded.)doc")
        .def(py::init([](std::vector<int> n_cells, VectorXd cdf, RowMatrixXd mask,
                         RowMatrixXd lower, RowMatrixXd upper, RowMatrixXd codes) {
                 SobolInputs in;
                 in.n_cells = std::move(n_cells);
                 in.cdf = std::move(cdf);
                 in.mask = std::move(mask);
                 in.lower = std::move(lower);
                 in.upper = std::move(upper);
                 in.codes = std::move(codes);
                 return in;
             }),
             py::kw_only(), py::arg("n_cells"), py::arg("cdf"), py::arg("mask"),
             py::arg("lower"), py::arg("upper"), py::arg("codes"))
        .def_readonly("n_cells", &SobolInputs::n_cells)
        .def_readonly("cdf", &SobolInputs::cdf)
        .def_readonly("mask", &SobolInputs::mask)
        .def_readonly("lower", &SobolInputs::lower)
        .def_readonly("upper", &SobolInputs::upper)
        .def_readonly("codes", &SobolInputs::codes);

    py::class_<SobolIndicesResult>(m, "SobolIndicesResult",
                                   "Indices of each surface: first and total (S, p), variance "
                                   "and mean (S,).")
        .def_readonly("first", &SobolIndicesResult::first)
        .def_readonly("total", &SobolIndicesResult::total)
        .def_readonly("variance", &SobolIndicesResult::variance)
        .def_readonly("mean", &SobolIndicesResult::mean);

    m.def(
        "sobol_indices",
        [](KernelKind kernel, const std::vector<DimKind>& dim_kinds, const VectorXd& log_params,
           const Eigen::Ref<const RowMatrixXd>& x, const std::optional<RowMatrixXd>& mask,
           const Eigen::Ref<const RowMatrixXd>& alphas, const SobolInputs& inputs,
           std::int64_t n_base, const py::object& seed, int n_threads) {
            const std::uint64_t seed_value = seed_from_python(seed);  // needs the GIL
            const RowMatrixXd mask_m = mask_or_empty(mask);
            const std::vector<int> kinds = dim_codes(dim_kinds);
            py::gil_scoped_release release;
            return sobol_indices(kernel_code(kernel), kinds, log_params, x, mask_m, alphas,
                                 inputs, n_base, seed_value, n_threads);
        },
        py::kw_only(), py::arg("kernel"), py::arg("dim_kinds"), py::arg("log_params"),
        py::arg("x"), py::arg("mask"), py::arg("alphas"), py::arg("inputs"), py::arg("n_base"),
        py::arg("seed") = 0, py::arg("n_threads") = 0,
        R"doc(First-order and total Sobol' indices of f_s(q) = k(x, q)^T alphas[:, s].

Saltelli (2010) / Jansen estimators on n_base scrambled Sobol' points (a power of two); the
inputs are the d dims and, with more than one branch, the branch variable last. Runs without
the GIL; the result does not depend on n_threads.)doc");

    m.def(
        "sobol_inputs_map",
        [](const SobolInputs& inputs, const std::vector<DimKind>& dim_kinds,
           const Eigen::Ref<const RowMatrixXd>& u) {
            return sobol_inputs_map(inputs, dim_codes(dim_kinds), u);
        },
        py::kw_only(), py::arg("inputs"), py::arg("dim_kinds"), py::arg("u"),
        "The queries (m, d) that sobol_indices evaluates for the rows of u (m, p).");
}

}  // namespace hyperdial::bindings
