// Acquisition functions, all to be maximised, for an objective that is maximised.
//
// With posterior mean mu and standard deviation sigma = sqrt(var) of the latent objective at x,
// best = the incumbent value, z = (mu - best) / sigma:
//   log_ei   log E[max(f - best, 0)] = log sigma + log h(z),  h(z) = phi(z) + z Phi(z).
//            log h is evaluated without cancellation (Ament et al., NeurIPS 2023): directly for
//            z > -5, and for z <= -5 through the continued fraction of the Mills ratio,
//            F_k(t) = t + k / F_(k+1)(t), t = -z, by which Phi(z) = phi(z) / F_1 and
//            h(z) = phi(z) / (F_1 F_2); so log h = log phi(z) - log F_1 - log F_2 and
//            d log h / dz = Phi(z) / h(z) = F_2, accurate for any z (no underflow to -inf).
//   ucb      mu + sqrt(beta) sigma;   lcb   mu - sqrt(beta) sigma (a pessimistic value).
//   log_pi   log Phi(z), with log Phi(z) = log phi(z) - log F_1(-z) for z <= -5.
// Constrained log-EI: log_ei + sum_c log Phi(-mu_c / sigma_c) over constraint GPs c, where a point
// is feasible when c(x) <= 0 (each constraint's probability of feasibility, independent GPs).
// The variance is floored at kVarFloor before use (its gradient is then taken as zero).
//
// Gradients w.r.t. x follow from d/dmu and d/dvar by the chain rule with the GP's dmean/dvar.
#pragma once

#include <vector>

#include "hyperdial/gp.hpp"
#include "hyperdial/types.hpp"

namespace hyperdial {

enum class AcqKind : int { log_ei = 0, ucb = 1, lcb = 2, log_pi = 3 };

inline constexpr double kVarFloor = 1e-24;

struct AcqSpec {
    AcqKind kind = AcqKind::log_ei;
    double best = 0.0;   // incumbent for log_ei / log_pi
    double beta = 2.0;   // for ucb / lcb
};

AcqSpec make_acq_spec(int kind, double best, double beta);

// log h(z) and d log h / dz.
double log_h(double z, double* dlogh_dz);
// log Phi(z) and d log Phi / dz.
double log_ndtr(double z, double* dlog_dz);

// Value at (mean, var) and its partial derivatives.
double acq_value(const AcqSpec& spec, double mean, double var, double* dmean, double* dvar);

struct AcqValues {
    VectorXd value;    // (m,)
    RowMatrixXd grad;  // (m, d) or empty
};

// Acquisition at the rows of xq: objective GP, optional constraint GPs (constrained log-EI needs
// kind == log_ei). Parallel over blocks of queries.
AcqValues evaluate_acquisition(const ExactGP& gp, const AcqSpec& spec,
                               const std::vector<const ExactGP*>& constraints,
                               const Eigen::Ref<const RowMatrixXd>& xq, bool with_grad,
                               int n_threads);

}  // namespace hyperdial
