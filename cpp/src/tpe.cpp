#include "hyperdial/tpe.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "hyperdial/dense.hpp"
#include "hyperdial/fastmath.hpp"
#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880168872420969808;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kLogSqrt2Pi = 0.91893853320467274178032973640562;
constexpr double kTiny = 1e-300;
// Candidates per parallel block, scored together (dense::parzen_gaussian_block).
constexpr Index kBlock = dense::kParzenBlock;

std::string shape_of(Index rows, Index cols) {
    return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

// Upper tail Q(x) = 1 - Phi(x), accurate in relative terms for x >= 0.
double upper(double x) {
    const double e = 0.5 * std::erfc(std::abs(x) * kInvSqrt2);
    return x >= 0.0 ? e : 1.0 - e;
}

// std::erfc for x >= 0, without the call where the result is 0 (erfc(28) < 1e-342 rounds to 0).
double erfc_nonneg(double x) { return x > 28.0 ? 0.0 : std::erfc(x); }

void check_unit_matrix(const Eigen::Ref<const RowMatrixXd>& a, const std::string& name) {
    for (Index i = 0; i < a.rows(); ++i) {
        for (Index d = 0; d < a.cols(); ++d) {
            const double v = a(i, d);
            if (!(v >= 0.0 && v <= 1.0)) {
                throw std::invalid_argument(name + " must hold values in [0, 1], got " +
                                            std::to_string(v) + " at [" + std::to_string(i) +
                                            ", " + std::to_string(d) + "]");
            }
        }
    }
}

void check_codes(const ParzenDims& dims, const Eigen::Ref<const RowMatrixXi64>& c,
                 const std::string& name) {
    for (Index i = 0; i < c.rows(); ++i) {
        for (Index k = 0; k < c.cols(); ++k) {
            const std::int64_t v = c(i, k);
            const std::int64_t n = dims.n_choices[static_cast<std::size_t>(k)];
            if (v < 0 || v >= n) {
                throw std::invalid_argument(name + " must hold choice codes in [0, n_choices), got " +
                                            std::to_string(v) + " at [" + std::to_string(i) +
                                            ", " + std::to_string(k) + "] where n_choices is " +
                                            std::to_string(n));
            }
        }
    }
}

void check_dims(const ParzenDims& dims) {
    for (std::size_t k = 0; k < dims.n_choices.size(); ++k) {
        if (dims.n_choices[k] < 1) {
            throw std::invalid_argument("n_choices must be >= 1, got " +
                                        std::to_string(dims.n_choices[k]) + " at [" +
                                        std::to_string(k) + "]");
        }
    }
}

}  // namespace

double log_ndtr_diff(double a, double b) {
    const double mass = a > 0.0 ? upper(a) - upper(b) : upper(-b) - upper(-a);
    return std::log(std::max(mass, kTiny));
}

