// Marginal likelihood and hyperparameter fit: _core.log_posterior, _core.fit_hyperparameters,
// _core.fit_gp and their _core.FitResult (see cpp/include/hyperdial/hyperfit.hpp).
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "hyperdial/gp.hpp"
#include "hyperdial/hyperfit.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {
namespace {

MllProblem make_problem(KernelKind kernel, const std::vector<DimKind>& dim_kinds,
                        const Eigen::Ref<const RowMatrixXd>& x, const VectorXd& y,
                        const std::optional<RowMatrixXd>& mask,
                        const std::optional<VectorXd>& prior_mean,
                        const std::optional<VectorXd>& prior_std) {
    MllProblem p;
    p.kernel_kind = kernel_code(kernel);
    p.dim_kinds = dim_codes(dim_kinds);
    p.x = x;
    p.y = y;
    p.mask = mask_or_empty(mask);
    p.prior_mean = vector_or_empty(prior_mean);
    p.prior_std = vector_or_empty(prior_std);
    return p;
}

// What fit_hyperparameters and fit_gp return to Python (_core.FitResult): hyperfit.hpp's
// FitResult without the factorisation it hands to the GP, plus that GP (None from
// fit_hyperparameters).
struct PyFitResult {
    VectorXd log_params;
    double value = 0.0;
    int n_iter = 0;
    int n_evals = 0;
    double jitter = 0.0;
    RowMatrixXd memory;
    bool extended = false;
    py::object gp = py::none();
};

PyFitResult to_python(const FitResult& r) {
    PyFitResult out;
    out.log_params = r.theta;
    out.value = r.value;
    out.n_iter = r.n_iter;
    out.n_evals = r.n_evals;
    out.jitter = r.jitter;
    out.memory = r.memory;
    out.extended = r.extended;
    return out;
}

}  // namespace

