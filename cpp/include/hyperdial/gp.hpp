// Exact Gaussian-process regression with fixed hyperparameters.
//
// Arrays: x (n, d) training inputs in the normalised space, y (n,) targets (the caller
// standardises them; the prior mean is zero), mask (n, d) activity mask or empty, theta (d + 2,)
// log hyperparameters as in kernels.hpp, the last entry log sigma^2 (homoscedastic noise).
//     K = k(x, x) + sigma^2 I,   L L^T = K + jitter I (linalg.hpp),   alpha = (L L^T)^-1 y.
// For a query q (active in every dimension), with k_q = k(x, q):
//     mean(q) = k_q^T alpha,   var(q) = s2 - |L^-1 k_q|^2   (latent f, no noise; clamped >= 0)
//     dmean/dq_j = (dk_q/dq_j)^T alpha,   dvar/dq_j = -2 (K^-1 k_q)^T dk_q/dq_j.
// Memory is O(n^2 + n d): L and, per block of 64 queries, an (n, 64) block.
//
// append() adds one observation in O(n^2) with the hyperparameters fixed: the new row of L is
// l = L^-1 k(x, x_new), pivot sqrt(s2 + sigma^2 + jitter - |l|^2), written in place (L is kept
// in a larger buffer, see factor_); if that pivot is not safely positive (e.g. a duplicate with
// no noise), the whole factorisation is redone with jitter escalation instead.
//
// A GP made by a hyperparameter fit (hyperfit.hpp) may also hold (K + jitter I)^-1 at its
// hyperparameters, shared read-only between copies: the next warm refit, from these
// hyperparameters on the same points plus a few more, then evaluates its first step in O(n^2)
// instead of O(n^3). append() drops it.
#pragma once

#include <memory>
#include <vector>

#include "hyperdial/kernels.hpp"
#include "hyperdial/types.hpp"

namespace hyperdial {

struct Prediction {
    VectorXd mean;     // (m,)
    VectorXd var;      // (m,)
    RowMatrixXd dmean; // (m, d), empty unless gradients were asked for
    RowMatrixXd dvar;  // (m, d)
};

class ExactGP {
public:
    ExactGP(int kernel_kind, const std::vector<int>& dim_kinds, const VectorXd& log_params,
            const Eigen::Ref<const RowMatrixXd>& x, const Eigen::Ref<const VectorXd>& y,
            const Eigen::Ref<const RowMatrixXd>& mask, int n_threads);

    // The same GP from a factorisation already made, e.g. FitResult::factor (the factor of
    // k(x, x) + sigma^2 I + jitter I exactly as the other constructor computes it; only its
    // shape is checked), so that a fit is not followed by a second factorisation.
    // inverse, if given, is the lower triangle of (K + jitter I)^-1 for this factor.
    ExactGP(int kernel_kind, const std::vector<int>& dim_kinds, const VectorXd& log_params,
            const Eigen::Ref<const RowMatrixXd>& x, const Eigen::Ref<const VectorXd>& y,
            const Eigen::Ref<const RowMatrixXd>& mask, Eigen::MatrixXd factor, double jitter,
            std::shared_ptr<const Eigen::MatrixXd> inverse = nullptr);

    // Adds observation (x_new, y_new) with activity mask mask_new (empty: all active).
    void append(const Eigen::Ref<const VectorXd>& x_new, double y_new,
                const Eigen::Ref<const VectorXd>& mask_new, int n_threads);

    Prediction predict(const Eigen::Ref<const RowMatrixXd>& xq, bool with_grad,
                       int n_threads) const;

    // Cheap upper bounds on the posterior mean and variance at the rows of xq, O(n d) per
    // query (no triangular solve): mean_ub >= the mean predict() returns, whatever the rounding
    // of either sum; var_ub >= predict()'s variance, from conditioning on the two observations
    // most correlated with the query only (conditioning on fewer observations never lowers
    // the posterior variance), plus a margin for rounding. Used to skip exact scoring of
    // candidates that cannot rank high (acq_optimize.cpp).
    void bounds(const Eigen::Ref<const RowMatrixXd>& xq, VectorXd& mean_ub, VectorXd& var_ub,
                int n_threads) const;

    // log p(y | x, theta) = -1/2 y^T alpha - sum log L_ii - n/2 log(2 pi).
    double log_marginal_likelihood() const;

    Index n() const noexcept { return x_.rows(); }
    Index dims() const noexcept { return kernel_.dims(); }
    double jitter() const noexcept { return jitter_; }
    double noise() const noexcept { return noise_; }
    const Kernel& kernel() const noexcept { return kernel_; }
    const VectorXd& log_params() const noexcept { return log_params_; }
    const RowMatrixXd& x() const noexcept { return x_; }
    const VectorXd& y() const noexcept { return y_; }
    const RowMatrixXd& mask() const noexcept { return mask_; }
    // L (n, n), a copy.
    Eigen::MatrixXd cholesky() const { return lower(); }
    // L (n, n) without a copy (strict upper triangle zero).
    Eigen::Block<const Eigen::MatrixXd> factor() const { return lower(); }
    // The lower triangle of (K + jitter I)^-1 (n, n) when the fit that made this GP kept it,
    // else nullptr.
    const Eigen::MatrixXd* inverse() const noexcept { return inverse_.get(); }
    const VectorXd& alpha() const noexcept { return alpha_; }

private:
    // Checks the arguments of the constructors and stores x, y, mask, the noise.
    void init(const VectorXd& log_params, const Eigen::Ref<const RowMatrixXd>& x,
              const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const RowMatrixXd>& mask,
              int n_threads);
    void refactor(int n_threads);
    void solve_alpha();

    Kernel kernel_;
    KernelInputs inputs_;    // x_ prepared for kernels.hpp's fast evaluation
    VectorXd log_params_;
    double noise_ = 0.0;
    RowMatrixXd x_;
    VectorXd y_;
    RowMatrixXd mask_;       // (n, d) or (0, 0)
    // L is the top-left (n, n) block of factor_, whose size (the capacity) runs ahead of n, so
    // that append() writes the new row in place instead of copying L (and touching fresh pages)
    // into a matrix one larger. Memory: capacity n + max(16, n / 16), about 13 % more than L
    // above 256 points.
    Eigen::MatrixXd factor_;
    Eigen::Block<const Eigen::MatrixXd> lower() const {
        return factor_.topLeftCorner(x_.rows(), x_.rows());
    }
    // Copies l into factor_ with room to grow.
    void set_factor(const Eigen::MatrixXd& l);
    VectorXd alpha_;
    double jitter_ = 0.0;
    std::shared_ptr<const Eigen::MatrixXd> inverse_;
};

// Kriging believer (Ginsbourger et al. 2010): a copy of gp with each pending point (row of
// x_pending, all dims active) appended in turn with its current posterior mean as the target, so
// the variance collapses there and an acquisition stops favouring points already being
// evaluated. O(p n^2) for p pending points.
ExactGP with_fantasies(const ExactGP& gp, const Eigen::Ref<const RowMatrixXd>& x_pending,
                       int n_threads);

}  // namespace hyperdial