namespace {

// The widths of the first n entries of each row of mu_t (dn rows: one per dimension) into the
// same entries of sig_t; see parzen_bandwidths. Rows, not columns, so that every pass reads and
// writes contiguous memory.
//
// No sort is needed: the points are binned into B = 2 / clip_lo bins of [0, 1] (bins of half
// the lower clip, monotone in the value). Two points in one bin are closer than the clip, so a
// point that is neither the first nor the last of its bin gets the clip, and the first (last)
// point of a bin gets its gap to the last (first) point of the previous (next) non-empty bin,
// or to the end of the range. The first and last points of a bin are its smallest and largest
// sort keys, which break ties by row index as a sort of the keys would. O(n + B) per dimension,
// and the same widths, bit for bit, as sorting.
void bandwidths_by_row(const RowMatrixXd& mu_t, Index n, bool consider_endpoints,
                       RowMatrixXd& sig_t) {
    if (n == 0) {
        return;
    }
    int bits = 1;
    while ((static_cast<std::uint64_t>(n - 1) >> bits) != 0) {
        ++bits;
    }
    const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
    const double kernels = std::min(100.0, static_cast<double>(n) + 2.0);
    const double clip_lo = 1.0 / kernels;
    const auto n_bins = static_cast<std::size_t>(2.0 * kernels);
    const auto scale = static_cast<double>(n_bins);
    constexpr std::uint64_t kEmpty = ~std::uint64_t{0};  // no key of a value in [0, 1]
    std::vector<std::uint64_t> first(n_bins);
    std::vector<std::uint64_t> last(n_bins);
    std::vector<std::size_t> used;
    used.reserve(std::min(n_bins, static_cast<std::size_t>(n)));
    const auto value = [mask](std::uint64_t key) {
        const std::uint64_t k = key & ~mask;
        double v = 0.0;
        std::memcpy(&v, &k, sizeof v);
        return v;
    };
    const auto row = [mask](std::uint64_t key) { return static_cast<Index>(key & mask); };
    for (Index d = 0; d < mu_t.rows(); ++d) {
        const double* mu_d = mu_t.row(d).data();
        double* sig_d = sig_t.row(d).data();
        std::fill(first.begin(), first.end(), kEmpty);
        std::fill(last.begin(), last.end(), std::uint64_t{0});
        for (Index j = 0; j < n; ++j) {
            const double v = mu_d[j] + 0.0;  // + 0.0: no -0.0
            std::uint64_t k = 0;
            std::memcpy(&k, &v, sizeof k);
            k = (k & ~mask) | static_cast<std::uint64_t>(j);
            // value(k) * scale is in [0, n_bins]: convert through int64 (one instruction).
            const std::size_t b = std::min(
                n_bins - 1, static_cast<std::size_t>(static_cast<std::int64_t>(value(k) * scale)));
            first[b] = std::min(first[b], k);
            last[b] = std::max(last[b], k);
            sig_d[j] = clip_lo;  // inside a bin
        }
        used.clear();
        for (std::size_t b = 0; b < n_bins; ++b) {
            if (first[b] != kEmpty) {
                used.push_back(b);
            }
        }
        const std::size_t n_used = used.size();
        for (std::size_t t = 0; t < n_used; ++t) {
            const std::uint64_t lo = first[used[t]];
            const std::uint64_t hi = last[used[t]];
            const double left = value(lo) - (t > 0 ? value(last[used[t - 1]]) : 0.0);
            const double right = (t + 1 < n_used ? value(first[used[t + 1]]) : 1.0) - value(hi);
            if (lo == hi) {
                sig_d[row(lo)] = std::max(left, right);
            } else {  // max(gap, gap inside the bin) = gap after the clip
                sig_d[row(lo)] = left;
                sig_d[row(hi)] = right;
            }
        }
        if (!consider_endpoints && n >= 2) {
            // The outermost points use their inner gap only.
            const std::uint64_t lo = first[used.front()];
            const std::uint64_t hi = last[used.back()];
            const bool lo_alone = lo == last[used.front()];
            const bool hi_alone = hi == first[used.back()];
            sig_d[row(lo)] = lo_alone ? value(first[used[1]]) - value(lo) : 0.0;
            sig_d[row(hi)] = hi_alone ? value(hi) - value(last[used[n_used - 2]]) : 0.0;
        }
        for (Index j = 0; j < n; ++j) {
            sig_d[j] = std::min(std::max(sig_d[j], clip_lo), 1.0);
        }
    }
}

}  // namespace

RowMatrixXd parzen_bandwidths(const Eigen::Ref<const RowMatrixXd>& mu, bool consider_endpoints) {
    const RowMatrixXd mu_t = mu.transpose();
    RowMatrixXd sig_t(mu.cols(), mu.rows());
    bandwidths_by_row(mu_t, mu.rows(), consider_endpoints, sig_t);
    return sig_t.transpose();
}

