#include "hyperdial/hyperfit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hyperdial/dense.hpp"
#include "hyperdial/errors.hpp"
#include "hyperdial/kernels.hpp"
#include "hyperdial/lbfgsb.hpp"
#include "hyperdial/linalg.hpp"
#include "hyperdial/parallel.hpp"
#include "hyperdial/rng.hpp"

namespace hyperdial {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178032973640562;

void check_problem(const MllProblem& p) {
    const auto d = static_cast<Index>(p.dim_kinds.size());
    if (p.x.rows() < 1) {
        throw std::invalid_argument("x must have at least one row");
    }
    if (p.y.size() != p.x.rows()) {
        throw std::invalid_argument("y must have n = " + std::to_string(p.x.rows()) +
                                    " entries, got " + std::to_string(p.y.size()));
    }
    if (!p.y.allFinite()) {
        throw std::invalid_argument("y must be finite");
    }
    const bool has_prior = p.prior_mean.size() != 0 || p.prior_std.size() != 0;
    if (has_prior && (p.prior_mean.size() != d + 2 || p.prior_std.size() != d + 2)) {
        throw std::invalid_argument("prior_mean and prior_std must both be empty or have d + 2 = " +
                                    std::to_string(d + 2) + " entries");
    }
    if (has_prior && (!p.prior_mean.allFinite() || (p.prior_std.array() < 0.0).any() ||
                      p.prior_std.hasNaN())) {
        throw std::invalid_argument(
            "prior_mean must be finite and prior_std >= 0 (0 or inf: no prior)");
    }
}

bool has_prior_on(const MllProblem& p, Index i) {
    return p.prior_std.size() != 0 && p.prior_std[i] > 0.0 && std::isfinite(p.prior_std[i]);
}

}  // namespace

