// Bound-constrained limited-memory BFGS: minimise f(x) subject to lower <= x <= upper.
//
// A projected L-BFGS (in the spirit of Byrd, Lu, Nocedal & Zhu 1995, but simpler: no generalised
// Cauchy point or subspace minimisation). Each iteration
//   1. marks as fixed the variables at a bound whose gradient points outward, and stops when the
//      projected gradient's largest entry is below pgtol;
//   2. takes the L-BFGS two-loop direction on the free variables (memory m pairs (s, y), kept
//      only when s^T y > 1e-10 |s| |y|), falling back to steepest descent when it is not a
//      descent direction;
//   3. backtracks (halving, at most 40 times) along the projected path x(t) = clip(x + t p)
//      until the Armijo condition f(x(t)) <= f(x) + 1e-4 g^T (x(t) - x) holds; a non-finite
//      f(x(t)) counts as a failure. If backtracking fails with memory, the memory is dropped and
//      the step retried as steepest descent; if it fails again, the run stops.
//   4. stops when the relative decrease of f is below ftol, when a trial step's predicted
//      decrease -g^T (x(t) - x) is below ftol (relative; the step is not evaluated), or after
//      max_iter iterations.
// Everything is deterministic: the same inputs give the same iterates.
//
// The objective has one signature: double f(const VectorXd& x, VectorXd& grad), returning f(x)
// and writing its gradient into grad (already sized).
#pragma once

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <vector>

#include "hyperdial/errors.hpp"
#include "hyperdial/types.hpp"