ParzenMixture::ParzenMixture(const Eigen::Ref<const RowMatrixXd>& mu,
                             const Eigen::Ref<const RowMatrixXi64>& cat, const VectorXd& weights,
                             const ParzenDims& dims, const ParzenOptions& options,
                             const std::string& prefix)
    : dims_(dims) {
    check_dims(dims_);
    const Index n = mu.rows();
    const Index dn = mu.cols();
    const auto dc = static_cast<Index>(dims_.n_choices.size());
    if (static_cast<std::size_t>(dn) != dims_.coarse.size()) {
        throw std::invalid_argument(prefix + "mu must have one column per numeric dimension (" +
                                    std::to_string(dims_.coarse.size()) + "), got shape " +
                                    shape_of(n, dn));
    }
    if (cat.rows() != n || cat.cols() != dc) {
        throw std::invalid_argument(prefix + "cat must have shape " + shape_of(n, dc) +
                                    " (rows of mu, entries of n_choices), got " +
                                    shape_of(cat.rows(), cat.cols()));
    }
    if (weights.size() != 0 && weights.size() != n) {
        throw std::invalid_argument(prefix + "weights must have " + std::to_string(n) +
                                    " entries (rows of mu) or be None, got " +
                                    std::to_string(weights.size()));
    }
    if (!(options.prior_weight > 0.0) || !std::isfinite(options.prior_weight)) {
        throw std::invalid_argument("prior_weight must be finite and > 0, got " +
                                    std::to_string(options.prior_weight));
    }
    for (Index j = 0; j < weights.size(); ++j) {
        if (!(weights[j] >= 0.0) || !std::isfinite(weights[j])) {
            throw std::invalid_argument(prefix + "weights must be finite and >= 0, got " +
                                        std::to_string(weights[j]) + " at [" +
                                        std::to_string(j) + "]");
        }
    }
    check_unit_matrix(mu, prefix + "mu");
    check_codes(dims_, cat, prefix + "cat");

    n_obs_ = n;
    n_comp_ = n + 1;
    // Weights: observations, then the prior.
    VectorXd w(n_comp_);
    if (weights.size() == 0) {
        w.head(n).setOnes();
        w[n] = options.prior_weight;
    } else {
        w.head(n) = weights;
        const double mean =
            n > 0 && options.prior_relative_to_mean ? weights.sum() / static_cast<double>(n) : 1.0;
        w[n] = options.prior_weight * mean;
    }
    p_ = w / w.sum();
    base_.resize(n_comp_);
    for (Index j = 0; j < n_comp_; ++j) {
        base_[j] = std::log(std::max(p_[j], kTiny));
    }

    mu_t_.resize(dn, n_comp_);
    sig_t_.resize(dn, n_comp_);
    fine_dims_.clear();
    for (Index d = 0; d < dn; ++d) {
        if (dims_.coarse[static_cast<std::size_t>(d)] == 0) {
            fine_dims_.push_back(d);
        }
    }
    fine_.resize(n_comp_, 2 * static_cast<Index>(fine_dims_.size()));
    mu_t_.leftCols(n) = mu.transpose();
    mu_t_.col(n).setConstant(0.5);
    bandwidths_by_row(mu_t_, n, options.consider_endpoints, sig_t_);
    sig_t_.col(n).setOnes();
    // sum_fine log s_jd as the log of a running product (one log per component, not per
    // entry; s >= 0.01, so a product is flushed into the sum before it can underflow).
    VectorXd prod = VectorXd::Ones(n_comp_);
    double* base = base_.data();
    double* prod_p = prod.data();
    Index n_fine = 0;
    for (Index d = 0; d < dn; ++d) {
        const bool fine = dims_.coarse[static_cast<std::size_t>(d)] == 0;
        const double* mu_d = mu_t_.row(d).data();
        const double* sig_d = sig_t_.row(d).data();
        for (Index j = 0; j < n_comp_; ++j) {
            const double m = mu_d[j];
            const double s = sig_d[j];
            // Truncation mass over [0, 1] (>= 0.34 for m in [0, 1], s <= 1: no cancellation);
            // taken as 1 more than 6 s inside both ends.
            const double six = 6.0 * s;
            if (m < six || m > 1.0 - six) {
                const double scale = 1.0 / (s * kSqrt2);
                const double q = erfc_nonneg(m * scale) + erfc_nonneg((1.0 - m) * scale);
                base[j] -= std::log1p(-0.5 * q);
            }
            if (fine) {
                prod_p[j] *= s;
                if (prod_p[j] < 1e-200) {
                    base[j] -= std::log(prod_p[j]);
                    prod_p[j] = 1.0;
                }
            }
        }
        n_fine += fine ? 1 : 0;
    }
    // The fine dimensions' (mean, 1 / width) pairs by component, written row by row.
    for (Index j = 0; j < n_comp_; ++j) {
        double* row = fine_.row(j).data();
        for (Index f = 0; f < n_fine; ++f) {
            const Index d = fine_dims_[static_cast<std::size_t>(f)];
            row[2 * f] = mu_t_(d, j);
            row[2 * f + 1] = 1.0 / sig_t_(d, j);
        }
    }
    base_.array() -= prod.array().log();
    base_.array() -= kLogSqrt2Pi * static_cast<double>(n_fine);

    eps_ = options.prior_weight / static_cast<double>(n + 1);
    cat_t_ = cat.transpose();
}