namespace {

// Buffers kept across the evaluations of one fit, and the factor of its best evaluation.
struct MllWorkspace {
    Eigen::MatrixXd kg;       // K + sigma^2 I (lower), derivative factors (upper, kernels.hpp)
    Eigen::MatrixXd factor;   // this evaluation's Cholesky factor, then K^-1 (lower triangle)
    Eigen::MatrixXd inverse;  // L^-1 (cholesky_inverse_lower's scratch), then W (lower)
    bool keep_best = false;   // keep the factor and K^-1 of the best evaluation
    Eigen::MatrixXd best_factor;
    Eigen::MatrixXd best_inverse;
    VectorXd best_theta;
    double best_value = -std::numeric_limits<double>::infinity();
    const ExactGP* previous = nullptr;  // offered to the next evaluation only (hyperfit.hpp)
    bool extended = false;              // an evaluation extended previous's factor
};

// Whether the factor and inverse of previous (fitted at theta on the first rows of the
// problem's points) can be extended to the problem's points (hyperfit.hpp).
bool can_extend(const MllProblem& problem, const VectorXd& theta, const ExactGP& previous) {
    const Index n = problem.x.rows();
    const Index n_old = previous.n();
    if (previous.inverse() == nullptr ||
        static_cast<int>(previous.kernel().kind) != problem.kernel_kind ||
        previous.kernel().dim_kinds != problem.dim_kinds || previous.log_params() != theta ||
        n_old > n || 16 * (n - n_old) > std::max<Index>(n_old, 16)) {
        return false;
    }
    if (previous.x() != problem.x.topRows(n_old)) {
        return false;
    }
    if (previous.mask().size() == 0 || problem.mask.size() == 0) {
        return previous.mask().size() == 0 && problem.mask.size() == 0;
    }
    return previous.mask() == problem.mask.topRows(n_old);
}

// ws.factor = L and ws.inverse = (K + jitter I)^-1 (lower) for the problem's points, from
// previous's and the Gram matrix in ws.kg (lower, with the noise); false when an appended pivot
// is not safely positive.
bool extend_previous(const ExactGP& previous, int n_threads, MllWorkspace& ws) {
    const Index n = ws.kg.rows();
    const Index n_old = previous.n();
    const double jitter = previous.jitter();
    ws.factor.resize(n, n);
    ws.factor.topLeftCorner(n_old, n_old) = previous.factor();
    ws.inverse.resize(n, n);
    ws.inverse.topLeftCorner(n_old, n_old) = *previous.inverse();
    VectorXd l(n);
    VectorXd b(n);
    for (Index i = n_old; i < n; ++i) {
        l.head(i) = ws.kg.row(i).head(i).transpose();
        const double pivot = append_factor_row(ws.factor, i, l.head(i), ws.kg(i, i) + jitter);
        if (pivot == 0.0) {
            return false;
        }
        b.head(i) = l.head(i);
        dense::trsm_lower(ws.factor.data(), n, i, b.data(), i, 1, true);  // A^-1 k = L^-T l
        const double s = pivot * pivot;
        Eigen::MatrixXd& inv = ws.inverse;
        const double work = static_cast<double>(i) * static_cast<double>(i);
        parallel_for(i, threads_for_work(work, n_threads), [&](std::ptrdiff_t j) {
            const double bj = b[j] / s;
            inv.col(j).segment(j, i - j) += bj * b.segment(j, i - j);
        });
        inv.row(i).head(i) = -b.head(i).transpose() / s;
        inv(i, i) = 1.0 / s;
    }
    return true;
}

MllValue evaluate(const MllProblem& problem, const VectorXd& theta, int n_threads,
                  MllWorkspace& ws) {
    const Kernel kernel = make_kernel(problem.kernel_kind, problem.dim_kinds, theta);
    const Index d = kernel.dims();
    if (theta.size() != d + 2) {
        throw std::invalid_argument("theta must have d + 2 = " + std::to_string(d + 2) +
                                    " entries, got " + std::to_string(theta.size()));
    }
    check_inputs(kernel, problem.x, problem.mask, "x");
    const Index n = problem.x.rows();
    const double noise = std::exp(theta[d + 1]);
    const KernelInputs inputs = prepare_inputs(kernel, problem.x, problem.mask);
    ws.kg.resize(n, n);
    gram_lower(kernel, inputs, ws.kg, n_threads, true);
    ws.kg.diagonal().array() += noise;
    MllValue out;
    bool have_inverse = false;
    if (ws.previous != nullptr) {
        const ExactGP& previous = *ws.previous;
        ws.previous = nullptr;
        if (can_extend(problem, theta, previous) && extend_previous(previous, n_threads, ws)) {
            out.jitter = previous.jitter();
            have_inverse = true;
            ws.extended = true;
        }
    }
    if (!have_inverse) {
        out.jitter = cholesky_with_jitter_into(ws.kg, ws.factor, n_threads);
    }
    const Eigen::MatrixXd& l = ws.factor;
    const auto lower = l.triangularView<Eigen::Lower>();
    VectorXd alpha = lower.solve(problem.y);
    lower.transpose().solveInPlace(alpha);
    out.value = -0.5 * problem.y.dot(alpha) - ws.factor.diagonal().array().log().sum() -
                static_cast<double>(n) * kHalfLog2Pi;
    out.grad.resize(d + 2);
    out.grad.setZero();
    for (Index i = 0; i < d + 2; ++i) {
        if (has_prior_on(problem, i)) {
            const double sd = problem.prior_std[i];
            const double z = (theta[i] - problem.prior_mean[i]) / sd;
            out.value += -0.5 * z * z - std::log(sd) - kHalfLog2Pi;
            out.grad[i] = -z / sd;
        }
    }
    // K^-1 (lower) into the factor's storage, W = alpha alpha^T - K^-1 (lower) into the
    // scratch's; the factor and K^-1 move to best_factor and best_inverse when this is the best
    // evaluation so far.
    const Eigen::MatrixXd* factor = &ws.factor;
    const bool best = ws.keep_best && out.value > ws.best_value;
    if (best) {
        ws.best_factor.swap(ws.factor);
        ws.factor.resize(n, n);
        ws.best_theta = theta;
        ws.best_value = out.value;
        factor = &ws.best_factor;
    }
    if (have_inverse) {
        ws.factor.swap(ws.inverse);
    } else {
        cholesky_inverse_lower(*factor, ws.factor, n_threads, &ws.inverse);
    }
    const Eigen::MatrixXd& inv = ws.factor;
    Eigen::MatrixXd& w = ws.inverse;
    w.resize(n, n);
    for (Index i = 0; i < n; ++i) {
        for (Index r = i; r < n; ++r) {
            w(r, i) = alpha[r] * alpha[i] - inv(r, i);
        }
    }
    if (best) {
        ws.best_inverse.swap(ws.factor);
    }
    out.grad.head(d + 1) += 0.5 * gram_grad_contract_stored(kernel, inputs, ws.kg, w, n_threads);
    out.grad[d + 1] += 0.5 * noise * w.trace();
    return out;
}

}  // namespace

MllValue log_posterior_and_grad(const MllProblem& problem, const VectorXd& theta, int n_threads) {
    check_problem(problem);
    check_n_threads(n_threads);
    MllWorkspace ws;
    return evaluate(problem, theta, n_threads, ws);
}

