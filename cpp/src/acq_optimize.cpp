#include "hyperdial/acq_optimize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "hyperdial/lbfgsb.hpp"
#include "hyperdial/parallel.hpp"
#include "hyperdial/rng.hpp"
#include "hyperdial/sobol.hpp"

namespace hyperdial {
namespace {

constexpr int kContinuous = static_cast<int>(DimKind::continuous);
constexpr int kInteger = static_cast<int>(DimKind::integer);
constexpr int kCategorical = static_cast<int>(DimKind::categorical);

double grid_value(int k, int c) { return (static_cast<double>(k) + 0.5) / static_cast<double>(c); }

int grid_index(double v, int c) {
    const auto k = static_cast<int>(std::floor(v * static_cast<double>(c)));
    return std::clamp(k, 0, c - 1);
}

double standard_normal(Xoshiro256ss& rng) {
    const double u1 = 1.0 - rng.uniform();
    const double u2 = rng.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925286766559 * u2);
}

// The first n distinct rows of pool in the given order (a row equal to one already picked is
// skipped).
std::vector<Index> first_distinct(const std::vector<Index>& order, const RowMatrixXd& pool,
                                  int n) {
    std::vector<Index> picked;
    for (Index idx : order) {
        if (static_cast<int>(picked.size()) >= n) {
            break;
        }
        bool duplicate = false;
        for (Index t : picked) {
            duplicate = duplicate || pool.row(t) == pool.row(idx);
        }
        if (!duplicate) {
            picked.push_back(idx);
        }
    }
    return picked;
}

// Acquisition values of the pool rows that can be among the n_starts best distinct rows; the
// other entries are -inf. For log-EI and UCB without constraints (both increase with the mean
// and with the variance), the pool is ordered by an upper bound of each row's value from
// ExactGP::bounds (O(n d) per row instead of the O(n^2) of a triangular solve), and rows are
// scored exactly in that order, kScoreChunk at a time, until the bound of the next row is
// below the n_starts-th best distinct exact score: a row left unscored then cannot be picked
// as a start. Other acquisitions score every row.
constexpr Index kScoreChunk = 128;

VectorXd score_pool(const ExactGP& gp, const AcqSpec& spec,
                    const std::vector<const ExactGP*>& constraints, const RowMatrixXd& pool,
                    int n_starts, bool screen, int n_threads) {
    const Index m = pool.rows();
    const bool monotone =
        constraints.empty() && (spec.kind == AcqKind::log_ei || spec.kind == AcqKind::ucb);
    if (!screen || !monotone || m <= 4 * kScoreChunk) {
        return evaluate_acquisition(gp, spec, constraints, pool, false, n_threads).value;
    }
    VectorXd mean_ub;
    VectorXd var_ub;
    gp.bounds(pool, mean_ub, var_ub, n_threads);
    VectorXd ub(m);
    for (Index q = 0; q < m; ++q) {
        double dm = 0.0;
        double dv = 0.0;
        ub[q] = acq_value(spec, mean_ub[q], var_ub[q], &dm, &dv);
        if (std::isnan(ub[q])) {
            ub[q] = std::numeric_limits<double>::infinity();  // no bound: score it
        }
    }
    // Rows by decreasing bound, ties by pool index (a strict order, so the same as a stable
    // sort); each chunk is selected from the rest only when it is reached (usually once).
    std::vector<Index> order(static_cast<std::size_t>(m));
    std::iota(order.begin(), order.end(), Index{0});
    const auto by_bound = [&](Index a, Index b) {
        return ub[a] > ub[b] || (ub[a] == ub[b] && a < b);
    };
    VectorXd scores = VectorXd::Constant(m, -std::numeric_limits<double>::infinity());
    const Index d = pool.cols();
    std::vector<Index> scored;
    std::vector<Index> top;
    Index done = 0;
    while (done < m) {
        const Index len = std::min(kScoreChunk, m - done);
        const auto first = order.begin() + done;
        std::nth_element(first, first + (len - 1), order.end(), by_bound);
        std::sort(first, first + len, by_bound);
        if (static_cast<int>(top.size()) == n_starts &&
            ub[order[static_cast<std::size_t>(done)]] < scores[top.back()]) {
            break;
        }
        RowMatrixXd chunk(len, d);
        for (Index k = 0; k < len; ++k) {
            chunk.row(k) = pool.row(order[static_cast<std::size_t>(done + k)]);
        }
        const VectorXd v =
            evaluate_acquisition(gp, spec, constraints, chunk, false, n_threads).value;
        for (Index k = 0; k < len; ++k) {
            const Index idx = order[static_cast<std::size_t>(done + k)];
            scores[idx] = v[k];
            scored.push_back(idx);
        }
        done += len;
        // The n_starts best distinct scored rows, ranked as the caller ranks the whole pool
        // (score descending, then pool index).
        std::vector<Index> ranked = scored;
        std::sort(ranked.begin(), ranked.end(), [&](Index a, Index b) {
            return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
        });
        top = first_distinct(ranked, pool, n_starts);
    }
    return scores;
}

struct Searcher {
    const ExactGP& gp;
    const AcqSpec& spec;
    const std::vector<const ExactGP*>& constraints;
    const std::vector<int>& kinds;
    const std::vector<int>& n_choices;
    const AcqOptimizeOptions& options;