ParzenDraws ParzenMixture::sample(ParzenRandom& rng, Index m) const {
    if (m < 0) {
        throw std::invalid_argument("m must be >= 0, got " + std::to_string(m));
    }
    const Index dn = mu_t_.rows();
    const auto dc = static_cast<Index>(dims_.n_choices.size());
    const Index no = n_obs_;
    // Components by inverse CDF: the first index whose running sum exceeds u * total (the
    // sums in order, as a cumulative sum takes them), capped at the prior.
    std::vector<double> cum(static_cast<std::size_t>(n_comp_));
    double run = 0.0;
    for (Index j = 0; j < n_comp_; ++j) {
        run += p_[j];
        cum[static_cast<std::size_t>(j)] = run;
    }
    std::vector<double> u(static_cast<std::size_t>(m));
    rng.uniform(m, u.data());
    std::vector<Index> comp(static_cast<std::size_t>(m));
    for (Index i = 0; i < m; ++i) {
        const double v = u[static_cast<std::size_t>(i)] * run;
        const auto at = std::upper_bound(cum.begin(), cum.end(), v) - cum.begin();
        comp[static_cast<std::size_t>(i)] = std::min(static_cast<Index>(at), no);
    }
    ParzenDraws out;
    out.x.resize(m, dn);
    rng.normal(m * dn, out.x.data());
    // x = z s + mu, rounded twice (tpe.cpp builds without FMA contraction: ISO C++ mode).
    std::vector<Index> bad;
    for (Index i = 0; i < m; ++i) {
        const Index j = comp[static_cast<std::size_t>(i)];
        for (Index d = 0; d < dn; ++d) {
            double& v = out.x(i, d);
            const double zs = v * sig_t_(d, j);
            v = zs + mu_t_(d, j);
            if (v < 0.0 || v > 1.0) {
                bad.push_back(i * dn + d);
            }
        }
    }
    if (!bad.empty()) {
        double* flat = out.x.data();
        std::vector<double> z;
        std::vector<Index> left;
        for (int round = 0; round < 32 && !bad.empty(); ++round) {
            z.resize(bad.size());
            rng.normal(static_cast<Index>(bad.size()), z.data());
            left.clear();
            for (std::size_t k = 0; k < bad.size(); ++k) {
                const Index e = bad[k];
                const Index j = comp[static_cast<std::size_t>(e / dn)];
                const Index d = e % dn;
                const double zs = sig_t_(d, j) * z[k];
                const double v = mu_t_(d, j) + zs;
                flat[e] = v;
                if (!(0.0 <= v && v <= 1.0)) {
                    left.push_back(e);
                }
            }
            bad.swap(left);
        }
        // Clipped as NumPy clips (max then min, a NaN kept; -0.0 becomes +0.0).
        for (Index e = 0; e < m * dn; ++e) {
            double v = flat[e];
            v = (v > 0.0 || std::isnan(v)) ? v : 0.0;
            v = (v < 1.0 || std::isnan(v)) ? v : 1.0;
            flat[e] = v;
        }
    }
    out.xc.resize(m, dc);
    if (dc > 0) {
        std::vector<std::int64_t> uniform(static_cast<std::size_t>(m));
        std::vector<double> keep(static_cast<std::size_t>(m));
        for (Index k = 0; k < dc; ++k) {
            const std::int64_t kk = dims_.n_choices[static_cast<std::size_t>(k)];
            rng.integers(kk, m, uniform.data());
            rng.uniform(m, keep.data());
            const double p_keep = 1.0 / (1.0 + static_cast<double>(kk) * eps_);
            for (Index i = 0; i < m; ++i) {
                const auto s = static_cast<std::size_t>(i);
                const Index j = comp[s];
                const bool own = no > 0 && keep[s] < p_keep && j != no;
                out.xc(i, k) = own ? cat_t_(k, std::min(j, no - 1)) : uniform[s];
            }
        }
    }
    return out;
}

