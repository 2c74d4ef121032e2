// Acquisitions: _core.log_h, _core.log_ndtr, _core.acquisition, _core.acquisition_with_grad
// and _core.maximize_acquisition (see cpp/include/hyperdial/acquisition.hpp, acq_optimize.hpp).
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "hyperdial/acq_optimize.hpp"
#include "hyperdial/acquisition.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

void bind_acquisition(py::module_& m) {
    m.def(
        "log_h",
        [](const VectorXd& z) {
            VectorXd value(z.size());
            VectorXd grad(z.size());
            for (Index i = 0; i < z.size(); ++i) {
                value[i] = log_h(z[i], &grad[i]);
            }
            return std::make_tuple(value, grad);
        },
        py::arg("z"), "log(phi(z) + z Phi(z)) and its derivative, stable for any z.");
    m.def(
        "log_ndtr",
        [](const VectorXd& z) {
            VectorXd value(z.size());
            VectorXd grad(z.size());
            for (Index i = 0; i < z.size(); ++i) {
                value[i] = log_ndtr(z[i], &grad[i]);
            }
            return std::make_tuple(value, grad);
        },
        py::arg("z"), "log Phi(z) and its derivative, stable for any z.");
    m.def(
        "acquisition",
        [](const ExactGP& gp, int kind, const Eigen::Ref<const RowMatrixXd>& x, double best,
           double beta, const std::vector<const ExactGP*>& constraints, int n_threads) {
            return evaluate_acquisition(gp, make_acq_spec(kind, best, beta), constraints, x,
                                        false, n_threads)
                .value;
        },
        py::arg("gp"), py::arg("kind"), py::arg("x"), py::arg("best") = 0.0,
        py::arg("beta") = 2.0, py::arg("constraints") = std::vector<const ExactGP*>{},
        py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
        R"doc(Acquisition values at the rows of x (to be maximised; the objective is maximised).

kind: 0 log-EI over best, 1 UCB mu + sqrt(beta) sigma, 2 LCB mu - sqrt(beta) sigma, 3 log-PI.
constraints: GPs of constraint values (feasible when <= 0); their log probabilities of
feasibility are added (log-EI only). Runs without the GIL.)doc");
    m.def(
        "acquisition_with_grad",
        [](const ExactGP& gp, int kind, const Eigen::Ref<const RowMatrixXd>& x, double best,
           double beta, const std::vector<const ExactGP*>& constraints, int n_threads) {
            AcqValues v = evaluate_acquisition(gp, make_acq_spec(kind, best, beta), constraints,
                                               x, true, n_threads);
            return std::make_tuple(std::move(v.value), std::move(v.grad));
        },
        py::arg("gp"), py::arg("kind"), py::arg("x"), py::arg("best") = 0.0,
        py::arg("beta") = 2.0, py::arg("constraints") = std::vector<const ExactGP*>{},
        py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
        "(values, grad of shape (m, d)) of acquisition(). Runs without the GIL.");
    m.def(
        "maximize_acquisition",
        [](const ExactGP& gp, int kind, const std::vector<int>& n_choices, double best,
           double beta, const std::vector<const ExactGP*>& constraints,
           const std::optional<RowMatrixXd>& x_best, int n_pool, int n_perturb, int n_starts,
           int n_rounds, int max_iter, const py::object& seed, int n_threads, bool screen) {
            const std::uint64_t seed_value = seed_from_python(seed);
            const AcqSpec spec = make_acq_spec(kind, best, beta);
            const AcqOptimizeOptions options{n_pool,   n_perturb, n_starts,
                                             n_rounds, max_iter,  screen};
            const RowMatrixXd starts = x_best ? *x_best : RowMatrixXd(0, 0);
            AcqOptimum r;
            {
                py::gil_scoped_release release;
                r = maximize_acquisition(gp, spec, constraints, n_choices, starts, options,
                                         seed_value, n_threads);
            }
            return std::make_tuple(r.x, r.value);
        },
        py::arg("gp"), py::arg("kind"), py::arg("n_choices"), py::arg("best") = 0.0,
        py::arg("beta") = 2.0, py::arg("constraints") = std::vector<const ExactGP*>{},
        py::arg("x_best") = py::none(), py::arg("n_pool") = 2048, py::arg("n_perturb") = 64,
        py::arg("n_starts") = 8, py::arg("n_rounds") = 3, py::arg("max_iter") = 50,
        py::arg("seed") = 0, py::arg("n_threads") = 0, py::arg("screen") = true,
        R"doc(Maximises acquisition() over the mixed space; returns (x, value).

n_choices[j]: grid size of integer dim j (values (k + 0.5) / c) or number of categories of
categorical dim j (codes 0 .. c - 1); ignored for continuous dims. x_best: points to perturb
(e.g. the best observed). Sobol' pool + perturbations scored in one batch, then L-BFGS on the
continuous dims, neighbour search on integers and exhaustive search on categories from the
n_starts best. screen: for log-EI and UCB without constraints, score only the pool rows whose
cheap upper bound can reach the n_starts best (the same starts as scoring all). Same seed, same
answer whatever n_threads. Runs without the GIL.)doc");
}

}  // namespace hyperdial::bindings