    double value(const RowMatrixXd& x) const {
        return evaluate_acquisition(gp, spec, constraints, x, false, 1).value[0];
    }

    // Improves the points of a group of starts in place (rows of xs, values fx): rounds of
    // L-BFGS on the continuous dims, all starts in lockstep with their evaluations batched, then
    // discrete coordinate moves per start; a start whose discrete coordinates did not move is
    // finished.
    void local_search(RowMatrixXd& xs, VectorXd& fx) const {
        const auto d = static_cast<Index>(kinds.size());
        std::vector<Index> cont;
        for (Index j = 0; j < d; ++j) {
            if (kinds[static_cast<std::size_t>(j)] == kContinuous) {
                cont.push_back(j);
            }
        }
        const auto nc = static_cast<Index>(cont.size());
        LbfgsbOptions lopt;
        lopt.max_iter = options.max_iter;
        // Acquisition values are O(1) (log-EI, standardised UCB); a point within ~1e-9 of the
        // local optimum in value is as good as the optimum for choosing the next trial.
        lopt.pgtol = 1e-7;
        lopt.ftol = 1e-10;
        lopt.max_first_step = 0.25;
        std::vector<bool> active(static_cast<std::size_t>(xs.rows()), true);
        for (int round = 0; round < options.n_rounds; ++round) {
            std::vector<Index> members;
            for (Index r = 0; r < xs.rows(); ++r) {
                if (active[static_cast<std::size_t>(r)]) {
                    members.push_back(r);
                }
            }
            if (members.empty()) {
                break;
            }
            if (nc > 0) {
                std::vector<VectorXd> z0;
                for (Index r : members) {
                    VectorXd z(nc);
                    for (Index i = 0; i < nc; ++i) {
                        z[i] = xs(r, cont[static_cast<std::size_t>(i)]);
                    }
                    z0.push_back(z);
                }
                std::vector<LbfgsbResult> res = run_batch(xs, members, cont, z0, lopt);
                for (std::size_t m = 0; m < members.size(); ++m) {
                    const Index r = members[m];
                    if (-res[m].f > fx[r]) {
                        fx[r] = -res[m].f;
                        for (Index i = 0; i < nc; ++i) {
                            xs(r, cont[static_cast<std::size_t>(i)]) = res[m].x[i];
                        }
                    }
                }
            }
            for (Index r : members) {
                if (!discrete_moves(xs, r, fx[r])) {
                    active[static_cast<std::size_t>(r)] = false;
                }
            }
        }
    }

    // L-BFGS on the continuous coordinates of the given members, in lockstep.
    std::vector<LbfgsbResult> run_batch(const RowMatrixXd& xs, const std::vector<Index>& members,
                                        const std::vector<Index>& cont,
                                        const std::vector<VectorXd>& z0,
                                        const LbfgsbOptions& lopt) const {
        const auto d = static_cast<Index>(kinds.size());
        const auto nc = static_cast<Index>(cont.size());
        // Each run keeps its member's discrete coordinates (its template row).
        std::vector<RowMatrixXd> templates;
        for (Index r : members) {
            templates.push_back(xs.row(r));
        }
        auto objective = [&](const RowMatrixXd& zs, const std::vector<std::size_t>& runs,
                             VectorXd& fs, RowMatrixXd& gs) {
            RowMatrixXd pts(zs.rows(), d);
            for (Index q = 0; q < zs.rows(); ++q) {
                pts.row(q) = templates[runs[static_cast<std::size_t>(q)]];
                for (Index i = 0; i < nc; ++i) {
                    pts(q, cont[static_cast<std::size_t>(i)]) = zs(q, i);
                }
            }
            const AcqValues v = evaluate_acquisition(gp, spec, constraints, pts, true, 1);
            for (Index q = 0; q < zs.rows(); ++q) {
                fs[q] = -v.value[q];
                for (Index i = 0; i < nc; ++i) {
                    gs(q, i) = -v.grad(q, cont[static_cast<std::size_t>(i)]);
                }
            }
        };
        return lbfgsb_minimize_batch(objective, z0, VectorXd::Zero(nc), VectorXd::Ones(nc), lopt);
    }

