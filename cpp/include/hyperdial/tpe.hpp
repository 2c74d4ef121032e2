// Parzen estimators of TPE (tree-structured Parzen estimator) and the score log l(x) - log g(x).
//
// Mirrors python/hyperdial/_reference/tpe.py (the NumPy reference; its module docstring
// states the model and the sources). Numeric parameters live in the unit interval [0, 1],
// categorical ones are choice codes 0 .. K-1. A Parzen estimator over n observations is
//   p(x) = sum_j w_j prod_d k_d(x_d | mu_jd),   j = 0 .. n  (n observations, then the prior),
// with weights w_j proportional to the observation weights and to the prior weight, and
//   fine numeric d     a Gaussian N(mu_jd, s_jd^2) truncated to [0, 1]: density at x_d;
//   coarse numeric d   the same Gaussian's mass over the cell [lo_d, hi_d] (integer and step
//                      grids with wide cells), see log_ndtr_diff;
//   categorical d      (1[x_d == c_jd] + eps) / (1 + K_d eps), eps = prior_weight / (n + 1);
//                      the prior is uniform, 1 / K_d.
// The prior's numeric kernel has mean 0.5 and s = 1. The bandwidth s_jd of an observation is
// the larger of its distances to its two neighbours in dimension d (the ends 0 and 1 count as
// neighbours; without consider_endpoints the outermost observations use their inner gap),
// clipped to [1 / min(100, n + 2), 1] (Bergstra et al. 2011, as in Hyperopt and Optuna).
// The truncation mass of a kernel is taken as 1 when it lies more than 6 s inside both ends
// (the reference does the same; the neglected mass is below 2e-9).
//
// Everything is O(n d) to build and O(m n d) to score m candidates, single-threaded unless
// m n d is large (see parallel.hpp). The Gaussian sums run in dense::parzen_gaussian_block, so
// they use the core's run-time AVX2 copy like the GP's dense code (dense.hpp; no FMA there,
// so the results are the same bit for bit as the baseline copy's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hyperdial/types.hpp"

namespace hyperdial {

using RowMatrixXi64 =
    Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// What the estimators need to know about the dimensions.
struct ParzenDims {
    std::vector<std::uint8_t> coarse;     // (dn,) 1: scored by cell mass, 0: by density
    std::vector<std::int64_t> n_choices;  // (dc,) number of choices, >= 1
};

// The random numbers ParzenMixture::sample consumes, in the order it consumes them. The
// binding implements it on a NumPy Generator's bit generator with NumPy's own distribution
// functions, so that a draw in C++ continues the Generator's stream exactly as the NumPy
// reference draw (sample_mixture in _reference/tpe.py) does.
class ParzenRandom {
   public:
    virtual ~ParzenRandom() = default;
    // n uniforms in [0, 1) (Generator.random(n)).
    virtual void uniform(Index n, double* out) = 0;
    // n standard normals (Generator.standard_normal(n)).
    virtual void normal(Index n, double* out) = 0;
    // n integers in [0, k), k >= 1 (Generator.integers(0, k, size=n)).
    virtual void integers(std::int64_t k, Index n, std::int64_t* out) = 0;
};

struct ParzenDraws {
    RowMatrixXd x;     // (m, dn) positions in [0, 1]
    RowMatrixXi64 xc;  // (m, dc) choice codes
};

struct ParzenOptions {
    double prior_weight = 1.0;          // > 0, relative to one observation of weight 1
    bool consider_endpoints = false;
    bool prior_relative_to_mean = false;  // prior weight times the mean observation weight
};

// (n, dn) kernel widths of the observations mu (n, dn) in [0, 1]. Bitwise equal to the NumPy
// reference's bandwidths(): the values lose their low mantissa bits to the row index, as the
// reference's sort keys do (a relative 2^-41 for n = 2048), and ties order by row; no sort
// (bins of half the lower clip, O(n) per dimension; see tpe.cpp).
RowMatrixXd parzen_bandwidths(const Eigen::Ref<const RowMatrixXd>& mu, bool consider_endpoints);

class ParzenMixture {
   public:
    // mu (n, dn) in [0, 1]; cat (n, dc) codes; weights (n,) >= 0, or empty for all 1. Throws
    // std::invalid_argument naming the argument (prefix + "mu", ...) on bad shapes or values.
    ParzenMixture(const Eigen::Ref<const RowMatrixXd>& mu,
                  const Eigen::Ref<const RowMatrixXi64>& cat, const VectorXd& weights,
                  const ParzenDims& dims, const ParzenOptions& options,
                  const std::string& prefix = "");