RowMatrixXd ParzenMixture::means() const { return mu_t_.transpose(); }

RowMatrixXd ParzenMixture::widths() const { return sig_t_.transpose(); }

void check_parzen_candidates(const ParzenDims& dims, const Eigen::Ref<const RowMatrixXd>& x,
                             const Eigen::Ref<const RowMatrixXd>& lo,
                             const Eigen::Ref<const RowMatrixXd>& hi,
                             const Eigen::Ref<const RowMatrixXi64>& xc) {
    check_dims(dims);
    const Index m = x.rows();
    const auto dn = static_cast<Index>(dims.coarse.size());
    const auto dc = static_cast<Index>(dims.n_choices.size());
    if (x.cols() != dn) {
        throw std::invalid_argument("x must have one column per numeric dimension (" +
                                    std::to_string(dn) + "), got shape " +
                                    shape_of(m, x.cols()));
    }
    if (lo.rows() != m || lo.cols() != dn) {
        throw std::invalid_argument("lo must have the shape of x " + shape_of(m, dn) + ", got " +
                                    shape_of(lo.rows(), lo.cols()));
    }
    if (hi.rows() != m || hi.cols() != dn) {
        throw std::invalid_argument("hi must have the shape of x " + shape_of(m, dn) + ", got " +
                                    shape_of(hi.rows(), hi.cols()));
    }
    if (xc.rows() != m || xc.cols() != dc) {
        throw std::invalid_argument("xc must have shape " + shape_of(m, dc) +
                                    " (rows of x, entries of n_choices), got " +
                                    shape_of(xc.rows(), xc.cols()));
    }
    for (Index i = 0; i < m; ++i) {
        for (Index d = 0; d < dn; ++d) {
            if (!std::isfinite(x(i, d))) {
                throw std::invalid_argument("x must be finite, got " + std::to_string(x(i, d)) +
                                            " at [" + std::to_string(i) + ", " +
                                            std::to_string(d) + "]");
            }
            if (dims.coarse[static_cast<std::size_t>(d)] != 0 &&
                !(std::isfinite(lo(i, d)) && std::isfinite(hi(i, d)) && lo(i, d) <= hi(i, d))) {
                throw std::invalid_argument(
                    "lo and hi must be finite with lo <= hi on coarse dimensions, got lo = " +
                    std::to_string(lo(i, d)) + ", hi = " + std::to_string(hi(i, d)) + " at [" +
                    std::to_string(i) + ", " + std::to_string(d) + "]");
            }
        }
    }
    check_codes(dims, xc, "xc");
}

