// CMA-ES: _core.CmaEs, _core.CmaOptions, _core.CmaRestart, _core.CmaSample,
// _core.cma_warm_start (see cpp/include/hyperdial/cmaes.hpp).
#include <cstdint>
#include <optional>
#include <string>

#include "hyperdial/cmaes.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {
namespace {

using MatRef = Eigen::Ref<const RowMatrixXd>;

CmaEs make_cmaes(const VectorXd& mean, double sigma, const std::optional<RowMatrixXd>& cov,
                 const std::optional<VectorXd>& steps, const CmaOptions& options) {
    return CmaEs(mean, sigma, cov ? *cov : RowMatrixXd(0, 0), vector_or_empty(steps), options);
}

CmaSample ask_py(const CmaEs& self, const py::object& seed) {
    const std::uint64_t seed_value = seed_from_python(seed);  // needs the GIL
    py::gil_scoped_release release;
    return self.ask(seed_value);
}

std::string tell_py(CmaEs& self, const MatRef& x, const VectorXd& f, const py::object& seed) {
    const std::uint64_t seed_value = seed_from_python(seed);
    const RowMatrixXd x_copy = x;
    py::gil_scoped_release release;
    return self.tell(x_copy, f, seed_value);
}

}  // namespace

void bind_cmaes(py::module_& m) {
    py::enum_<CmaRestart>(m, "CmaRestart", "Restart strategy of a CMA-ES run.")
        .value("none", CmaRestart::none)
        .value("ipop", CmaRestart::ipop)
        .value("bipop", CmaRestart::bipop);

    py::class_<CmaOptions>(m, "CmaOptions", "Settings of a CMA-ES run (defaults live in C++).")
        .def(py::init([](int popsize, bool separable, bool lr_adapt, CmaRestart restart,
                         double inc_popsize, int max_resampling, double tol_fun, double tol_x,
                         double max_condition) {
                 CmaOptions o;
                 o.popsize = popsize;
                 o.separable = separable;
                 o.lr_adapt = lr_adapt;
                 o.restart = restart;
                 o.inc_popsize = inc_popsize;
                 o.max_resampling = max_resampling;
                 o.tol_fun = tol_fun;
                 o.tol_x = tol_x;
                 o.max_condition = max_condition;
                 return o;
             }),
             py::kw_only(), py::arg("popsize") = CmaOptions{}.popsize,
             py::arg("separable") = CmaOptions{}.separable,
             py::arg("lr_adapt") = CmaOptions{}.lr_adapt,
             py::arg_v("restart", CmaOptions{}.restart, "..."),
             py::arg("inc_popsize") = CmaOptions{}.inc_popsize,
             py::arg("max_resampling") = CmaOptions{}.max_resampling,
             py::arg("tol_fun") = CmaOptions{}.tol_fun, py::arg("tol_x") = CmaOptions{}.tol_x,
             py::arg("max_condition") = CmaOptions{}.max_condition)
        .def_readwrite("popsize", &CmaOptions::popsize)
        .def_readwrite("separable", &CmaOptions::separable)
        .def_readwrite("lr_adapt", &CmaOptions::lr_adapt)
        .def_readwrite("restart", &CmaOptions::restart)
        .def_readwrite("inc_popsize", &CmaOptions::inc_popsize)
        .def_readwrite("max_resampling", &CmaOptions::max_resampling)
        .def_readwrite("tol_fun", &CmaOptions::tol_fun)
        .def_readwrite("tol_x", &CmaOptions::tol_x)
        .def_readwrite("max_condition", &CmaOptions::max_condition);

    py::class_<CmaSample>(m, "CmaSample", "One CMA-ES sample: x for tell, point to evaluate.")
        .def_readonly("x", &CmaSample::x)
        .def_readonly("point", &CmaSample::point)
        .def_readonly("n_redraws", &CmaSample::n_redraws);

    py::class_<CmaWarmStart>(m, "CmaWarmStart", "The WS-CMA-ES initial Gaussian.")
        .def_readonly("mean", &CmaWarmStart::mean)
        .def_readonly("sigma", &CmaWarmStart::sigma)
        .def_readonly("cov", &CmaWarmStart::cov);

    py::class_<CmaEs>(m, "CmaEs", R"doc(The state of a CMA-ES run in the unit cube.

See cpp/include/hyperdial/cmaes.hpp for the update equations (Hansen 2016), the separable
variant, learning-rate adaptation, the margin for discrete dimensions (steps_j = 1 / number of cells, 0 = continuous),
bounds, restarts and the state vector. Pickles through to_vector / from_vector.)doc")
        .def(py::init(&make_cmaes), py::arg("mean"), py::arg("sigma"), py::arg("cov") = py::none(),
             py::arg("steps") = py::none(), py::arg_v("options", CmaOptions{}, "..."))
        .def("ask", &ask_py, py::arg("seed"),
             "A sample drawn from a generator seeded with seed alone. Runs without the GIL.")
        .def("tell", &tell_py, py::arg("x"), py::arg("f"), py::arg("seed") = 0,
             R"doc(One generation: x (popsize x n, the x of ask) and values f (smaller is better).

seed drives a restart's random choices. Returns the stop criterion that caused a restart, or ""
when the run goes on. Raises ValueError for wrong shapes, NaN values or non-finite x. Runs
without the GIL.)doc")
        .def("stop_reason", &CmaEs::stop_reason)
        .def("to_vector", &CmaEs::to_vector)
        .def_static("from_vector", &CmaEs::from_vector, py::arg("state"))
        .def_property_readonly("dim", &CmaEs::dim)
        .def_property_readonly("popsize", &CmaEs::popsize)
        .def_property_readonly("generation", &CmaEs::generation)
        .def_property_readonly("n_restarts", &CmaEs::n_restarts)
        .def_property_readonly("eta_mean", &CmaEs::eta_mean)
        .def_property_readonly("eta_cov", &CmaEs::eta_cov)
        .def_property_readonly("sigma", &CmaEs::sigma)
        .def_property_readonly("mean", &CmaEs::mean)
        .def_property_readonly("cov", &CmaEs::cov)
        .def_property_readonly("p_sigma", &CmaEs::p_sigma)
        .def_property_readonly("p_c", &CmaEs::p_c)
        .def_property_readonly("eigvecs", &CmaEs::eigvecs)
        .def_property_readonly("eigvals_sqrt", &CmaEs::eigvals_sqrt)
        .def_property_readonly("margin_scale", &CmaEs::margin_scale)
        .def_property_readonly("weights", &CmaEs::weights)
        .def_property_readonly("options", &CmaEs::options)
        .def(py::pickle([](const CmaEs& self) { return self.to_vector(); },
                        [](const VectorXd& state) { return CmaEs::from_vector(state); }));

    m.def("cma_warm_start", &cma_warm_start, py::arg("x"), py::arg("f"), py::arg("gamma") = 0.1,
          py::arg("alpha") = 0.1,
          R"doc(The WS-CMA-ES initial Gaussian (Nomura et al. 2021) of points x with values f.

The best ceil(gamma N) points give the mean and Sigma = alpha^2 I + their sample covariance;
returns mean, sigma = det(Sigma)^(1/(2n)) and cov = Sigma / sigma^2.)doc");
    m.def("_normal_quantile", &normal_quantile, py::arg("p"), "Phi^-1(p) for p in (0, 1).");
}

}  // namespace hyperdial::bindings