    Index n_obs() const { return n_obs_; }
    // (n + 1,) mixture probabilities, the prior last.
    const VectorXd& probabilities() const { return p_; }
    // (n + 1, dn) kernel means and widths, the prior last.
    RowMatrixXd means() const;
    RowMatrixXd widths() const;
    double eps() const { return eps_; }

    // m draws from the mixture, the same numbers as the NumPy reference's sample_mixture given
    // a generator in the same state (and the generator left in the same state): components
    // by inverse CDF of m uniforms; numeric dims mu + s z with z standard normal (row-major),
    // entries outside [0, 1] redrawn in order, at most 32 rounds, then clipped; categorical
    // dims, per dimension, m uniform codes and m uniforms that keep the component's own code
    // with probability 1 / (1 + K eps) (the prior and the kept-out draws take the uniform one).
    ParzenDraws sample(ParzenRandom& rng, Index m) const;

    // (m,) log densities (log cell masses on coarse dimensions) at the candidates: x (m, dn)
    // positions (cell centres on discretised dimensions), lo / hi (m, dn) cell bounds (read
    // only on coarse dimensions, lo <= hi), xc (m, dc) choice codes.
    VectorXd log_pdf(const Eigen::Ref<const RowMatrixXd>& x, const Eigen::Ref<const RowMatrixXd>& lo,
                     const Eigen::Ref<const RowMatrixXd>& hi,
                     const Eigen::Ref<const RowMatrixXi64>& xc, int n_threads) const;

   private:
    ParzenDims dims_;
    Index n_obs_ = 0;
    Index n_comp_ = 0;
    double eps_ = 0.0;
    VectorXd p_;
    // Per component: log w_j - sum_d log Z_jd - sum_fine (log s_jd + log sqrt(2 pi)).
    VectorXd base_;
    // Numeric dimensions by row (dn, n + 1), so that loops over components are contiguous.
    RowMatrixXd mu_t_;
    RowMatrixXd sig_t_;
    // Fine (density-scored) dimensions by component (n + 1, 2 n_fine): mean, 1 / width pairs.
    std::vector<Index> fine_dims_;
    RowMatrixXd fine_;
    RowMatrixXi64 cat_t_;  // (dc, n)
};

// Checks candidate arrays against the dimensions (shapes, finiteness, codes, lo <= hi on coarse
// dimensions); throws std::invalid_argument naming the argument.
void check_parzen_candidates(const ParzenDims& dims, const Eigen::Ref<const RowMatrixXd>& x,
                             const Eigen::Ref<const RowMatrixXd>& lo,
                             const Eigen::Ref<const RowMatrixXd>& hi,
                             const Eigen::Ref<const RowMatrixXi64>& xc);

// log(Phi(b) - Phi(a)) for a <= b: Q(a) - Q(b) when both lie in the upper tail, Phi(b) - Phi(a)
// otherwise (no cancellation in either tail), with std::erfc, floored at log(1e-300) as in the
// reference. (The floor is reached only by kernels > 37 widths from a cell, whose share of the
// mixture is then nil next to the prior's, which has width 1.)
double log_ndtr_diff(double a, double b);

}  // namespace hyperdial
