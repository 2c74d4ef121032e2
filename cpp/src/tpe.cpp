#include "hyperdial/tpe.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "hyperdial/acquisition.hpp"
#include "hyperdial/fastmath.hpp"
#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880168872420969808;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kLogSqrt2Pi = 0.91893853320467274178032973640562;
constexpr double kTiny = 1e-300;
// Candidates per parallel block (each block owns one buffer of n + 1 doubles).
constexpr Index kBlock = 8;

std::string shape_of(Index rows, Index cols) {
    return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

// Upper tail Q(x) = 1 - Phi(x), accurate in relative terms for x >= 0.
double upper(double x) {
    const double e = 0.5 * std::erfc(std::abs(x) * kInvSqrt2);
    return x >= 0.0 ? e : 1.0 - e;
}

// log(1 - exp(t)) for t <= 0 (Maechler 2012).
double log1mexp(double t) {
    return t < -0.6931471805599453 ? std::log1p(-std::exp(t)) : std::log(-std::expm1(t));
}

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
    if (mass >= kTiny) {
        return std::log(mass);
    }
    // Far tail (or an empty cell): in log space. log Q(t) = log Phi(-t).
    double la = 0.0;
    double lb = 0.0;
    if (a > 0.0) {
        la = log_ndtr(-a, nullptr);  // log Q(a) >= log Q(b)
        lb = log_ndtr(-b, nullptr);
    } else {
        la = log_ndtr(b, nullptr);  // log Phi(b) >= log Phi(a)
        lb = log_ndtr(a, nullptr);
    }
    if (!(la > -std::numeric_limits<double>::infinity())) {
        return la;
    }
    return la + log1mexp(lb - la);
}

