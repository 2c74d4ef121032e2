// Kernel hyperparameters by maximum a posteriori: the log marginal likelihood plus log priors,
// its analytic gradient, and a bounded L-BFGS fit in log space.
//
// With K = k(x, x) + sigma^2 I and one factorisation L L^T = K + jitter I per evaluation:
//     log p(y | theta) = -1/2 y^T alpha - sum_i log L_ii - n/2 log 2 pi,   alpha = K^-1 y
//     d log p / d theta_p = 1/2 sum_{ik} W_ik dK_ik/d theta_p,   W = alpha alpha^T - K^-1,
// where dK/dtheta_p is contracted with W pair by pair (kernels.hpp: gram_grad_contract_stored,
// from the kernel values and derivative factors stored beside K when it is built, so the kernel
// is evaluated once per evaluation), so no n x n x d tensor is formed, and
// d K / d log sigma^2 = sigma^2 I gives sigma^2 tr(W) / 2. O(n^3) for K^-1, O(n^2 d) for the
// contraction. The buffers (three n x n, plus the best evaluation's factor) are kept across the
// evaluations of one fit.
//
// Priors: independent normal priors on theta (that is, log-normal on lengthscales, signal and
// noise): log prior = sum_p -1/2 ((theta_p - mu_p) / sd_p)^2 - log(sd_p sqrt(2 pi)), skipped
// where sd_p is 0 or infinite. The Python facade's defaults (hyperdial/gp/_priors.py) follow
// Hvarfner et al. (ICML 2024): log l ~ N(sqrt(2) + log(d) / 2, sqrt(3)). The prior median of the
// lengthscale grows like sqrt(d), so the expected squared distance between random points in
// units of lengthscales stays roughly constant as d grows; a fixed prior instead makes every pair
// of points look uncorrelated in high dimensions, which is what makes vanilla BO fail there.
//
// Fit: maximise log p + log prior with lbfgsb.hpp from theta0 (warm start: pass the previous
// fit), then from n_restarts further starts: the first at the prior's centre (its mean, or the
// middle of the bounds where there is no prior), the others drawn from the prior with
// Xoshiro256ss(seed, restart), all clipped to the bounds; the best wins (ties: the earliest).
// The start at the centre is skipped when theta0 is that point and there is no memory (a cold
// fit): it would repeat the first run step for step.
// Restarts run one after the other, each evaluation parallel inside, so the result does not
// depend on n_threads. Why the centre first: a warm start can stay on a poor local maximum for
// good, with lengthscales far beyond the unit cube on relevant inputs, where the gradient is
// ~0; a run from the prior's centre leaves it where a random restart often does not (measured
// in docs/design/gp_sampler.md).
//
// Warm refits after new observations: when the previous fit's GP (ExactGP::inverse() kept) was
// fitted at theta0 on the first n_old of the n points (same kernel, same rows and masks), the
// first evaluation extends its factor and inverse instead of recomputing them: per new point,
// the new row of L (l = L^-1 k, pivot p = sqrt(c - |l|^2), as ExactGP::append) and the bordered
// inverse [[A^-1 + b b^T / p^2, -b / p^2], [-b^T / p^2, 1 / p^2]] with b = L^-T l = A^-1 k,
// O(n^2) each instead of O(n^3) for the evaluation (the kernel and its derivative factors are
// still evaluated in full, O(n^2 d)). Used for up to max(1, n_old / 16) new points; any pivot that
// is not safely positive falls back to the full evaluation. The inverse so made carries the
// rounding of the previous one plus O(eps) per step; a refit that moves theta recomputes it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hyperdial/gp.hpp"
#include "hyperdial/types.hpp"

namespace hyperdial {

struct MllProblem {
    int kernel_kind = 0;
    std::vector<int> dim_kinds;
    RowMatrixXd x;      // (n, d)
    RowMatrixXd mask;   // (n, d) or empty
    VectorXd y;         // (n,)
    VectorXd prior_mean;  // (d + 2,) or empty (no priors)
    VectorXd prior_std;   // (d + 2,) or empty
};

struct MllValue {
    double value = 0.0;  // log p(y | theta) + log prior
    VectorXd grad;       // (d + 2,)
    double jitter = 0.0;
};

MllValue log_posterior_and_grad(const MllProblem& problem, const VectorXd& theta, int n_threads);

struct FitResult {
    VectorXd theta;
    double value = 0.0;  // log p + log prior at theta
    int n_iter = 0;      // L-BFGS iterations, all starts
    int n_evals = 0;     // objective evaluations, all starts
    double jitter = 0.0;
    RowMatrixXd memory;  // (k, 2 (d + 2)): the warm-start run's L-BFGS pairs, rows [s | y]
    // The Cholesky factor of K + jitter I at theta (as ExactGP would compute it) when the fit's
    // best evaluation was at theta (almost always), else empty.
    Eigen::MatrixXd factor;
    // The lower triangle of (K + jitter I)^-1 at theta, when factor is set.
    std::shared_ptr<const Eigen::MatrixXd> inverse;
    bool extended = false;  // the first evaluation extended previous's factor (see above)
};

// memory: pairs returned by the previous fit (FitResult::memory) or empty; they seed the
// quasi-Newton model of the run that starts at theta0, so a refit after a few more observations
// usually takes one or two steps. Bad arguments throw std::invalid_argument; a log posterior that
// is not finite at any start throws NumericalError (errors.hpp).
FitResult fit_hyperparameters(const MllProblem& problem, const VectorXd& theta0,
                              const VectorXd& lower, const VectorXd& upper, int n_restarts,
                              std::uint64_t seed, int max_iter, int n_threads,
                              const RowMatrixXd& memory = RowMatrixXd(),
                              const ExactGP* previous = nullptr);

}  // namespace hyperdial
