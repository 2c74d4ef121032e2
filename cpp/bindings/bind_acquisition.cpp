// Acquisitions: _core.AcqKind, _core.log_h, _core.log_ndtr, _core.acquisition,
// _core.acquisition_with_grad, _core.AcqOptimizeOptions and _core.maximize_acquisition (see
// cpp/include/hyperdial/acquisition.hpp, acq_optimize.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "hyperdial/acq_optimize.hpp"
#include "hyperdial/acquisition.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

void bind_acquisition(py::module_& m) {
    py::enum_<AcqKind>(m, "AcqKind", R"doc(Acquisition function (acquisition.hpp), to be maximised.

log_ei: log expected improvement over best (Ament et al. 2023, stable for any z); ucb:
mu + sqrt(beta) sigma; lcb: mu - sqrt(beta) sigma; log_pi: log probability of improvement.)doc")
        .value("log_ei", AcqKind::log_ei)
        .value("ucb", AcqKind::ucb)
        .value("lcb", AcqKind::lcb)
        .value("log_pi", AcqKind::log_pi);
    // The defaults are the C++ struct's (acq_optimize.hpp), the one place they are written.
    const AcqOptimizeOptions defaults{};
    py::class_<AcqOptimizeOptions>(m, "AcqOptimizeOptions", R"doc(Effort of maximize_acquisition.

n_pool: scrambled Sobol' points in the candidate pool; n_perturb: perturbations of each x_best
row; n_starts: best candidates the local search starts from; n_rounds: rounds of L-BFGS plus
discrete moves per start; max_iter: L-BFGS iterations per round; screen: score only the pool
rows whose cheap upper bound can reach the n_starts best (log-EI and UCB without constraints;
the same starts as scoring all). See cpp/include/hyperdial/acq_optimize.hpp.)doc")
        .def(py::init([](int n_pool, int n_perturb, int n_starts, int n_rounds, int max_iter,
                         bool screen) {
                 return AcqOptimizeOptions{n_pool, n_perturb, n_starts, n_rounds, max_iter,
                                           screen};
             }),
             py::kw_only(), py::arg("n_pool") = defaults.n_pool,
             py::arg("n_perturb") = defaults.n_perturb, py::arg("n_starts") = defaults.n_starts,
             py::arg("n_rounds") = defaults.n_rounds, py::arg("max_iter") = defaults.max_iter,
             py::arg("screen") = defaults.screen)
        .def_readwrite("n_pool", &AcqOptimizeOptions::n_pool)
        .def_readwrite("n_perturb", &AcqOptimizeOptions::n_perturb)
        .def_readwrite("n_starts", &AcqOptimizeOptions::n_starts)
        .def_readwrite("n_rounds", &AcqOptimizeOptions::n_rounds)
        .def_readwrite("max_iter", &AcqOptimizeOptions::max_iter)
        .def_readwrite("screen", &AcqOptimizeOptions::screen)
        .def("__repr__", [](const AcqOptimizeOptions& o) {
            return "AcqOptimizeOptions(n_pool=" + std::to_string(o.n_pool) +
                   ", n_perturb=" + std::to_string(o.n_perturb) +
                   ", n_starts=" + std::to_string(o.n_starts) +
                   ", n_rounds=" + std::to_string(o.n_rounds) +
                   ", max_iter=" + std::to_string(o.max_iter) +
                   ", screen=" + (o.screen ? std::string("True") : std::string("False")) + ")";
        });
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
        [](const ExactGP& gp, AcqKind kind, const Eigen::Ref<const RowMatrixXd>& x, double best,
           double beta, const std::vector<const ExactGP*>& constraints, int n_threads) {
            return evaluate_acquisition(gp, make_acq_spec(static_cast<int>(kind), best, beta),
                                        constraints, x, false, n_threads)
                .value;
        },
        py::arg("gp"), py::arg("kind"), py::arg("x"), py::arg("best") = 0.0,
        py::arg("beta") = 2.0, py::arg("constraints") = std::vector<const ExactGP*>{},
        py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
        R"doc(Acquisition values at the rows of x (to be maximised; the objective is maximised).

kind: an AcqKind; best: the incumbent of log-EI and log-PI; beta: UCB's and LCB's weight.
constraints: GPs of constraint values (feasible when <= 0); their log probabilities of
feasibility are added (log-EI only). Runs without the GIL.)doc");
    m.def(
        "acquisition_with_grad",
        [](const ExactGP& gp, AcqKind kind, const Eigen::Ref<const RowMatrixXd>& x, double best,
           double beta, const std::vector<const ExactGP*>& constraints, int n_threads) {
            AcqValues v = evaluate_acquisition(
                gp, make_acq_spec(static_cast<int>(kind), best, beta), constraints, x, true,
                n_threads);
            return std::make_tuple(std::move(v.value), std::move(v.grad));
        },
        py::arg("gp"), py::arg("kind"), py::arg("x"), py::arg("best") = 0.0,
        py::arg("beta") = 2.0, py::arg("constraints") = std::vector<const ExactGP*>{},
        py::arg("n_threads") = 0, py::call_guard<py::gil_scoped_release>(),
        "(values, grad of shape (m, d)) of acquisition(). Runs without the GIL.");
    m.def(
        "maximize_acquisition",
        [](const ExactGP& gp, AcqKind kind, const std::vector<int>& n_choices, double best,
           double beta, const std::vector<const ExactGP*>& constraints,
           const std::optional<RowMatrixXd>& x_best,
           const std::optional<AcqOptimizeOptions>& options, const py::object& seed,
           int n_threads) {
            const std::uint64_t seed_value = seed_from_python(seed);
            const AcqSpec spec = make_acq_spec(static_cast<int>(kind), best, beta);
            const AcqOptimizeOptions effort = options.value_or(AcqOptimizeOptions{});
            const RowMatrixXd starts = x_best ? *x_best : RowMatrixXd(0, 0);
            AcqOptimum r;
            {
                py::gil_scoped_release release;
                r = maximize_acquisition(gp, spec, constraints, n_choices, starts, effort,
                                         seed_value, n_threads);
            }
            return std::make_tuple(r.x, r.value);
        },
        py::arg("gp"), py::arg("kind"), py::arg("n_choices"), py::kw_only(),
        py::arg("best") = 0.0, py::arg("beta") = 2.0,
        py::arg("constraints") = std::vector<const ExactGP*>{}, py::arg("x_best") = py::none(),
        py::arg("options") = py::none(), py::arg("seed") = 0, py::arg("n_threads") = 0,
        R"doc(Maximises acquisition() over the mixed space; returns (x, value).

n_choices[j]: grid size of integer dim j (values (k + 0.5) / c) or number of categories of
categorical dim j (codes 0 .. c - 1); ignored for continuous dims. x_best: points to perturb
(e.g. the best observed). Sobol' pool + perturbations scored in one batch, then L-BFGS on the
continuous dims, neighbour search on integers and exhaustive search on categories from the
best candidates. options: an AcqOptimizeOptions (None: its defaults). Same seed, same answer
whatever n_threads. Runs without the GIL.)doc");
}

}  // namespace hyperdial::bindings