RowMatrixXd parzen_bandwidths(const Eigen::Ref<const RowMatrixXd>& mu, bool consider_endpoints) {
    const Index n = mu.rows();
    const Index dn = mu.cols();
    RowMatrixXd sig(n, dn);
    if (n == 0) {
        return sig;
    }
    int bits = 1;
    while ((static_cast<std::uint64_t>(n - 1) >> bits) != 0) {
        ++bits;
    }
    const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
    const double clip_lo = 1.0 / std::min(100.0, static_cast<double>(n) + 2.0);
    std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
    std::vector<double> ext(static_cast<std::size_t>(n) + 2);
    std::vector<double> gap(static_cast<std::size_t>(n) + 1);
    const auto un = static_cast<std::size_t>(n);
    for (Index d = 0; d < dn; ++d) {
        for (std::size_t j = 0; j < un; ++j) {
            const double v = mu(static_cast<Index>(j), d) + 0.0;  // + 0.0: no -0.0
            std::uint64_t k = 0;
            std::memcpy(&k, &v, sizeof k);
            keys[j] = (k & ~mask) | static_cast<std::uint64_t>(j);
        }
        std::sort(keys.begin(), keys.end());
        ext[0] = 0.0;
        ext[un + 1] = 1.0;
        for (std::size_t j = 0; j < un; ++j) {
            const std::uint64_t k = keys[j] & ~mask;
            std::memcpy(&ext[j + 1], &k, sizeof k);
        }
        for (std::size_t j = 0; j <= un; ++j) {
            gap[j] = ext[j + 1] - ext[j];
        }
        for (std::size_t j = 0; j < un; ++j) {
            double s = std::max(gap[j], gap[j + 1]);
            if (!consider_endpoints && un >= 2) {
                if (j == 0) {
                    s = gap[1];
                } else if (j == un - 1) {
                    s = gap[un - 1];
                }
            }
            s = std::min(std::max(s, clip_lo), 1.0);
            sig(static_cast<Index>(keys[j] & mask), d) = s;
        }
    }
    return sig;
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

    const RowMatrixXd sig = parzen_bandwidths(mu, options.consider_endpoints);
    mu_t_.resize(dn, n_comp_);
    sig_t_.resize(dn, n_comp_);
    inv_sig_t_.resize(dn, n_comp_);
    mu_t_.leftCols(n) = mu.transpose();
    mu_t_.col(n).setConstant(0.5);
    sig_t_.leftCols(n) = sig.transpose();
    sig_t_.col(n).setOnes();
    Index n_fine = 0;
    for (Index d = 0; d < dn; ++d) {
        const bool fine = dims_.coarse[static_cast<std::size_t>(d)] == 0;
        n_fine += fine ? 1 : 0;
        for (Index j = 0; j < n_comp_; ++j) {
            const double m = mu_t_(d, j);
            const double s = sig_t_(d, j);
            inv_sig_t_(d, j) = 1.0 / s;
            // Truncation mass over [0, 1] (>= 0.34 for m in [0, 1], s <= 1: no cancellation);
            // taken as 1 more than 6 s inside both ends.
            const double six = 6.0 * s;
            if (m < six || m > 1.0 - six) {
                const double scale = 1.0 / (s * kSqrt2);
                const double q = std::erfc(m * scale) + std::erfc((1.0 - m) * scale);
                base_[j] -= std::log1p(-0.5 * q);
            }
            if (fine) {
                base_[j] -= std::log(s);
            }
        }
    }
    base_.array() -= kLogSqrt2Pi * static_cast<double>(n_fine);

    eps_ = options.prior_weight / static_cast<double>(n + 1);
    cat_t_ = cat.transpose();
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
    parallel_for(n_blocks, threads_for_work(work, n_threads), [&](std::ptrdiff_t b) {
        std::vector<double> acc_v(static_cast<std::size_t>(nc));
        std::vector<double> quad_v(static_cast<std::size_t>(nc));
        double* acc = acc_v.data();
        double* quad = quad_v.data();
        const Index i_end = std::min(m, (static_cast<Index>(b) + 1) * kBlock);
        for (Index i = static_cast<Index>(b) * kBlock; i < i_end; ++i) {
            std::fill(quad, quad + nc, 0.0);
            std::copy(base_.data(), base_.data() + nc, acc);
            for (Index d = 0; d < dn; ++d) {
                const double* mu_d = mu_t_.row(d).data();
                if (dims_.coarse[static_cast<std::size_t>(d)] == 0) {
                    const double* inv_d = inv_sig_t_.row(d).data();
                    const double xd = x(i, d);
                    for (Index j = 0; j < nc; ++j) {
                        const double t = (xd - mu_d[j]) * inv_d[j];
                        quad[j] += t * t;
                    }
                } else {
                    const double* sig_d = sig_t_.row(d).data();
                    const double lo_d = lo(i, d);
                    const double hi_d = hi(i, d);
                    for (Index j = 0; j < nc; ++j) {
                        acc[j] += log_ndtr_diff((lo_d - mu_d[j]) / sig_d[j],
                                                (hi_d - mu_d[j]) / sig_d[j]);
                    }
                }
            }
            for (Index k = 0; k < dc; ++k) {
                const std::int64_t* cat_k = cat_t_.row(k).data();
                const std::int64_t c = xc(i, k);
                const double h = hit[k];
                const double s = miss[k];
                for (Index j = 0; j < no; ++j) {
                    acc[j] += cat_k[j] == c ? h : s;
                }
            }
            acc[no] += prior_cat;
            double mx = -std::numeric_limits<double>::infinity();
            for (Index j = 0; j < nc; ++j) {
                acc[j] -= 0.5 * quad[j];
                mx = std::max(mx, acc[j]);
            }
            if (!std::isfinite(mx)) {
                out[i] = mx;
                continue;
            }
            double sum = 0.0;
            for (Index j = 0; j < nc; ++j) {
                sum += exp_vec(acc[j] - mx);
            }
            out[i] = mx + std::log(sum);
        }
    });
    return out;
}

}  // namespace hyperdial
