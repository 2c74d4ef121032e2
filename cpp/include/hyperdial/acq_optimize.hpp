// Maximisation of an acquisition function (acquisition.hpp) over a mixed space.
//
// Space: dimension j is continuous in [0, 1], an integer grid of c_j = n_choices[j] values
// (k + 0.5) / c_j, k = 0 .. c_j - 1 (the centres of c_j equal cells of [0, 1]), or categorical
// with codes 0 .. c_j - 1 (kinds from the GP's kernel; n_choices[j] is ignored for continuous dims).
//
// Steps, all from one seed:
//   1. Candidate pool: n_pool scrambled Sobol' points (sobol.hpp, the given seed) mapped onto the
//      space, plus, for each row of x_best (e.g. the best observed points), the point itself and
//      n_perturb perturbations drawn from Xoshiro256ss(seed, 1 + row): continuous coordinates
//      + N(0, 0.1^2) clipped to [0, 1], integer ones moved one step up or down with probability
//      1/2, categorical ones redrawn uniformly with probability 1/d.
//   2. The pool is scored in batched calls, and the n_starts best distinct points (ties: lower
//      pool index) become starts. With options.screen (log-EI and UCB without constraints),
//      rows are scored in the order of a cheap upper bound of their value and scoring stops
//      once no unscored row can reach the n_starts best (ExactGP::bounds).
//   3. From each start (starts in fixed groups of 4 whose L-BFGS runs go in lockstep with their
//      evaluations batched, lbfgsb.hpp; groups in parallel), up to n_rounds rounds
//      of: bounded L-BFGS (lbfgsb.hpp) on the continuous dims with the others fixed; then, for
//      each integer dim, the two neighbouring grid values; then, for each categorical dim, every
//      category (each dim's candidates in one batched call, a move kept only if it improves).
//      A round in which no integer or categorical coordinate moves ends the start.
//   4. The best result wins (ties: the earlier start).
// Each start depends only on its start point, so the answer does not depend on n_threads.
#pragma once

#include <cstdint>
#include <vector>

#include "hyperdial/acquisition.hpp"
#include "hyperdial/gp.hpp"
#include "hyperdial/types.hpp"

namespace hyperdial {

struct AcqOptimizeOptions {
    int n_pool = 2048;
    int n_perturb = 64;
    int n_starts = 8;
    int n_rounds = 3;
    int max_iter = 50;
    // Score only the pool rows whose upper bound can reach the n_starts best (log-EI and UCB
    // without constraints; same starts as scoring every row, see acq_optimize.cpp).
    bool screen = true;
};

struct AcqOptimum {
    VectorXd x;
    double value = 0.0;
};

AcqOptimum maximize_acquisition(const ExactGP& gp, const AcqSpec& spec,
                                const std::vector<const ExactGP*>& constraints,
                                const std::vector<int>& n_choices,
                                const Eigen::Ref<const RowMatrixXd>& x_best,
                                const AcqOptimizeOptions& options, std::uint64_t seed,
                                int n_threads);

}  // namespace hyperdial
