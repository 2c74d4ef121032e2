// TPE's Parzen estimators: _core.tpe_bandwidths, _core.tpe_mixture, _core.tpe_log_pdf and
// _core.tpe_log_ratio (see cpp/include/hyperdial/tpe.hpp).
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "hyperdial/tpe.hpp"
#include "pybind.hpp"

#ifdef HYPERDIAL_HAVE_NPYRANDOM
// NumPy's distribution functions (libnpyrandom, shipped with NumPy for extensions like this one):
// the same code Generator.random / standard_normal / integers run, on the same bit generator.
extern "C" {
#include "numpy/random/bitgen.h"
#include "numpy/random/distributions.h"
}
#endif

namespace hyperdial::bindings {
namespace {

using BoolArray = py::array_t<bool, py::array::c_style | py::array::forcecast>;
using Int64Array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using MatRef = Eigen::Ref<const RowMatrixXd>;
using CatRef = Eigen::Ref<const RowMatrixXi64>;

// Needs the GIL (reads NumPy arrays).
ParzenDims make_dims(const Int64Array& n_choices, const BoolArray& coarse) {
    if (n_choices.ndim() != 1) {
        throw std::invalid_argument("n_choices must be 1-d, got " +
                                    std::to_string(n_choices.ndim()) + " dimensions");
    }
    if (coarse.ndim() != 1) {
        throw std::invalid_argument("coarse must be 1-d, got " + std::to_string(coarse.ndim()) +
                                    " dimensions");
    }
    ParzenDims dims;
    dims.n_choices.assign(n_choices.data(), n_choices.data() + n_choices.size());
    dims.coarse.resize(static_cast<std::size_t>(coarse.size()));
    for (py::ssize_t d = 0; d < coarse.size(); ++d) {
        dims.coarse[static_cast<std::size_t>(d)] = coarse.data()[d] ? 1 : 0;
    }
    return dims;
}

VectorXd weights_or_empty(const std::optional<VectorXd>& w) { return w ? *w : VectorXd(0); }

#ifdef HYPERDIAL_HAVE_NPYRANDOM
// ParzenRandom on a NumPy bit generator; the caller holds the GIL and the generator's lock.
class NumpyRandom final : public ParzenRandom {
   public:
    explicit NumpyRandom(bitgen_t* bitgen) : bitgen_(bitgen) {}
    void uniform(Index n, double* out) override {
        random_standard_uniform_fill(bitgen_, static_cast<npy_intp>(n), out);
    }
    void normal(Index n, double* out) override {
        for (Index i = 0; i < n; ++i) {
            out[i] = random_standard_normal(bitgen_);
        }
    }
    void integers(std::int64_t k, Index n, std::int64_t* out) override {
        // Generator.integers(0, k, size=n) with its default int64 dtype: offset 0, range k - 1,
        // Lemire's method (use_masked false).
        static_assert(sizeof(std::int64_t) == sizeof(std::uint64_t));
        random_bounded_uint64_fill(bitgen_, 0, static_cast<std::uint64_t>(k - 1),
                                   static_cast<npy_intp>(n), false,
                                   reinterpret_cast<std::uint64_t*>(out));
    }