VectorXd ParzenMixture::log_pdf(const Eigen::Ref<const RowMatrixXd>& x,
                                const Eigen::Ref<const RowMatrixXd>& lo,
                                const Eigen::Ref<const RowMatrixXd>& hi,
                                const Eigen::Ref<const RowMatrixXi64>& xc, int n_threads) const {
    check_n_threads(n_threads);
    check_parzen_candidates(dims_, x, lo, hi, xc);
    const Index m = x.rows();
    const Index dn = x.cols();
    const Index dc = xc.cols();
    const Index nc = n_comp_;
    const Index no = n_obs_;
    // Categorical terms: log((1[same] + eps) / (1 + K eps)); the prior's is -log K.
    VectorXd hit(dc);
    VectorXd miss(dc);
    double prior_cat = 0.0;
    for (Index k = 0; k < dc; ++k) {
        const auto kk = static_cast<double>(dims_.n_choices[static_cast<std::size_t>(k)]);
        const double log_norm = std::log1p(kk * eps_);
        hit[k] = std::log1p(eps_) - log_norm;
        miss[k] = std::log(eps_) - log_norm;
        prior_cat -= std::log(kk);
    }
    VectorXd out(m);
    const Index n_blocks = (m + kBlock - 1) / kBlock;
    const double work = static_cast<double>(m) * static_cast<double>(nc) *
                        static_cast<double>(3 * dn + dc + 20);
    const auto n_fine = static_cast<Index>(fine_dims_.size());
    parallel_for(n_blocks, threads_for_work(work, n_threads), [&](std::ptrdiff_t b) {
        const Index i0 = static_cast<Index>(b) * kBlock;
        const Index rows = std::min(kBlock, m - i0);
        // The block's fine coordinates by dimension (rows past the end repeat the last one).
        Eigen::Matrix<double, dense::kParzenBlock, Eigen::Dynamic> xf(kBlock, n_fine);
        for (Index f = 0; f < n_fine; ++f) {
            for (Index c = 0; c < kBlock; ++c) {
                xf(c, f) = x(i0 + std::min(c, rows - 1), fine_dims_[static_cast<std::size_t>(f)]);
            }
        }
        // acc(c, j): log of component j's term at candidate i0 + c. The Gaussian part is
        // summed with the block's 8 candidates in registers, one pass over the components.
        RowMatrixXd acc(kBlock, nc);
        Eigen::ArrayXd e(nc);
        dense::parzen_gaussian_block(fine_.data(), n_fine, nc, base_.data(), xf.data(), acc.data());
        for (Index c = 0; c < rows; ++c) {
            const Index i = i0 + c;
            double* acc_c = acc.row(c).data();
            for (Index d = 0; d < dn; ++d) {
                if (dims_.coarse[static_cast<std::size_t>(d)] == 0) {
                    continue;
                }
                const double* mu_p = mu_t_.row(d).data();
                const double* sig_p = sig_t_.row(d).data();
                const double lo_d = lo(i, d);
                const double hi_d = hi(i, d);
                for (Index j = 0; j < nc; ++j) {
                    acc_c[j] +=
                        log_ndtr_diff((lo_d - mu_p[j]) / sig_p[j], (hi_d - mu_p[j]) / sig_p[j]);
                }
            }
            for (Index k = 0; k < dc; ++k) {
                const std::int64_t* cat_k = cat_t_.row(k).data();
                const std::int64_t code = xc(i, k);
                const double h = hit[k];
                const double s = miss[k];
                for (Index j = 0; j < no; ++j) {
                    acc_c[j] += cat_k[j] == code ? h : s;
                }
            }
            acc_c[no] += prior_cat;
            const double mx = acc.row(c).maxCoeff();
            if (!std::isfinite(mx)) {
                out[i] = mx;
                continue;
            }
            // Terms more than 50 below the largest are left out (together < nc e^-50 = nc 2e-22
            // of the sum); in a large mixture most components are that far from a candidate,
            // so the few others are gathered first and only they go through exp.
            Index kept = 0;
            const double floor = mx - 50.0;
            for (Index j = 0; j < nc; ++j) {
                e[kept] = acc_c[j];
                kept += acc_c[j] > floor ? 1 : 0;
            }
            double sum = 0.0;
            for (Index k = 0; k < kept; ++k) {
                sum += exp_vec(e[k] - mx);
            }
            out[i] = mx + std::log(sum);
        }
    });
    return out;
}

}  // namespace hyperdial