    // Integer dims: the two neighbouring grid values; categorical dims: every category (each
    // dim's candidates in one batched call). Returns whether a coordinate moved.
    bool discrete_moves(RowMatrixXd& xs, Index r, double& fx) const {
        const auto d = static_cast<Index>(kinds.size());
        bool moved = false;
        for (Index j = 0; j < d; ++j) {
            const int kind = kinds[static_cast<std::size_t>(j)];
            const int c = n_choices[static_cast<std::size_t>(j)];
            if (kind == kContinuous || c < 2) {
                continue;
            }
            std::vector<double> options_j;
            if (kind == kInteger) {
                const int k = grid_index(xs(r, j), c);
                if (k > 0) {
                    options_j.push_back(grid_value(k - 1, c));
                }
                if (k + 1 < c) {
                    options_j.push_back(grid_value(k + 1, c));
                }
            } else {
                for (int k = 0; k < c; ++k) {
                    if (static_cast<double>(k) != xs(r, j)) {
                        options_j.push_back(static_cast<double>(k));
                    }
                }
            }
            if (options_j.empty()) {
                continue;
            }
            RowMatrixXd batch = xs.row(r).replicate(static_cast<Index>(options_j.size()), 1);
            for (std::size_t o = 0; o < options_j.size(); ++o) {
                batch(static_cast<Index>(o), j) = options_j[o];
            }
            const VectorXd v = evaluate_acquisition(gp, spec, constraints, batch, false, 1).value;
            Index arg = 0;
            const double vmax = v.maxCoeff(&arg);
            if (vmax > fx) {
                fx = vmax;
                xs(r, j) = options_j[static_cast<std::size_t>(arg)];
                moved = true;
            }
        }
        return moved;
    }
};

}  // namespace