FitResult fit_hyperparameters(const MllProblem& problem, const VectorXd& theta0,
                              const VectorXd& lower, const VectorXd& upper, int n_restarts,
                              std::uint64_t seed, int max_iter, int n_threads,
                              const RowMatrixXd& memory, const ExactGP* previous) {
    check_problem(problem);
    check_n_threads(n_threads);
    const auto p = static_cast<Index>(problem.dim_kinds.size()) + 2;
    if (theta0.size() != p || lower.size() != p || upper.size() != p) {
        throw std::invalid_argument("theta0, lower and upper must have d + 2 = " +
                                    std::to_string(p) + " entries");
    }
    if (!lower.allFinite() || !upper.allFinite() || (lower.array() > upper.array()).any()) {
        throw std::invalid_argument("bounds must be finite with lower <= upper");
    }
    // Argument errors in the kernel or the inputs surface here, as std::invalid_argument; inside
    // the runs only numerical failure (NumericalError) counts as a bad point.
    check_inputs(make_kernel(problem.kernel_kind, problem.dim_kinds, lower), problem.x,
                 problem.mask, "x");
    if (n_restarts < 0 || max_iter < 1) {
        throw std::invalid_argument("n_restarts must be >= 0 and max_iter >= 1");
    }
    if (memory.size() != 0 && memory.cols() != 2 * p) {
        throw std::invalid_argument("memory must be empty or have 2 (d + 2) = " +
                                    std::to_string(2 * p) + " columns");
    }
    LbfgsbOptions options;
    options.max_iter = max_iter;
    // Stop when the gradient is tiny relative to |log posterior| (which grows like n), or when a
    // step gains (or is predicted to gain, lbfgsb.hpp) less than 1e-6 of it. At n = 100
    // (|log p| ~ 60) that is 6e-5 nats: a hyperparameter change that gains 6e-5 nats moves
    // theta by about sqrt(2 * 6e-5) = 0.011 of its posterior standard deviation, far below
    // what changes a prediction, while a tighter tolerance spends evaluations on such steps
    // (docs/design/gp_sampler.md).
    options.relative_pgtol = true;
    options.pgtol = 1e-5;
    options.ftol = 1e-6;
    options.max_first_step = 0.5;
    FitResult best;
    best.value = -std::numeric_limits<double>::infinity();
    // The jitter of every evaluation, to report the winner's without evaluating it again.
    std::vector<std::pair<VectorXd, double>> jitters;
    MllWorkspace ws;
    ws.keep_best = true;
    ws.previous = previous;  // the warm start's first evaluation may extend it
    auto negated = [&](const VectorXd& theta, VectorXd& grad) {
        if (!theta.allFinite()) {
            grad.setZero();
            return std::numeric_limits<double>::infinity();
        }
        try {
            const MllValue v = evaluate(problem, theta, n_threads, ws);
            jitters.emplace_back(theta, v.jitter);
            grad = -v.grad;
            return -v.value;
        } catch (const NumericalError&) {
            grad.setZero();
            return std::numeric_limits<double>::infinity();  // e.g. not PD even with jitter
        }
    };
    for (int r = 0; r <= n_restarts; ++r) {
        VectorXd start = theta0;
        if (r == 1) {  // the prior's centre (see hyperfit.hpp)
            for (Index i = 0; i < p; ++i) {
                start[i] = has_prior_on(problem, i) ? problem.prior_mean[i]
                                                    : 0.5 * (lower[i] + upper[i]);
            }
        } else if (r > 1) {
            Xoshiro256ss rng(seed, static_cast<std::uint64_t>(r));
            for (Index i = 0; i < p; ++i) {
                if (has_prior_on(problem, i)) {
                    // Box-Muller from two uniforms; (0, 1] for the logarithm.
                    const double u1 = 1.0 - rng.uniform();
                    const double u2 = rng.uniform();
                    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925286766559 * u2);
                    start[i] = problem.prior_mean[i] + problem.prior_std[i] * z;
                } else {
                    start[i] = lower[i] + (upper[i] - lower[i]) * rng.uniform();
                }
            }
        }
        start = start.cwiseMax(lower).cwiseMin(upper);
        if (r == 1 && memory.rows() == 0 && start == theta0.cwiseMax(lower).cwiseMin(upper)) {
            continue;  // a cold fit's warm start is the centre already: the same run again
        }
        LbfgsbMemory pairs;
        if (r == 0) {
            for (Index k = 0; k < memory.rows(); ++k) {
                pairs.s.emplace_back(memory.row(k).head(p).transpose());
                pairs.y.emplace_back(memory.row(k).tail(p).transpose());
            }
        }
        LbfgsbResult res;
        try {
            res = lbfgsb_minimize(negated, start, lower, upper, options, &pairs);
        } catch (const NumericalError&) {
            continue;  // not finite at this start
        }
        if (r == 0) {
            best.memory.resize(static_cast<Index>(pairs.s.size()), 2 * p);
            for (std::size_t k = 0; k < pairs.s.size(); ++k) {
                best.memory.row(static_cast<Index>(k)) << pairs.s[k].transpose(),
                    pairs.y[k].transpose();
            }
        }
        best.n_iter += res.n_iter;
        best.n_evals += res.n_evals;
        if (-res.f > best.value) {
            best.value = -res.f;
            best.theta = res.x;
        }
    }
    if (best.theta.size() == 0) {
        throw NumericalError("the marginal likelihood is not finite at any start");
    }
    best.jitter = -1.0;
    for (const auto& [theta, jitter] : jitters) {
        if (theta == best.theta) {
            best.jitter = jitter;
        }
    }
    if (best.jitter < 0.0) {
        best.jitter = log_posterior_and_grad(problem, best.theta, n_threads).jitter;
    }
    if (ws.best_theta.size() == best.theta.size() && ws.best_theta == best.theta) {
        best.factor = std::move(ws.best_factor);
        best.inverse = std::make_shared<const Eigen::MatrixXd>(std::move(ws.best_inverse));
    }
    best.extended = ws.extended;
    return best;
}

}  // namespace hyperdial
