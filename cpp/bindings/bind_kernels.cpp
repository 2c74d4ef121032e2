// Kernels: _core.KernelKind, _core.DimKind, _core.kernel_matrix, _core.gram_grad_contract (see
// cpp/include/hyperdial/kernels.hpp).
#include <optional>
#include <vector>

#include "hyperdial/kernels.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {
namespace {

RowMatrixXd kernel_matrix_py(KernelKind kernel, const std::vector<DimKind>& dim_kinds,
                             const VectorXd& log_params, const Eigen::Ref<const RowMatrixXd>& x1,
                             const Eigen::Ref<const RowMatrixXd>& x2,
                             const std::optional<RowMatrixXd>& mask1,
                             const std::optional<RowMatrixXd>& mask2, int n_threads) {
    const Kernel k = make_kernel(kernel_code(kernel), dim_codes(dim_kinds), log_params);
    return kernel_matrix(k, x1, mask_or_empty(mask1), x2, mask_or_empty(mask2), n_threads);
}

VectorXd gram_grad_contract_py(KernelKind kernel, const std::vector<DimKind>& dim_kinds,
                               const VectorXd& log_params, const Eigen::Ref<const RowMatrixXd>& x,
                               const Eigen::Ref<const Eigen::MatrixXd>& w,
                               const std::optional<RowMatrixXd>& mask, int n_threads) {
    const Kernel k = make_kernel(kernel_code(kernel), dim_codes(dim_kinds), log_params);
    const RowMatrixXd m = mask_or_empty(mask);
    check_inputs(k, x, m, "x");
    if (w.rows() != x.rows() || w.cols() != x.rows()) {
        throw std::invalid_argument("w must be (n, n) for x of n rows");
    }
    return gram_grad_contract(k, x, m, w, n_threads);
}

}  // namespace

void bind_kernels(py::module_& m) {
    py::enum_<KernelKind>(m, "KernelKind", "Covariance kernel of a GP (kernels.hpp).")
        .value("matern52", KernelKind::matern52, "Matern-5/2 with one lengthscale per dimension.")
        .value("squared_exponential", KernelKind::squared_exponential,
               "Squared exponential with one lengthscale per dimension.");
    py::enum_<DimKind>(m, "DimKind", R"doc(Kind of an input dimension (kernels.hpp).

continuous: values in [0, 1]; integer: the grid (k + 0.5) / c of c values; categorical: category
codes 0 .. c - 1, compared by the overlap kernel.)doc")
        .value("continuous", DimKind::continuous)
        .value("integer", DimKind::integer)
        .value("categorical", DimKind::categorical);
    m.def("kernel_matrix", &kernel_matrix_py, py::arg("kernel"), py::arg("dim_kinds"),
          py::arg("log_params"), py::arg("x1"), py::arg("x2"), py::arg("mask1") = py::none(),
          py::arg("mask2") = py::none(), py::arg("n_threads") = 0,
          py::call_guard<py::gil_scoped_release>(),
          R"doc(Kernel matrix K[i, k] = k(x1[i], x2[k]), shape (n1, n2).

dim_kinds: one DimKind per dimension (categorical values are category codes). log_params: log
lengthscales (d), log signal variance, optionally log noise (ignored here). mask1/mask2: None
or (n, d) arrays of 0/1; an inactive dimension takes a fixed stand-in (kernels.hpp).
Runs without the GIL.)doc");
    m.def("gram_grad_contract", &gram_grad_contract_py, py::arg("kernel"), py::arg("dim_kinds"),
          py::arg("log_params"), py::arg("x"), py::arg("w"), py::arg("mask") = py::none(),
          py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
          R"doc(sum_ik w[i, k] dK[i, k]/dlog_params[p] for p = 0 .. d, K = k(x, x), w symmetric.

Returns shape (d + 1,): lengthscales then signal variance. Never forms an n x n x d tensor.
Runs without the GIL.)doc");
}

}  // namespace hyperdial::bindings
