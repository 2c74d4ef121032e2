// Marginal likelihood and hyperparameter fit: _core.log_posterior, _core.fit_hyperparameters
// (see cpp/include/hyperdial/hyperfit.hpp).
#include <optional>
#include <tuple>
#include <vector>

#include "hyperdial/gp.hpp"
#include "hyperdial/hyperfit.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {
namespace {

MllProblem make_problem(int kernel, const std::vector<int>& dim_kinds,
                        const Eigen::Ref<const RowMatrixXd>& x, const VectorXd& y,
                        const std::optional<RowMatrixXd>& mask,
                        const std::optional<VectorXd>& prior_mean,
                        const std::optional<VectorXd>& prior_std) {
    MllProblem p;
    p.kernel_kind = kernel;
    p.dim_kinds = dim_kinds;
    p.x = x;
    p.y = y;
    p.mask = mask_or_empty(mask);
    p.prior_mean = vector_or_empty(prior_mean);
    p.prior_std = vector_or_empty(prior_std);
    return p;
}

}  // namespace

void bind_hyperfit(py::module_& m) {
    m.def(
        "log_posterior",
        [](int kernel, const std::vector<int>& dim_kinds, const Eigen::Ref<const RowMatrixXd>& x,
           const VectorXd& y, const VectorXd& log_params, const std::optional<RowMatrixXd>& mask,
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
independent normals on log_params (prior_std 0 or inf: none). Runs without the GIL.)doc");
    m.def(
        "fit_hyperparameters",
        [](int kernel, const std::vector<int>& dim_kinds, const Eigen::Ref<const RowMatrixXd>& x,
           const VectorXd& y, const VectorXd& theta0, const VectorXd& lower,
           const VectorXd& upper, const std::optional<RowMatrixXd>& mask,
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
            return std::make_tuple(r.theta, r.value, r.n_iter, r.n_evals, r.jitter, r.memory);
        },
        py::arg("kernel"), py::arg("dim_kinds"), py::arg("x"), py::arg("y"), py::arg("theta0"),
        py::arg("lower"), py::arg("upper"), py::arg("mask") = py::none(),
        py::arg("prior_mean") = py::none(), py::arg("prior_std") = py::none(),
        py::arg("n_restarts") = 0, py::arg("seed") = 0, py::arg("max_iter") = 200,
        py::arg("n_threads") = 0, py::arg("memory") = py::none(),
        R"doc(Maximises log_posterior over lower <= log_params <= upper by bounded L-BFGS.

Starts at theta0 (warm start), then n_restarts starts: the prior's centre (its mean; the middle of
the bounds where there is none; skipped when it is theta0 and memory is None, a repeat of the
first run), then draws from the prior with the seed.
memory: the L-BFGS curvature pairs a previous fit returned (warm start of the quasi-Newton
model, rows [s | y] of 2 (d + 2) columns), or None.
Returns (log_params, value, n_iter, n_evals, jitter, memory). Deterministic for a seed whatever
n_threads. Runs without the GIL.)doc");
    m.def(
        "fit_gp",
        [](int kernel, const std::vector<int>& dim_kinds, const Eigen::Ref<const RowMatrixXd>& x,
           const VectorXd& y, const VectorXd& theta0, const VectorXd& lower,
           const VectorXd& upper, const std::optional<RowMatrixXd>& mask,
           const std::optional<VectorXd>& prior_mean, const std::optional<VectorXd>& prior_std,
           int n_restarts, const py::object& seed, int max_iter, int n_threads,
           const std::optional<RowMatrixXd>& memory, const ExactGP* previous) {
            const std::uint64_t seed_value = seed_from_python(seed);
            MllProblem problem = make_problem(kernel, dim_kinds, x, y, mask, prior_mean, prior_std);
            py::gil_scoped_release release;
            FitResult r = fit_hyperparameters(problem, theta0, lower, upper, n_restarts,
                                              seed_value, max_iter, n_threads,
                                              memory.value_or(RowMatrixXd()), previous);
            ExactGP gp = r.factor.size() != 0
                             ? ExactGP(kernel, dim_kinds, r.theta, problem.x, problem.y,
                                       problem.mask, std::move(r.factor), r.jitter,
                                       std::move(r.inverse))
                             : ExactGP(kernel, dim_kinds, r.theta, problem.x, problem.y,
                                       problem.mask, n_threads);
            py::gil_scoped_acquire acquire;
            return std::make_tuple(std::move(gp), r.value, r.n_iter, r.n_evals, r.memory,
                                   r.extended);
        },
        py::arg("kernel"), py::arg("dim_kinds"), py::arg("x"), py::arg("y"), py::arg("theta0"),
        py::arg("lower"), py::arg("upper"), py::arg("mask") = py::none(),
        py::arg("prior_mean") = py::none(), py::arg("prior_std") = py::none(),
        py::arg("n_restarts") = 0, py::arg("seed") = 0, py::arg("max_iter") = 200,
        py::arg("n_threads") = 0, py::arg("memory") = py::none(),
        py::arg("previous") = py::none(),
        R"doc(fit_hyperparameters, then the ExactGP at the fitted log_params in the same call.

The GP reuses the factorisation of the fit's best evaluation (no second factorisation) and
keeps (K + jitter I)^-1 (gp.has_inverse). previous: the GP of the last fit; when it was fitted at
theta0 on the first rows of x (same kernel, rows and masks; at most max(1, n_old / 16) new rows),
the first evaluation extends its factor and inverse in O(n^2) per new row instead of O(n^3)
(cpp/include/hyperdial/hyperfit.hpp). Returns (gp, value, n_iter, n_evals, memory, extended);
gp.log_params and gp.jitter are the fit's, extended says whether previous was extended.
Runs without the GIL.)doc");
}

}  // namespace hyperdial::bindings