namespace hyperdial {

struct LbfgsbOptions {
    int max_iter = 100;
    int memory = 10;
    double pgtol = 1e-6;
    double ftol = 1e-10;
    // pgtol is compared with |projected gradient|_inf / max(1, |f|) when true (objectives whose
    // scale grows with the data, like a log likelihood), with the plain norm otherwise.
    bool relative_pgtol = false;
    // Largest |step|_inf of a steepest-descent step (no curvature pairs yet).
    double max_first_step = 1.0;
};

// Curvature pairs (s, y) carried from one run to the next (a warm start of the quasi-Newton
// model, e.g. when refitting after one more observation). Pairs with s^T y <= 0 are ignored.
struct LbfgsbMemory {
    std::deque<VectorXd> s;
    std::deque<VectorXd> y;
};

struct LbfgsbResult {
    VectorXd x;
    double f = 0.0;
    int n_iter = 0;
    int n_evals = 0;
};

// The L-BFGS two-loop recursion on the free variables: H g for the pairs (s, y), with the
// initial scaling s^T y / y^T y of the newest pair.
inline VectorXd two_loop(const std::deque<VectorXd>& s_hist, const std::deque<VectorXd>& y_hist,
                         const VectorXd& pg, const VectorXd& free) {
    const std::size_t k = s_hist.size();
    std::vector<double> a(k);
    VectorXd q = pg;
    for (std::size_t r = k; r-- > 0;) {
        const VectorXd s = s_hist[r].cwiseProduct(free);
        const VectorXd yv = y_hist[r].cwiseProduct(free);
        const double sy = s.dot(yv);
        a[r] = sy > 0.0 ? s.dot(q) / sy : 0.0;
        q -= a[r] * yv;
    }
    const VectorXd s_last = s_hist.back().cwiseProduct(free);
    const VectorXd y_last = y_hist.back().cwiseProduct(free);
    const double yy = y_last.squaredNorm();
    q *= yy > 0.0 ? std::max(s_last.dot(y_last), 0.0) / yy : 1.0;
    for (std::size_t r = 0; r < k; ++r) {
        const VectorXd s = s_hist[r].cwiseProduct(free);
        const VectorXd yv = y_hist[r].cwiseProduct(free);
        const double sy = s.dot(yv);
        const double b = sy > 0.0 ? yv.dot(q) / sy : 0.0;
        q += (a[r] - b) * s;
    }
    return q;
}

// Whether a trial step can no longer decrease f by more than ftol (relative, as in the stopping
// rule): the linear model predicts a decrease -g^T step, at least what an Armijo step gains
// near a minimum (about twice it on a quadratic). Backtracking further would only evaluate
// points whose decrease ends the run by the ftol rule anyway, or, where rounding noise in f
// exceeds the predicted decrease, fail 40 halvings and a steepest-descent retry (up to 80
// wasted evaluations); the run stops as converged instead, without evaluating the step.
inline bool negligible_step(const VectorXd& g, const VectorXd& step, double f, double ftol) {
    return -g.dot(step) <= ftol * std::max(std::abs(f), 1.0);
}

template <class Objective>
LbfgsbResult lbfgsb_minimize(Objective&& objective, const VectorXd& x0, const VectorXd& lower,
                             const VectorXd& upper, const LbfgsbOptions& options = {},
                             LbfgsbMemory* memory = nullptr) {
    const Index d = x0.size();
    if (lower.size() != d || upper.size() != d) {
        throw std::invalid_argument("lbfgsb: bounds must have the size of x0");
    }
    if ((lower.array() > upper.array()).any()) {
        throw std::invalid_argument("lbfgsb: every lower bound must be <= its upper bound");
    }
    auto clip = [&](const VectorXd& v) -> VectorXd {
        return v.cwiseMax(lower).cwiseMin(upper);
    };
    LbfgsbResult result;
    VectorXd x = clip(x0);
    VectorXd g(d);
    double f = objective(x, g);
    ++result.n_evals;
    if (!std::isfinite(f) || !g.allFinite()) {
        throw NumericalError("lbfgsb: the objective is not finite at the starting point");
    }
    std::deque<VectorXd> s_hist;
    std::deque<VectorXd> y_hist;
    if (memory != nullptr) {
        for (std::size_t r = 0; r < memory->s.size() && r < memory->y.size(); ++r) {
            if (memory->s[r].size() == d && memory->y[r].size() == d &&
                memory->s[r].dot(memory->y[r]) > 0.0 && memory->s[r].allFinite() &&
                memory->y[r].allFinite()) {
                s_hist.push_back(memory->s[r]);
                y_hist.push_back(memory->y[r]);
            }
        }
        while (static_cast<int>(s_hist.size()) > options.memory) {
            s_hist.pop_front();
            y_hist.pop_front();
        }
    }
    auto finish = [&]() {
        result.x = x;
        result.f = f;
        if (memory != nullptr) {
            memory->s = s_hist;
            memory->y = y_hist;
        }
        return result;
    };
    VectorXd g_new(d);
    for (int iter = 0; iter < options.max_iter; ++iter) {
        VectorXd free = VectorXd::Ones(d);
        for (Index i = 0; i < d; ++i) {
            if ((x[i] <= lower[i] && g[i] > 0.0) || (x[i] >= upper[i] && g[i] < 0.0)) {
                free[i] = 0.0;
            }
        }
        const VectorXd pg = g.cwiseProduct(free);
        const double pg_scale = options.relative_pgtol ? std::max(1.0, std::abs(f)) : 1.0;
        if (pg.lpNorm<Eigen::Infinity>() < options.pgtol * pg_scale) {
            break;
        }
        bool accepted = false;
        for (int attempt = 0; attempt < 2 && !accepted; ++attempt) {
            VectorXd p = -pg;
            if (!s_hist.empty()) {
                const VectorXd q = two_loop(s_hist, y_hist, pg, free);
                p = -q.cwiseProduct(free);
                if (!(p.dot(g) < 0.0) || !p.allFinite()) {
                    p = -pg;
                    s_hist.clear();
                    y_hist.clear();
                }
            }
            double t = s_hist.empty()
                           ? std::min(1.0, options.max_first_step / pg.lpNorm<Eigen::Infinity>())
                           : 1.0;
            bool negligible = false;
            for (int k = 0; k < 40; ++k, t *= 0.5) {
                const VectorXd x_new = clip(x + t * p);
                const VectorXd step = x_new - x;
                if (step.lpNorm<Eigen::Infinity>() == 0.0) {
                    break;
                }
                if (negligible_step(g, step, f, options.ftol)) {
                    negligible = true;
                    break;
                }
                const double f_new = objective(x_new, g_new);
                ++result.n_evals;
                if (std::isfinite(f_new) && g_new.allFinite() &&
                    f_new <= f + 1e-4 * g.dot(step)) {
                    const VectorXd yv = g_new - g;
                    if (step.dot(yv) > 1e-10 * step.norm() * yv.norm()) {
                        s_hist.push_back(step);
                        y_hist.push_back(yv);
                        if (static_cast<int>(s_hist.size()) > options.memory) {
                            s_hist.pop_front();
                            y_hist.pop_front();
                        }
                    }
                    const double decrease = f - f_new;
                    x = x_new;
                    g = g_new;
                    f = f_new;
                    accepted = true;
                    if (decrease <= options.ftol * std::max({std::abs(f), std::abs(f_new), 1.0})) {
                        result.n_iter = iter + 1;
                        return finish();
                    }
                    break;
                }
            }
            if (negligible) {
                result.n_iter = iter + 1;
                return finish();
            }
            if (!accepted) {
                if (s_hist.empty()) {
                    break;
                }
                s_hist.clear();
                y_hist.clear();
            }
        }
        result.n_iter = iter + 1;
        if (!accepted) {
            break;
        }
    }
    return finish();
}

namespace detail {
struct BatchRun {
    VectorXd x, g, p, pg, x_new;
    double f = 0.0;
    double t = 1.0;
    std::deque<VectorXd> s, y;
    int iter = 0;
    int backtracks = 0;
    int attempt = 0;
    bool done = false;
    LbfgsbResult result;
};
}  // namespace detail

// The same algorithm run on several problems in lockstep: each round, every unfinished run
// proposes one point (a new step or a backtracked one) and all proposals are evaluated in one
// call, objective(xs, runs, fs, grads): xs (k', d) row by row, runs[q] the index of the run that
// proposed row q (in increasing order), fs (k',) and grads (k', d) to fill. Useful when evaluating k points
// together costs about as much as one (e.g. GP predictions, which stream the Cholesky factor
// once per call). Each run makes the same decisions as lbfgsb_minimize would from its start
// (without carried memory); only the grouping of evaluations differs.
template <class BatchObjective>
std::vector<LbfgsbResult> lbfgsb_minimize_batch(BatchObjective&& objective,
                                                const std::vector<VectorXd>& x0,
                                                const VectorXd& lower, const VectorXd& upper,
                                                const LbfgsbOptions& options = {}) {
    const Index d = lower.size();
    const auto k = x0.size();
    using Run = detail::BatchRun;
    auto clip = [&](const VectorXd& v) -> VectorXd { return v.cwiseMax(lower).cwiseMin(upper); };
    std::vector<Run> runs(k);
    RowMatrixXd xs(static_cast<Index>(k), d);
    VectorXd fs(static_cast<Index>(k));
    RowMatrixXd gs(static_cast<Index>(k), d);
    for (std::size_t r = 0; r < k; ++r) {
        runs[r].x = clip(x0[r]);
        xs.row(static_cast<Index>(r)) = runs[r].x.transpose();
    }
    std::vector<std::size_t> all(k);
    for (std::size_t r = 0; r < k; ++r) {
        all[r] = r;
    }
    objective(xs, all, fs, gs);
    for (std::size_t r = 0; r < k; ++r) {
        Run& run = runs[r];
        run.f = fs[static_cast<Index>(r)];
        run.g = gs.row(static_cast<Index>(r)).transpose();
        run.result.n_evals = 1;
        run.done = !std::isfinite(run.f) || !run.g.allFinite();
    }
    // Starts an iteration (or a retry as steepest descent): direction, first trial point.
    auto begin_step = [&](Run& run) {
        if (run.attempt == 0) {
            if (run.iter >= options.max_iter) {
                run.done = true;
                return;
            }
            VectorXd free = VectorXd::Ones(d);
            for (Index i = 0; i < d; ++i) {
                if ((run.x[i] <= lower[i] && run.g[i] > 0.0) ||
                    (run.x[i] >= upper[i] && run.g[i] < 0.0)) {
                    free[i] = 0.0;
                }
            }
            run.pg = run.g.cwiseProduct(free);
            const double scale = options.relative_pgtol ? std::max(1.0, std::abs(run.f)) : 1.0;
            if (run.pg.lpNorm<Eigen::Infinity>() < options.pgtol * scale) {
                run.done = true;
                return;
            }
            run.p = -run.pg;
            if (!run.s.empty()) {
                const VectorXd q = two_loop(run.s, run.y, run.pg, free);
                run.p = -q.cwiseProduct(free);
                if (!(run.p.dot(run.g) < 0.0) || !run.p.allFinite()) {
                    run.p = -run.pg;
                    run.s.clear();
                    run.y.clear();
                }
            }
        } else {
            run.p = -run.pg;  // retry as steepest descent
        }
        run.t = run.s.empty()
                    ? std::min(1.0, options.max_first_step / run.pg.lpNorm<Eigen::Infinity>())
                    : 1.0;
        run.backtracks = 0;
        run.x_new = clip(run.x + run.t * run.p);
    };
    // A proposed point equal to the current one fails the step; a negligible one ends the run
    // (negligible_step); as in lbfgsb_minimize.
    auto fail_step = [&](Run& run) {
        // Backtracking failed: drop the memory and retry once as steepest descent, else stop.
        if (run.attempt == 0 && !run.s.empty()) {
            run.s.clear();
            run.y.clear();
            run.attempt = 1;
            begin_step(run);
            if (!run.done) {
                const VectorXd step = run.x_new - run.x;
                run.done = step.lpNorm<Eigen::Infinity>() == 0.0 ||
                           negligible_step(run.g, step, run.f, options.ftol);
            }
        } else {
            run.done = true;
        }
    };
    auto check_proposal = [&](Run& run) {
        if (run.done) {
            return;
        }
        const VectorXd step = run.x_new - run.x;
        if (step.lpNorm<Eigen::Infinity>() == 0.0) {
            fail_step(run);
        } else if (negligible_step(run.g, step, run.f, options.ftol)) {
            run.done = true;
        }
    };
    for (Run& run : runs) {
        if (!run.done) {
            begin_step(run);
            check_proposal(run);
        }
    }
    while (true) {
        std::vector<std::size_t> active;
        for (std::size_t r = 0; r < k; ++r) {
            if (!runs[r].done) {
                active.push_back(r);
            }
        }
        if (active.empty()) {
            break;
        }
        RowMatrixXd batch(static_cast<Index>(active.size()), d);
        for (std::size_t a = 0; a < active.size(); ++a) {
            batch.row(static_cast<Index>(a)) = runs[active[a]].x_new.transpose();
        }
        VectorXd bf(static_cast<Index>(active.size()));
        RowMatrixXd bg(static_cast<Index>(active.size()), d);
        objective(batch, active, bf, bg);
        for (std::size_t a = 0; a < active.size(); ++a) {
            Run& run = runs[active[a]];
            ++run.result.n_evals;
            const double f_new = bf[static_cast<Index>(a)];
            const VectorXd g_new = bg.row(static_cast<Index>(a)).transpose();
            const VectorXd step = run.x_new - run.x;
            if (std::isfinite(f_new) && g_new.allFinite() &&
                f_new <= run.f + 1e-4 * run.g.dot(step)) {
                const VectorXd yv = g_new - run.g;
                if (step.dot(yv) > 1e-10 * step.norm() * yv.norm()) {
                    run.s.push_back(step);
                    run.y.push_back(yv);
                    if (static_cast<int>(run.s.size()) > options.memory) {
                        run.s.pop_front();
                        run.y.pop_front();
                    }
                }
                const double decrease = run.f - f_new;
                const double fold = run.f;
                run.x = run.x_new;
                run.g = g_new;
                run.f = f_new;
                ++run.iter;
                run.attempt = 0;
                if (decrease <= options.ftol * std::max({std::abs(fold), std::abs(f_new), 1.0})) {
                    run.done = true;
                    continue;
                }
                begin_step(run);
                check_proposal(run);
                continue;
            }
            ++run.backtracks;
            run.t *= 0.5;
            if (run.backtracks >= 40) {
                fail_step(run);
                continue;
            }
            run.x_new = clip(run.x + run.t * run.p);
            check_proposal(run);
        }
    }
    std::vector<LbfgsbResult> out(k);
    for (std::size_t r = 0; r < k; ++r) {
        out[r] = runs[r].result;
        out[r].x = runs[r].x;
        out[r].f = runs[r].f;
        out[r].n_iter = runs[r].iter;
    }
    return out;
}

}  // namespace hyperdial