   private:
    bitgen_t* bitgen_;
};
#endif

}  // namespace

void bind_tpe(py::module_& m) {
    m.def(
        "tpe_bandwidths",
        [](const MatRef& mu, bool consider_endpoints) {
            ParzenDims dims;
            dims.coarse.assign(static_cast<std::size_t>(mu.cols()), 0);
            const RowMatrixXi64 no_cat(mu.rows(), 0);
            const ParzenMixture est(mu, no_cat, VectorXd(0), dims, {1.0, consider_endpoints, false});
            return RowMatrixXd(est.widths().topRows(mu.rows()));
        },
        py::arg("mu"), py::arg("consider_endpoints") = false,
        py::call_guard<py::gil_scoped_release>(),
        R"doc((n, dn) kernel widths of the observations mu (n, dn) in [0, 1].

Per observation and dimension, the larger distance to its two neighbours (the ends count as
neighbours; without consider_endpoints the outermost observations use their inner gap),
clipped to [1 / min(100, n + 2), 1]. Runs without the GIL.)doc");
    m.def(
        "tpe_mixture",
        [](const MatRef& mu, const std::optional<VectorXd>& weights, double prior_weight,
           bool consider_endpoints, bool prior_relative_to_mean) {
            ParzenDims dims;
            dims.coarse.assign(static_cast<std::size_t>(mu.cols()), 0);
            const RowMatrixXi64 no_cat(mu.rows(), 0);
            const ParzenMixture est(mu, no_cat, weights_or_empty(weights), dims,
                                    {prior_weight, consider_endpoints, prior_relative_to_mean});
            return std::make_tuple(est.probabilities(), est.means(), est.widths());
        },
        py::arg("mu"), py::arg("weights") = py::none(), py::arg("prior_weight") = 1.0,
        py::arg("consider_endpoints") = false, py::arg("prior_relative_to_mean") = false,
        py::call_guard<py::gil_scoped_release>(),
        R"doc(The numeric components of a Parzen estimator, for drawing from it.

Returns (p (n + 1,), means (n + 1, dn), widths (n + 1, dn)): mixture probabilities, kernel
means and widths of the n observations and, last, the prior (mean 0.5, width 1). weights:
(n,) >= 0 or None for all 1; the prior's weight is prior_weight (times the mean weight with
prior_relative_to_mean). Runs without the GIL.)doc");
#ifdef HYPERDIAL_HAVE_NPYRANDOM
    m.def(
        "tpe_sample",
        [](const py::object& generator, const MatRef& mu, const CatRef& cat,
           const std::optional<VectorXd>& weights, const Int64Array& n_choices,
           const BoolArray& coarse, Index n_draws, double prior_weight, bool consider_endpoints,
           bool prior_relative_to_mean) {
            const ParzenDims dims = make_dims(n_choices, coarse);
            const ParzenMixture est(mu, cat, weights_or_empty(weights), dims,
                                    {prior_weight, consider_endpoints, prior_relative_to_mean});
            if (n_draws < 0) {
                throw std::invalid_argument("m must be >= 0, got " + std::to_string(n_draws));
            }
            py::object bit_generator;
            try {
                bit_generator = generator.attr("bit_generator");
            } catch (const py::error_already_set&) {
                throw py::type_error("generator must be a numpy.random.Generator");
            }
            const auto capsule = bit_generator.attr("capsule").cast<py::capsule>();
            if (capsule.name() == nullptr || std::string(capsule.name()) != "BitGenerator") {
                throw py::type_error("generator.bit_generator has no BitGenerator capsule");
            }
            NumpyRandom rng(capsule.get_pointer<bitgen_t>());
            // The generator's own lock, as its methods take it (the GIL stays held: a few
            // microseconds of work).
            const py::object lock = bit_generator.attr("lock");
            lock.attr("acquire")();
            ParzenDraws draws;
            try {
                draws = est.sample(rng, n_draws);
            } catch (...) {
                lock.attr("release")();
                throw;
            }
            lock.attr("release")();
            return std::make_tuple(std::move(draws.x), std::move(draws.xc));
        },
        py::arg("generator"), py::arg("mu"), py::arg("cat"), py::arg("weights"),
        py::arg("n_choices"), py::arg("coarse"), py::arg("m"), py::arg("prior_weight") = 1.0,
        py::arg("consider_endpoints") = false, py::arg("prior_relative_to_mean") = false,
        R"doc(m draws (x (m, dn), xc (m, dc)) from a Parzen estimator, with a NumPy Generator.

Arguments as in tpe_log_pdf; generator: a numpy.random.Generator, advanced exactly as the NumPy
reference draw (hyperdial._reference.tpe.sample_mixture) advances it, and giving the
same numbers: NumPy's own distribution code (libnpyrandom) runs on the generator's bit
generator. Present only when the core was built with libnpyrandom (see CMakeLists.txt).)doc");
#endif
    m.def(
        "tpe_log_pdf",
        [](const MatRef& mu, const CatRef& cat, const std::optional<VectorXd>& weights,
           const Int64Array& n_choices, const BoolArray& coarse, const MatRef& x,
           const MatRef& lo, const MatRef& hi, const CatRef& xc, double prior_weight,
           bool consider_endpoints, bool prior_relative_to_mean, int n_threads) {
            const ParzenDims dims = make_dims(n_choices, coarse);
            const VectorXd w = weights_or_empty(weights);
            py::gil_scoped_release release;
            const ParzenMixture est(mu, cat, w, dims,
                                    {prior_weight, consider_endpoints, prior_relative_to_mean});
            return est.log_pdf(x, lo, hi, xc, n_threads);
        },
        py::arg("mu"), py::arg("cat"), py::arg("weights"), py::arg("n_choices"),
        py::arg("coarse"), py::arg("x"), py::arg("lo"), py::arg("hi"), py::arg("xc"),
        py::arg("prior_weight") = 1.0, py::arg("consider_endpoints") = false,
        py::arg("prior_relative_to_mean") = false, py::arg("n_threads") = 0,
        R"doc((m,) log densities of a Parzen estimator at m candidates.

mu (n, dn) numeric observations in [0, 1]; cat (n, dc) choice codes; weights (n,) or None;
n_choices (dc,); coarse (dn,) bool: scored by the kernel mass over [lo, hi] instead of the
density at x; x, lo, hi (m, dn); xc (m, dc). Runs without the GIL.)doc");
    m.def(
        "tpe_log_ratio",
        [](const MatRef& good_mu, const CatRef& good_cat,
           const std::optional<VectorXd>& good_weights, const MatRef& bad_mu,
           const CatRef& bad_cat, const std::optional<VectorXd>& bad_weights,
           const Int64Array& n_choices, const BoolArray& coarse, const MatRef& x,
           const MatRef& lo, const MatRef& hi, const CatRef& xc, double prior_weight,
           bool consider_endpoints, int n_threads) {
            const ParzenDims dims = make_dims(n_choices, coarse);
            const VectorXd wl = weights_or_empty(good_weights);
            const VectorXd wg = weights_or_empty(bad_weights);
            py::gil_scoped_release release;
            const ParzenMixture good(good_mu, good_cat, wl, dims,
                                     {prior_weight, consider_endpoints, true}, "good_");
            const ParzenMixture bad(bad_mu, bad_cat, wg, dims,
                                    {prior_weight, consider_endpoints, false}, "bad_");
            VectorXd out = good.log_pdf(x, lo, hi, xc, n_threads);
            out -= bad.log_pdf(x, lo, hi, xc, n_threads);
            return out;
        },
        py::kw_only(), py::arg("good_mu"), py::arg("good_cat"), py::arg("good_weights"),
        py::arg("bad_mu"),
        py::arg("bad_cat"), py::arg("bad_weights"), py::arg("n_choices"), py::arg("coarse"),
        py::arg("x"), py::arg("lo"), py::arg("hi"), py::arg("xc"), py::arg("prior_weight") = 1.0,
        py::arg("consider_endpoints") = false, py::arg("n_threads") = 0,
        R"doc((m,) TPE scores log l(x) - log g(x) of m candidates.

l is the Parzen estimator of the good observations (its prior weight relative to their mean
weight), g that of the bad ones; arguments as in tpe_log_pdf, by keyword only. Both estimators
are built and scored in one call without the GIL.)doc");
}

}  // namespace hyperdial::bindings