AcqOptimum maximize_acquisition(const ExactGP& gp, const AcqSpec& spec,
                                const std::vector<const ExactGP*>& constraints,
                                const std::vector<int>& n_choices,
                                const Eigen::Ref<const RowMatrixXd>& x_best,
                                const AcqOptimizeOptions& options, std::uint64_t seed,
                                int n_threads) {
    check_n_threads(n_threads);
    const Index d = gp.dims();
    const std::vector<int>& kinds = gp.kernel().dim_kinds;
    if (static_cast<Index>(n_choices.size()) != d) {
        throw std::invalid_argument("n_choices must have d = " + std::to_string(d) + " entries");
    }
    for (Index j = 0; j < d; ++j) {
        if (kinds[static_cast<std::size_t>(j)] != kContinuous &&
            n_choices[static_cast<std::size_t>(j)] < 1) {
            throw std::invalid_argument("n_choices[" + std::to_string(j) +
                                        "] must be >= 1 for integer and categorical dims");
        }
    }
    if (x_best.size() != 0 && (x_best.cols() != d || !x_best.allFinite())) {
        throw std::invalid_argument("x_best must be empty or (k, d) and finite");
    }
    if (options.n_pool < 1 || options.n_starts < 1 || options.n_perturb < 0 ||
        options.n_rounds < 1 || options.max_iter < 1) {
        throw std::invalid_argument(
            "n_pool, n_starts, n_rounds and max_iter must be >= 1 and n_perturb >= 0");
    }
    if (d > kSobolMaxDims) {
        throw std::invalid_argument("too many dimensions for the Sobol' pool");
    }
    // 1. The pool.
    const Index n_best = x_best.size() == 0 ? 0 : x_best.rows();
    const Index n_pool = options.n_pool + n_best * (1 + options.n_perturb);
    RowMatrixXd pool(n_pool, d);
    pool.topRows(options.n_pool) =
        sobol_sample(static_cast<int>(d), 0, options.n_pool, true, seed,
                     threads_for_work(static_cast<double>(options.n_pool) * 64.0 *
                                          static_cast<double>(d),
                                      n_threads));
    for (Index i = 0; i < options.n_pool; ++i) {
        for (Index j = 0; j < d; ++j) {
            const int kind = kinds[static_cast<std::size_t>(j)];
            const int c = n_choices[static_cast<std::size_t>(j)];
            if (kind == kInteger) {
                pool(i, j) = grid_value(grid_index(pool(i, j), c), c);
            } else if (kind == kCategorical) {
                pool(i, j) = static_cast<double>(grid_index(pool(i, j), c));
            }
        }
    }
    Index row = options.n_pool;
    for (Index b = 0; b < n_best; ++b) {
        Xoshiro256ss rng(seed, static_cast<std::uint64_t>(1 + b));
        pool.row(row++) = x_best.row(b);
        for (int p = 0; p < options.n_perturb; ++p, ++row) {
            for (Index j = 0; j < d; ++j) {
                const int kind = kinds[static_cast<std::size_t>(j)];
                const int c = n_choices[static_cast<std::size_t>(j)];
                const double v = x_best(b, j);
                if (kind == kContinuous) {
                    pool(row, j) = std::clamp(v + 0.1 * standard_normal(rng), 0.0, 1.0);
                } else if (kind == kInteger) {
                    int k = grid_index(v, c);
                    if (rng.uniform() < 0.5) {
                        k = std::clamp(k + (rng.uniform() < 0.5 ? -1 : 1), 0, c - 1);
                    }
                    pool(row, j) = grid_value(k, c);
                } else {
                    pool(row, j) = rng.uniform() * static_cast<double>(d) < 1.0
                                       ? static_cast<double>(grid_index(rng.uniform(), c))
                                       : v;
                }
            }
        }
    }
    // 2. Score and pick the starts.
    const VectorXd scores =
        score_pool(gp, spec, constraints, pool, options.n_starts, options.screen, n_threads);
    // Rows by decreasing score, ties by pool index (as a stable sort would give); the rows the
    // screen left at -inf (most of them) only need their index order, at the end.
    std::vector<Index> order;
    std::vector<Index> rest;
    for (Index i = 0; i < n_pool; ++i) {
        (scores[i] > -std::numeric_limits<double>::infinity() ? order : rest).push_back(i);
    }
    std::sort(order.begin(), order.end(), [&](Index a, Index b) {
        return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
    });
    order.insert(order.end(), rest.begin(), rest.end());
    const std::vector<Index> starts = first_distinct(order, pool, options.n_starts);
    // 3. Local searches, one per start, in fixed groups of kGroup consecutive starts whose
    // evaluations are batched (the groups run in parallel; the grouping does not depend on
    // n_threads, so neither does the answer).
    constexpr Index kGroup = 4;
    const Searcher searcher{gp, spec, constraints, kinds, n_choices, options};
    const auto n_starts = static_cast<Index>(starts.size());
    RowMatrixXd results(n_starts, d);
    VectorXd values(n_starts);
    for (Index s = 0; s < n_starts; ++s) {
        results.row(s) = pool.row(starts[static_cast<std::size_t>(s)]);
        values[s] = scores[starts[static_cast<std::size_t>(s)]];
    }
    const Index n_groups = (n_starts + kGroup - 1) / kGroup;
    // A group's search: ~50 steps, each a batched prediction with gradients, O(n (n + d)).
    const double n_train = static_cast<double>(gp.n());
    const double work = static_cast<double>(n_starts) * 50.0 * n_train *
                        (n_train + static_cast<double>(d) + 16.0);
    parallel_for(n_groups, threads_for_work(work, n_threads), [&](std::ptrdiff_t g) {
        const Index first = g * kGroup;
        const Index size = std::min(kGroup, n_starts - first);
        RowMatrixXd xs = results.middleRows(first, size);
        VectorXd fx = values.segment(first, size);
        searcher.local_search(xs, fx);
        results.middleRows(first, size) = xs;
        values.segment(first, size) = fx;
    });
    // 4. The best.
    Index arg = 0;
    for (Index s = 1; s < n_starts; ++s) {
        if (values[s] > values[arg]) {
            arg = s;
        }
    }
    return AcqOptimum{results.row(arg).transpose(), values[arg]};
}

}  // namespace hyperdial