void bind_hyperfit(py::module_& m) {
    py::class_<PyFitResult>(m, "FitResult", R"doc(The outcome of fit_hyperparameters / fit_gp.

log_params: the fitted log hyperparameters (d + 2,); value: log posterior there; n_iter, n_evals:
L-BFGS iterations and objective evaluations over all starts; jitter: the jitter the
factorisation at log_params needed; memory: the warm-start run's L-BFGS pairs (rows [s | y],
for the next fit's memory=); extended: whether the first evaluation extended previous's
factorisation (fit_gp); gp: the ExactGP at log_params (fit_gp), else None.)doc")
        .def_readonly("log_params", &PyFitResult::log_params)
        .def_readonly("value", &PyFitResult::value)
        .def_readonly("n_iter", &PyFitResult::n_iter)
        .def_readonly("n_evals", &PyFitResult::n_evals)
        .def_readonly("jitter", &PyFitResult::jitter)
        .def_readonly("memory", &PyFitResult::memory)
        .def_readonly("extended", &PyFitResult::extended)
        .def_readonly("gp", &PyFitResult::gp)
        .def("__repr__", [](const PyFitResult& r) {
            return "FitResult(value=" + std::to_string(r.value) +
                   ", n_iter=" + std::to_string(r.n_iter) +
                   ", n_evals=" + std::to_string(r.n_evals) +
                   ", jitter=" + std::to_string(r.jitter) +
                   ", extended=" + (r.extended ? std::string("True") : std::string("False")) +
                   ")";
        });
    m.def(
        "log_posterior",
        [](KernelKind kernel, const std::vector<DimKind>& dim_kinds,
           const Eigen::Ref<const RowMatrixXd>& x, const VectorXd& y,
           const VectorXd& log_params, const std::optional<RowMatrixXd>& mask,
           const std::optional<VectorXd>& prior_mean, const std::optional<VectorXd>& prior_std,
           int n_threads) {
            const MllValue v = log_posterior_and_grad(
                make_problem(kernel, dim_kinds, x, y, mask, prior_mean, prior_std), log_params,
                n_threads);
            return std::make_tuple(v.value, v.grad, v.jitter);
        },
        py::arg("kernel"), py::arg("dim_kinds"), py::arg("x"), py::arg("y"),
        py::arg("log_params"), py::arg("mask") = py::none(), py::arg("prior_mean") = py::none(),
        py::arg("prior_std") = py::none(), py::arg("n_threads") = 0,
        py::call_guard<py::gil_scoped_release>(),
        R"doc(Log marginal likelihood plus log prior, its gradient and the jitter used.

Returns (value, grad of shape (d + 2,), jitter). One Cholesky factorisation; priors are
independent normals on log_params (prior_std 0 or inf: none). Raises hyperdial.NumericalError
when the covariance cannot be factorised. Runs without the GIL.)doc");
    m.def(
        "fit_hyperparameters",
        [](KernelKind kernel, const std::vector<DimKind>& dim_kinds,
           const Eigen::Ref<const RowMatrixXd>& x, const VectorXd& y, const VectorXd& theta0,
           const VectorXd& lower, const VectorXd& upper, const std::optional<RowMatrixXd>& mask,
           const std::optional<VectorXd>& prior_mean, const std::optional<VectorXd>& prior_std,
           int n_restarts, const py::object& seed, int max_iter, int n_threads,
           const std::optional<RowMatrixXd>& memory) {
            const std::uint64_t seed_value = seed_from_python(seed);
            MllProblem problem = make_problem(kernel, dim_kinds, x, y, mask, prior_mean, prior_std);
            FitResult r;
            {
                py::gil_scoped_release release;
                r = fit_hyperparameters(problem, theta0, lower, upper, n_restarts, seed_value,
                                        max_iter, n_threads, memory.value_or(RowMatrixXd()));
            }
            return to_python(r);
        },
        py::kw_only(), py::arg("kernel"), py::arg("dim_kinds"), py::arg("x"), py::arg("y"),
        py::arg("theta0"), py::arg("lower"), py::arg("upper"), py::arg("mask") = py::none(),
        py::arg("prior_mean") = py::none(), py::arg("prior_std") = py::none(),
        py::arg("n_restarts") = 0, py::arg("seed") = 0, py::arg("max_iter") = 200,
        py::arg("n_threads") = 0, py::arg("memory") = py::none(),
        R"doc(Maximises log_posterior over lower <= log_params <= upper by bounded L-BFGS.

Starts at theta0 (warm start), then n_restarts starts: the prior's centre (its mean; the middle of
the bounds where there is none; skipped when it is theta0 and memory is None, a repeat of the
first run), then draws from the prior with the seed.
memory: the L-BFGS curvature pairs a previous fit returned (warm start of the quasi-Newton
model, rows [s | y] of 2 (d + 2) columns), or None.
Returns a FitResult (gp None). Raises hyperdial.NumericalError when the log posterior is not
finite at any start. Deterministic for a seed whatever n_threads. Runs without the GIL.)doc");
    m.def(
        "fit_gp",
        [](KernelKind kernel, const std::vector<DimKind>& dim_kinds,
           const Eigen::Ref<const RowMatrixXd>& x, const VectorXd& y, const VectorXd& theta0,
           const VectorXd& lower, const VectorXd& upper, const std::optional<RowMatrixXd>& mask,
           const std::optional<VectorXd>& prior_mean, const std::optional<VectorXd>& prior_std,
           int n_restarts, const py::object& seed, int max_iter, int n_threads,
           const std::optional<RowMatrixXd>& memory, const ExactGP* previous) {
            const std::uint64_t seed_value = seed_from_python(seed);
            MllProblem problem = make_problem(kernel, dim_kinds, x, y, mask, prior_mean, prior_std);
            py::gil_scoped_release release;
            FitResult r = fit_hyperparameters(problem, theta0, lower, upper, n_restarts,
                                              seed_value, max_iter, n_threads,
                                              memory.value_or(RowMatrixXd()), previous);
            const int kernel_kind = kernel_code(kernel);
            const std::vector<int> kinds = dim_codes(dim_kinds);
            ExactGP gp = r.factor.size() != 0
                             ? ExactGP(kernel_kind, kinds, r.theta, problem.x, problem.y,
                                       problem.mask, std::move(r.factor), r.jitter,
                                       std::move(r.inverse))
                             : ExactGP(kernel_kind, kinds, r.theta, problem.x, problem.y,
                                       problem.mask, n_threads);
            py::gil_scoped_acquire acquire;
            PyFitResult out = to_python(r);
            out.gp = py::cast(std::move(gp));
            return out;
        },
        py::kw_only(), py::arg("kernel"), py::arg("dim_kinds"), py::arg("x"), py::arg("y"),
        py::arg("theta0"), py::arg("lower"), py::arg("upper"), py::arg("mask") = py::none(),
        py::arg("prior_mean") = py::none(), py::arg("prior_std") = py::none(),
        py::arg("n_restarts") = 0, py::arg("seed") = 0, py::arg("max_iter") = 200,
        py::arg("n_threads") = 0, py::arg("memory") = py::none(),
        py::arg("previous") = py::none(),
        R"doc(fit_hyperparameters, then the ExactGP at the fitted log_params in the same call.

The GP reuses the factorisation of the fit's best evaluation (no second factorisation) and
keeps (K + jitter I)^-1 (gp.has_inverse). previous: the GP of the last fit; when it was fitted at
theta0 on the first rows of x (same kernel, rows and masks; at most max(1, n_old / 16) new rows),
the first evaluation extends its factor and inverse in O(n^2) per new row instead of O(n^3)
(cpp/include/hyperdial/hyperfit.hpp). Returns a FitResult whose gp is the fitted GP and whose
extended says whether previous was extended. Raises hyperdial.NumericalError as
fit_hyperparameters does. Runs without the GIL.)doc");
}

}  // namespace hyperdial::bindings
