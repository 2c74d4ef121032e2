// The exact GP: _core.ExactGP (see cpp/include/hyperdial/gp.hpp).
#include <optional>
#include <tuple>
#include <vector>

#include "hyperdial/gp.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

void bind_gp(py::module_& m) {
    py::class_<ExactGP>(m, "ExactGP", R"doc(Exact GP regression with fixed hyperparameters.

Factorises k(x, x) + noise I once (with jitter escalation) and predicts the latent mean and
variance at query points. Not safe to append() while another thread uses the same object;
concurrent predict() calls are fine (they run without the GIL).)doc")
        .def(py::init([](KernelKind kernel, const std::vector<DimKind>& dim_kinds,
                         const VectorXd& log_params, const Eigen::Ref<const RowMatrixXd>& x,
                         const VectorXd& y, const std::optional<RowMatrixXd>& mask,
                         int n_threads) {
                 return ExactGP(kernel_code(kernel), dim_codes(dim_kinds), log_params, x, y,
                                mask_or_empty(mask), n_threads);
             }),
             py::arg("kernel"), py::arg("dim_kinds"), py::arg("log_params"), py::arg("x"),
             py::arg("y"), py::arg("mask") = py::none(), py::arg("n_threads") = 0,
             py::call_guard<py::gil_scoped_release>())
        .def(
            "append",
            [](ExactGP& self, const VectorXd& x_new, double y_new,
               const std::optional<VectorXd>& mask_new, int n_threads) {
                self.append(x_new, y_new, vector_or_empty(mask_new), n_threads);
            },
            py::arg("x_new"), py::arg("y_new"), py::arg("mask_new") = py::none(),
            py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
            "Adds one observation in O(n^2) (hyperparameters fixed). Runs without the GIL.")
        .def(
            "predict",
            [](const ExactGP& self, const Eigen::Ref<const RowMatrixXd>& x, int n_threads) {
                Prediction p = self.predict(x, false, n_threads);
                return std::make_tuple(std::move(p.mean), std::move(p.var));
            },
            py::arg("x"), py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
            "(mean, var) of the latent function at the rows of x. Runs without the GIL.")
        .def(
            "predict_with_grad",
            [](const ExactGP& self, const Eigen::Ref<const RowMatrixXd>& x, int n_threads) {
                Prediction p = self.predict(x, true, n_threads);
                return std::make_tuple(std::move(p.mean), std::move(p.var), std::move(p.dmean),
                                       std::move(p.dvar));
            },
            py::arg("x"), py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
            "(mean, var, dmean/dx, dvar/dx); the gradients have shape (m, d). No GIL.")
        .def(
            "bounds",
            [](const ExactGP& self, const Eigen::Ref<const RowMatrixXd>& x, int n_threads) {
                VectorXd mean_ub;
                VectorXd var_ub;
                self.bounds(x, mean_ub, var_ub, n_threads);
                return std::make_tuple(std::move(mean_ub), std::move(var_ub));
            },
            py::arg("x"), py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
            "(mean_ub, var_ub): cheap upper bounds of predict()'s mean and variance (the "
            "variance given the two observations most correlated with each row). No GIL.")
        .def("log_marginal_likelihood", &ExactGP::log_marginal_likelihood,
             "log p(y | x, log_params) (no priors).")
        .def("copy", [](const ExactGP& self) { return ExactGP(self); },
             "An independent copy (e.g. to append fantasies to).")
        .def("__copy__", [](const ExactGP& self) { return ExactGP(self); })
        .def("__deepcopy__", [](const ExactGP& self, const py::dict&) { return ExactGP(self); },
             py::arg("memo"))
        .def(
            "with_fantasies",
            [](const ExactGP& self, const Eigen::Ref<const RowMatrixXd>& x_pending,
               int n_threads) { return with_fantasies(self, x_pending, n_threads); },
            py::arg("x_pending"), py::arg("n_threads") = 0,
            py::call_guard<py::gil_scoped_release>(),
            "A copy with each pending point appended at its posterior mean (kriging believer).")
        .def_property_readonly("n", &ExactGP::n)
        .def_property_readonly("d", &ExactGP::dims)
        .def_property_readonly("jitter", &ExactGP::jitter)
        .def_property_readonly("log_params", &ExactGP::log_params)
        .def_property_readonly("x", &ExactGP::x)
        .def_property_readonly("y", &ExactGP::y)
        .def_property_readonly("alpha", &ExactGP::alpha)
        .def_property_readonly("cholesky", &ExactGP::cholesky)
        .def_property_readonly(
            "has_inverse", [](const ExactGP& self) { return self.inverse() != nullptr; },
            "Whether the GP holds (K + jitter I)^-1 (kept by fit_gp for the next warm refit).")
        .def_property_readonly(
            "inverse",
            [](const ExactGP& self) -> std::optional<Eigen::MatrixXd> {
                if (self.inverse() == nullptr) {
                    return std::nullopt;
                }
                return Eigen::MatrixXd(self.inverse()->selfadjointView<Eigen::Lower>());
            },
            "(K + jitter I)^-1 (n, n), a copy, or None (see has_inverse).");
}

}  // namespace hyperdial::bindings
