// CMA-ES: see cpp/include/hyperdial/cmaes.hpp for the equations and their sources.
#include "hyperdial/cmaes.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyperdial/errors.hpp"
#include "hyperdial/rng.hpp"

namespace hyperdial {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kFormat = 2;  // layout version of to_vector
constexpr int kHeader = 30;

enum StopCode : int {
    kRunning = 0,
    kTolFun = 1,
    kTolX = 2,
    kConditionCov = 3,
    kNoEffectAxis = 4,
    kNoEffectCoord = 5,
    kNonFinite = 6,
};

const char* stop_name(int code) {
    switch (code) {
        case kTolFun: return "tolfun";
        case kTolX: return "tolx";
        case kConditionCov: return "conditioncov";
        case kNoEffectAxis: return "noeffectaxis";
        case kNoEffectCoord: return "noeffectcoord";
        case kNonFinite: return "nonfinite";
        default: return "";
    }
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// A standard normal draw (Box-Muller, cosine branch) from two uniforms of rng.
double standard_normal(Xoshiro256ss& rng) {
    const double u1 = 1.0 - rng.uniform();  // (0, 1]
    const double u2 = rng.uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

int default_popsize(int n) { return 4 + static_cast<int>(std::floor(3.0 * std::log(n))); }

bool all_finite(const VectorXd& v) { return v.allFinite(); }

void check_options(const CmaOptions& o) {
    if (o.popsize != 0 && o.popsize < 2) {
        throw std::invalid_argument("popsize must be 0 (default) or >= 2, got " +
                                    std::to_string(o.popsize));
    }
    if (!(o.inc_popsize > 1.0) || !std::isfinite(o.inc_popsize)) {
        throw std::invalid_argument("inc_popsize must be a finite number > 1, got " +
                                    std::to_string(o.inc_popsize));
    }
    if (o.max_resampling < 0) {
        throw std::invalid_argument("max_resampling must be >= 0, got " +
                                    std::to_string(o.max_resampling));
    }
    if (!(o.tol_fun >= 0.0) || !(o.tol_x >= 0.0) || !(o.max_condition > 1.0)) {
        throw std::invalid_argument("tol_fun and tol_x must be >= 0 and max_condition > 1");
    }
    const int r = static_cast<int>(o.restart);
    if (r < 0 || r > 2) {
        throw std::invalid_argument("restart must be none, ipop or bipop");
    }
}

}  // namespace

double normal_quantile(double p) {
    if (!(p > 0.0 && p < 1.0)) {
        throw std::invalid_argument("normal_quantile needs p in (0, 1), got " +
                                    std::to_string(p));
    }
    if (p > 0.5) {
        return -normal_quantile(1.0 - p);
    }
    // Safeguarded Newton on Phi(x) - p over [-40, 0]: Newton where it stays in the bracket,
    // bisection otherwise.
    double lo = -40.0;
    double hi = 0.0;
    double x = -1.0;
    for (int it = 0; it < 200; ++it) {
        const double f = normal_cdf(x) - p;
        if (f < 0.0) {
            lo = x;
        } else {
            hi = x;
        }
        const double density = std::exp(-0.5 * x * x) / std::sqrt(2.0 * kPi);
        double next = density > 0.0 ? x - f / density : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        if (std::abs(next - x) <= 1e-15 * (1.0 + std::abs(x))) {
            return next;
        }
        x = next;
    }
    return x;
}

CmaEs::CmaEs(const VectorXd& mean, double sigma, const RowMatrixXd& cov, const VectorXd& steps,
             const CmaOptions& options)
    : options_(options) {
    check_options(options);
    const Index n = mean.size();
    if (n < 1) {
        throw std::invalid_argument("mean must have at least one dimension");
    }
    if (options.lr_adapt && options.separable) {
        throw std::invalid_argument("lr_adapt cannot be combined with separable");
    }
    if (!all_finite(mean)) {
        throw std::invalid_argument("mean must be finite");
    }
    if (!(sigma > 0.0) || !std::isfinite(sigma)) {
        throw std::invalid_argument("sigma must be finite and > 0, got " + std::to_string(sigma));
    }
    if (steps.size() != 0 && steps.size() != n) {
        throw std::invalid_argument("steps must be empty or have " + std::to_string(n) +
                                    " values, got " + std::to_string(steps.size()));
    }
    steps_ = steps.size() == 0 ? VectorXd::Zero(n) : steps;
    for (Index j = 0; j < n; ++j) {
        if (!(steps_(j) >= 0.0 && steps_(j) < 1.0)) {
            throw std::invalid_argument("steps must lie in [0, 1), got " +
                                        std::to_string(steps_(j)));
        }
    }
    if (cov.size() != 0 && (cov.rows() != n || cov.cols() != n)) {
        throw std::invalid_argument("cov must be " + std::to_string(n) + " x " +
                                    std::to_string(n) + " or empty");
    }
    if (cov.size() != 0 && !cov.allFinite()) {
        throw std::invalid_argument("cov must be finite");
    }
    sigma0_ = sigma;
    popsize0_ = options.popsize > 0 ? options.popsize : default_popsize(static_cast<int>(n));
    popsize_large_ = popsize0_;
    reset_run(mean, sigma, popsize0_);
    if (cov.size() != 0) {
        if (options_.separable) {
            c_ = cov.diagonal();
            if ((c_.array() <= 0.0).any()) {
                throw std::invalid_argument("cov must have a positive diagonal");
            }
        } else {
            c_ = 0.5 * (cov + cov.transpose());
            Eigen::LLT<Eigen::MatrixXd> llt(c_);
            if (llt.info() != Eigen::Success) {
                throw std::invalid_argument("cov must be positive definite");
            }
        }
        decompose();
    }
}

void CmaEs::set_constants() {
    const double n = static_cast<double>(mean_.size());
    const int lambda = popsize_;
    mu_ = lambda / 2;
    VectorXd w(lambda);
    for (int i = 0; i < lambda; ++i) {
        w(i) = std::log((lambda + 1) / 2.0) - std::log(i + 1.0);
    }
    const VectorXd pos = w.head(mu_);
    mu_eff_ = pos.sum() * pos.sum() / pos.squaredNorm();
    const VectorXd neg = w.tail(lambda - mu_);
    const double neg_sq = neg.squaredNorm();
    const double mu_eff_minus = neg_sq > 0.0 ? neg.sum() * neg.sum() / neg_sq : 0.0;

    c_sigma_ = (mu_eff_ + 2.0) / (n + mu_eff_ + 5.0);
    d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (n + 1.0)) - 1.0) + c_sigma_;
    c_c_ = (4.0 + mu_eff_ / n) / (n + 4.0 + 2.0 * mu_eff_ / n);
    c_1_ = 2.0 / ((n + 1.3) * (n + 1.3) + mu_eff_);
    c_mu_ = std::min(1.0 - c_1_,
                     2.0 * (0.25 + mu_eff_ + 1.0 / mu_eff_ - 2.0) / ((n + 2.0) * (n + 2.0) + mu_eff_));
    chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));

    weights_ = VectorXd::Zero(lambda);
    weights_.head(mu_) = pos / pos.sum();
    if (options_.separable) {
        const double scale = (n + 2.0) / 3.0;
        c_1_ *= scale;
        c_mu_ = std::min(1.0 - c_1_, c_mu_ * scale);
        eigen_interval_ = 1;
    } else {
        const double neg_abs = -neg.sum();
        if (neg_abs > 0.0) {
            const double alpha_mu = 1.0 + c_1_ / c_mu_;
            const double alpha_mueff = 1.0 + 2.0 * mu_eff_minus / (mu_eff_ + 2.0);
            const double alpha_posdef = (1.0 - c_1_ - c_mu_) / (n * c_mu_);
            const double scale = std::min({alpha_mu, alpha_mueff, alpha_posdef}) / neg_abs;
            weights_.tail(lambda - mu_) = neg * scale;
        }
        eigen_interval_ = std::max<std::int64_t>(
            1, static_cast<std::int64_t>(std::floor(1.0 / (10.0 * n * (c_1_ + c_mu_)))));
    }
}

void CmaEs::reset_run(const VectorXd& mean, double sigma, int popsize) {
    const Index n = mean.size();
    mean_ = mean;
    sigma_ = sigma;
    popsize_ = popsize;
    run_generation_ = 0;
    eigen_generation_ = generation_;
    p_sigma_ = VectorXd::Zero(n);
    p_c_ = VectorXd::Zero(n);
    a_ = VectorXd::Ones(n);
    d_ = VectorXd::Ones(n);
    if (options_.separable) {
        c_ = RowMatrixXd::Ones(n, 1);
        b_.resize(0, 0);
    } else {
        c_ = RowMatrixXd::Identity(n, n);
        b_ = RowMatrixXd::Identity(n, n);
    }
    best_history_.resize(0);
    eta_mean_ = eta_cov_ = 1.0;
    v_mean_ = v_cov_ = 0.0;
    e_mean_ = options_.lr_adapt ? VectorXd::Zero(n) : VectorXd(0);
    e_cov_ = options_.lr_adapt ? VectorXd::Zero(n * n) : VectorXd(0);
    set_constants();
}

void CmaEs::decompose() {
    eigen_generation_ = generation_;
    if (options_.separable) {
        d_ = c_.col(0).array().max(1e-300).sqrt();
        return;
    }
    c_ = 0.5 * (c_ + c_.transpose()).eval();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(c_);
    if (solver.info() != Eigen::Success) {
        d_.setConstant(std::numeric_limits<double>::quiet_NaN());
        return;
    }
    d_ = solver.eigenvalues().array().max(1e-300).sqrt();
    b_ = solver.eigenvectors();
}

RowMatrixXd CmaEs::cov() const {
    if (options_.separable) {
        return c_.col(0).asDiagonal();
    }
    return c_;
}

CmaSample CmaEs::ask(std::uint64_t seed) const {
    const Index n = mean_.size();
    const int max_redraws = options_.max_resampling > 0 ? options_.max_resampling
                                                        : 10 * static_cast<int>(n);
    Xoshiro256ss rng(seed, 0);
    CmaSample out;
    VectorXd z(n);
    VectorXd y(n);
    for (int attempt = 0;; ++attempt) {
        for (Index j = 0; j < n; ++j) {
            z(j) = standard_normal(rng);
        }
        if (options_.separable) {
            y = d_.cwiseProduct(z);
        } else {
            y = b_ * d_.cwiseProduct(z);
        }
        out.x = mean_ + sigma_ * y;
        out.point = mean_ + sigma_ * a_.cwiseProduct(y);
        const bool inside = (out.point.array() >= 0.0).all() && (out.point.array() <= 1.0).all();
        if (inside || attempt >= max_redraws) {
            out.n_redraws = attempt;
            break;
        }
    }
    if (!((out.point.array() >= 0.0).all() && (out.point.array() <= 1.0).all())) {
        out.point = out.point.cwiseMax(0.0).cwiseMin(1.0);
        out.x = mean_ + (out.point - mean_).cwiseQuotient(a_);
    }
    return out;
}

std::string CmaEs::tell(const RowMatrixXd& x, const VectorXd& f, std::uint64_t seed) {
    const Index n = mean_.size();
    if (x.rows() != popsize_ || x.cols() != n) {
        throw std::invalid_argument("x must be popsize x n = " + std::to_string(popsize_) +
                                    " x " + std::to_string(n) + ", got " +
                                    std::to_string(x.rows()) + " x " + std::to_string(x.cols()));
    }
    if (f.size() != popsize_) {
        throw std::invalid_argument("f must have popsize = " + std::to_string(popsize_) +
                                    " values, got " + std::to_string(f.size()));
    }
    if (f.array().isNaN().any()) {
        throw std::invalid_argument("f must not contain NaN");
    }
    if (!x.allFinite()) {
        throw std::invalid_argument("x must be finite");
    }
    std::vector<Index> order(static_cast<std::size_t>(popsize_));
    std::iota(order.begin(), order.end(), Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return f(a) < f(b); });

    RowMatrixXd y(popsize_, n);
    for (int i = 0; i < popsize_; ++i) {
        y.row(i) = (x.row(order[static_cast<std::size_t>(i)]) - mean_.transpose()) / sigma_;
    }
    const VectorXd y_w = y.topRows(mu_).transpose() * weights_.head(mu_);
    // C^-1/2 of the previous decomposition, applied to a vector.
    auto inv_sqrt = [&](const VectorXd& v) -> VectorXd {
        if (options_.separable) {
            return v.cwiseQuotient(d_);
        }
        return b_ * (b_.transpose() * v).cwiseQuotient(d_);
    };

    const VectorXd old_mean = mean_;
    const double old_sigma = sigma_;
    const RowMatrixXd old_c = options_.lr_adapt ? c_ : RowMatrixXd();
    mean_ += sigma_ * y_w;
    p_sigma_ = (1.0 - c_sigma_) * p_sigma_ +
               std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_) * inv_sqrt(y_w);
    const double norm_ps = p_sigma_.norm();
    const double decay = 1.0 - std::pow(1.0 - c_sigma_, 2.0 * static_cast<double>(run_generation_ + 1));
    const double h_sigma =
        norm_ps / std::sqrt(decay) < (1.4 + 2.0 / (static_cast<double>(n) + 1.0)) * chi_n_ ? 1.0 : 0.0;
    p_c_ = (1.0 - c_c_) * p_c_ + h_sigma * std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;
    const double delta = (1.0 - h_sigma) * c_c_ * (2.0 - c_c_);

    VectorXd w_circ = weights_;
    for (int i = mu_; i < popsize_; ++i) {
        if (weights_(i) < 0.0) {
            const double norm2 = inv_sqrt(y.row(i).transpose()).squaredNorm();
            w_circ(i) = norm2 > 0.0 ? weights_(i) * static_cast<double>(n) / norm2 : 0.0;
        }
    }
    const double keep = 1.0 + c_1_ * delta - c_1_ - c_mu_ * weights_.sum();
    if (options_.separable) {
        VectorXd rank_mu = VectorXd::Zero(n);
        for (int i = 0; i < popsize_; ++i) {
            rank_mu += w_circ(i) * y.row(i).transpose().cwiseAbs2();
        }
        c_.col(0) = keep * c_.col(0) + c_1_ * p_c_.cwiseAbs2() + c_mu_ * rank_mu;
    } else {
        const RowMatrixXd rank_mu = y.transpose() * w_circ.asDiagonal() * y;
        c_ = keep * c_ + c_1_ * p_c_ * p_c_.transpose() + c_mu_ * rank_mu;
    }
    sigma_ *= std::exp((c_sigma_ / d_sigma_) * (norm_ps / chi_n_ - 1.0));
    if (options_.lr_adapt) {
        adapt_rates(old_mean, old_sigma, old_c,
                    b_ * d_.cwiseInverse().asDiagonal() * b_.transpose());
    }
    ++generation_;
    ++run_generation_;
    if (generation_ - eigen_generation_ >= eigen_interval_) {
        decompose();
    }
    correct_margin();

    // Stop criteria.
    const double f_best = f.minCoeff();
    const Index history = 10 + static_cast<Index>(std::ceil(30.0 * static_cast<double>(n) / static_cast<double>(popsize_)));
    VectorXd grown(best_history_.size() + 1);
    grown << best_history_, f_best;
    best_history_ = grown.tail(std::min(history, grown.size()));
    const int code = stop_code(f.maxCoeff());
    if (code == kRunning || (options_.restart == CmaRestart::none && code != kNonFinite)) {
        return "";
    }
    restart(seed);
    return stop_name(code);
}

void CmaEs::adapt_rates(const VectorXd& old_mean, double old_sigma, const RowMatrixXd& old_c,
                        const RowMatrixXd& old_inv_sqrt_c) {
    constexpr double kAlpha = 1.4;
    constexpr double kBetaMean = 0.1;
    constexpr double kBetaCov = 0.03;
    constexpr double kGamma = 0.1;
    const Index n = mean_.size();
    const double eta_mean_before = eta_mean_;
    const VectorXd delta_mean = mean_ - old_mean;
    const RowMatrixXd old_cov = old_sigma * old_sigma * old_c;
    const RowMatrixXd delta_cov = sigma_ * sigma_ * c_ - old_cov;
    const RowMatrixXd w = old_inv_sqrt_c / old_sigma;  // Sigma_old^-1/2
    const VectorXd dm = w * delta_mean;
    const RowMatrixXd ds_mat = w * delta_cov * w;
    const VectorXd ds = Eigen::Map<const VectorXd>(ds_mat.data(), n * n) / std::sqrt(2.0);
    e_mean_ = (1.0 - kBetaMean) * e_mean_ + kBetaMean * dm;
    v_mean_ = (1.0 - kBetaMean) * v_mean_ + kBetaMean * dm.squaredNorm();
    e_cov_ = (1.0 - kBetaCov) * e_cov_ + kBetaCov * ds;
    v_cov_ = (1.0 - kBetaCov) * v_cov_ + kBetaCov * ds.squaredNorm();
    auto step = [&](double eta, const VectorXd& e, double v, double beta) {
        const double e2 = e.squaredNorm();
        const double snr = (e2 - beta / (2.0 - beta) * v) / (v - e2);
        const double relative =
            std::isfinite(snr) ? std::clamp(snr / (kAlpha * eta) - 1.0, -1.0, 1.0) : 0.0;
        return std::min(1.0, eta * std::exp(std::min(kGamma * eta, beta) * relative));
    };
    eta_mean_ = step(eta_mean_, e_mean_, v_mean_, kBetaMean);
    eta_cov_ = step(eta_cov_, e_cov_, v_cov_, kBetaCov);
    mean_ = old_mean + eta_mean_ * delta_mean;
    RowMatrixXd cov = old_cov + eta_cov_ * delta_cov;
    cov = 0.5 * (cov + cov.transpose()).eval();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov, Eigen::EigenvaluesOnly);
    const double log_det = solver.eigenvalues().array().log().sum();
    sigma_ = std::exp(log_det / (2.0 * static_cast<double>(n)));
    c_ = cov / (sigma_ * sigma_);
    sigma_ *= eta_mean_before / eta_mean_;
}

void CmaEs::correct_margin() {
    const Index n = mean_.size();
    const double alpha = 1.0 / (static_cast<double>(n) * popsize_);
    for (Index j = 0; j < n; ++j) {
        if (steps_(j) <= 0.0) {
            continue;
        }
        const auto cells = static_cast<Index>(std::llround(1.0 / steps_(j)));
        if (cells < 2) {
            continue;
        }
        const double c_jj = options_.separable ? c_(j, 0) : c_(j, j);
        const double scale = sigma_ * std::sqrt(c_jj);
        const double s = scale * a_(j);
        if (!(s > 0.0) || !std::isfinite(s)) {
            continue;
        }
        const double m = mean_(j);
        const Index cell =
            std::clamp(static_cast<Index>(std::floor(m * static_cast<double>(cells))), Index{0},
                       cells - 1);
        const double lower = static_cast<double>(cell) / static_cast<double>(cells);
        const double upper = static_cast<double>(cell + 1) / static_cast<double>(cells);
        const double z = -normal_quantile(alpha);  // Phi^-1(1 - alpha)
        if (cell == 0) {
            mean_(j) = std::max(m, upper - s * z);
        } else if (cell == cells - 1) {
            mean_(j) = std::min(m, lower + s * z);
        } else {
            const double p_low = normal_cdf((lower - m) / s);
            const double p_up = normal_cdf((m - upper) / s);
            if (p_low >= alpha && p_up >= alpha) {
                continue;
            }
            const double a = normal_quantile(std::max(p_low, alpha));
            const double b = -normal_quantile(std::max(p_up, alpha));
            if (!(b - a > 1e-12)) {
                continue;
            }
            const double s_new = (upper - lower) / (b - a);
            mean_(j) = lower - a * s_new;
            a_(j) = s_new / scale;
        }
    }
}

void CmaEs::restart(std::uint64_t seed) {
    const Index n = mean_.size();
    Xoshiro256ss rng(seed, 1);
    const double used = static_cast<double>(run_generation_) * popsize_;
    if (large_run_) {
        budget_large_ += used;
    } else {
        budget_small_ += used;
    }
    VectorXd mean(n);
    for (Index j = 0; j < n; ++j) {
        mean(j) = rng.uniform();
    }
    int popsize = popsize_;
    double sigma = sigma0_;
    if (options_.restart == CmaRestart::ipop) {
        popsize = static_cast<int>(std::round(popsize_ * options_.inc_popsize));
        large_run_ = true;
    } else if (options_.restart == CmaRestart::bipop) {
        if (budget_small_ < budget_large_) {
            const double u = rng.uniform();
            const double ratio = 0.5 * popsize_large_ / static_cast<double>(popsize0_);
            popsize = std::max(2, static_cast<int>(std::floor(popsize0_ * std::pow(ratio, u * u))));
            sigma = sigma0_ * std::pow(10.0, -2.0 * u);
            large_run_ = false;
        } else {
            ++n_large_;
            popsize_large_ =
                static_cast<int>(std::round(popsize0_ * std::pow(options_.inc_popsize, n_large_)));
            popsize = popsize_large_;
            large_run_ = true;
        }
    }
    ++n_restarts_;
    reset_run(mean, sigma, popsize);
}

VectorXd CmaEs::to_vector() const {
    const Index n = mean_.size();
    const Index c_size = c_.size();
    const Index b_size = b_.size();
    const Index e_size = e_mean_.size() + e_cov_.size();
    VectorXd out(kHeader + 6 * n + c_size + b_size + best_history_.size() + e_size);
    out.head(kHeader) << kFormat, static_cast<double>(n), options_.separable ? 1.0 : 0.0,
        static_cast<double>(options_.restart), options_.inc_popsize, options_.max_resampling,
        options_.tol_fun, options_.tol_x, options_.max_condition, popsize_,
        static_cast<double>(generation_), static_cast<double>(run_generation_),
        static_cast<double>(eigen_generation_), sigma_, sigma0_, popsize0_, popsize_large_,
        n_restarts_, n_large_, budget_small_, budget_large_, large_run_ ? 1.0 : 0.0,
        options_.popsize, static_cast<double>(best_history_.size()),
        options_.lr_adapt ? 1.0 : 0.0, eta_mean_, eta_cov_, v_mean_, v_cov_, 0.0;
    Index at = kHeader;
    for (const VectorXd* v : {&mean_, &p_sigma_, &p_c_, &a_, &steps_, &d_}) {
        out.segment(at, n) = *v;
        at += n;
    }
    out.segment(at, c_size) = Eigen::Map<const VectorXd>(c_.data(), c_size);
    at += c_size;
    out.segment(at, b_size) = Eigen::Map<const VectorXd>(b_.data(), b_size);
    at += b_size;
    out.segment(at, best_history_.size()) = best_history_;
    at += best_history_.size();
    out.segment(at, e_mean_.size()) = e_mean_;
    at += e_mean_.size();
    out.segment(at, e_cov_.size()) = e_cov_;
    return out;
}

CmaEs CmaEs::from_vector(const VectorXd& s) {
    if (s.size() < kHeader || s(0) != kFormat) {
        throw std::invalid_argument("not a CmaEs state vector (wrong length or format)");
    }
    const auto n = static_cast<Index>(s(1));
    CmaEs out;
    out.options_.separable = s(2) != 0.0;
    out.options_.restart = static_cast<CmaRestart>(static_cast<int>(s(3)));
    out.options_.inc_popsize = s(4);
    out.options_.max_resampling = static_cast<int>(s(5));
    out.options_.tol_fun = s(6);
    out.options_.tol_x = s(7);
    out.options_.max_condition = s(8);
    out.options_.popsize = static_cast<int>(s(22));
    out.options_.lr_adapt = s(24) != 0.0;
    check_options(out.options_);
    const Index c_size = out.options_.separable ? n : n * n;
    const Index b_size = out.options_.separable ? 0 : n * n;
    const auto history = static_cast<Index>(s(23));
    const Index e_size = out.options_.lr_adapt ? n + n * n : 0;
    if (n < 1 || history < 0 ||
        s.size() != kHeader + 6 * n + c_size + b_size + history + e_size) {
        throw std::invalid_argument("not a CmaEs state vector (inconsistent length)");
    }
    out.popsize_ = static_cast<int>(s(9));
    out.generation_ = static_cast<std::int64_t>(s(10));
    out.run_generation_ = static_cast<std::int64_t>(s(11));
    out.eigen_generation_ = static_cast<std::int64_t>(s(12));
    out.sigma_ = s(13);
    out.sigma0_ = s(14);
    out.popsize0_ = static_cast<int>(s(15));
    out.popsize_large_ = static_cast<int>(s(16));
    out.n_restarts_ = static_cast<int>(s(17));
    out.n_large_ = static_cast<int>(s(18));
    out.budget_small_ = s(19);
    out.budget_large_ = s(20);
    out.large_run_ = s(21) != 0.0;
    out.eta_mean_ = s(25);
    out.eta_cov_ = s(26);
    out.v_mean_ = s(27);
    out.v_cov_ = s(28);
    if (out.popsize_ < 2) {
        throw std::invalid_argument("not a CmaEs state vector (popsize < 2)");
    }
    Index at = kHeader;
    for (VectorXd* v : {&out.mean_, &out.p_sigma_, &out.p_c_, &out.a_, &out.steps_, &out.d_}) {
        *v = s.segment(at, n);
        at += n;
    }
    out.c_.resize(n, out.options_.separable ? 1 : n);
    Eigen::Map<VectorXd>(out.c_.data(), c_size) = s.segment(at, c_size);
    at += c_size;
    out.b_.resize(out.options_.separable ? 0 : n, out.options_.separable ? 0 : n);
    Eigen::Map<VectorXd>(out.b_.data(), b_size) = s.segment(at, b_size);
    at += b_size;
    out.best_history_ = s.segment(at, history);
    at += history;
    out.e_mean_ = s.segment(at, e_size > 0 ? n : 0);
    at += out.e_mean_.size();
    out.e_cov_ = s.segment(at, e_size > 0 ? n * n : 0);
    out.set_constants();
    return out;
}

std::string CmaEs::stop_reason() const { return stop_name(stop_code(-HUGE_VAL)); }

int CmaEs::stop_code(double f_max) const {
    const Index n = mean_.size();
    if (!std::isfinite(sigma_) || !(sigma_ > 0.0) || !mean_.allFinite() || !c_.allFinite() ||
        !d_.allFinite()) {
        return kNonFinite;
    }
    const Index history = 10 + static_cast<Index>(std::ceil(30.0 * static_cast<double>(n) / static_cast<double>(popsize_)));
    if (best_history_.size() >= history) {
        const double hi = std::max(best_history_.maxCoeff(), f_max);
        if (hi - best_history_.minCoeff() < options_.tol_fun) {
            return kTolFun;
        }
    }
    const VectorXd diag = options_.separable ? VectorXd(c_.col(0)) : VectorXd(c_.diagonal());
    const double tol_x = options_.tol_x * sigma0_;
    if (sigma_ * p_c_.cwiseAbs().maxCoeff() < tol_x &&
        sigma_ * diag.cwiseSqrt().maxCoeff() < tol_x) {
        return kTolX;
    }
    const double ratio = d_.maxCoeff() / d_.minCoeff();
    if (ratio * ratio > options_.max_condition) {
        return kConditionCov;
    }
    const Index axis = static_cast<Index>(run_generation_ % n);
    const VectorXd shift = options_.separable
                               ? VectorXd(VectorXd::Unit(n, axis) * (0.1 * sigma_ * d_(axis)))
                               : VectorXd(0.1 * sigma_ * d_(axis) * b_.col(axis));
    if (((mean_ + shift).array() == mean_.array()).all()) {
        return kNoEffectAxis;
    }
    if (((mean_.array() + 0.2 * sigma_ * diag.array().sqrt()) == mean_.array()).any()) {
        return kNoEffectCoord;
    }
    return kRunning;
}

CmaWarmStart cma_warm_start(const RowMatrixXd& x, const VectorXd& f, double gamma, double alpha) {
    const Index count = x.rows();
    const Index n = x.cols();
    if (count < 1 || n < 1) {
        throw std::invalid_argument("x must have at least one row and one column");
    }
    if (f.size() != count) {
        throw std::invalid_argument("f must have one value per row of x");
    }
    if (f.array().isNaN().any() || !x.allFinite()) {
        throw std::invalid_argument("x must be finite and f must not contain NaN");
    }
    if (!(gamma > 0.0 && gamma <= 1.0)) {
        throw std::invalid_argument("gamma must lie in (0, 1], got " + std::to_string(gamma));
    }
    if (!(alpha > 0.0) || !std::isfinite(alpha)) {
        throw std::invalid_argument("alpha must be finite and > 0, got " + std::to_string(alpha));
    }
    std::vector<Index> order(static_cast<std::size_t>(count));
    std::iota(order.begin(), order.end(), Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return f(a) < f(b); });
    const Index top = std::max<Index>(1, static_cast<Index>(std::ceil(gamma * static_cast<double>(count))));
    RowMatrixXd best(top, n);
    for (Index i = 0; i < top; ++i) {
        best.row(i) = x.row(order[static_cast<std::size_t>(i)]);
    }
    CmaWarmStart out;
    out.mean = best.colwise().mean().transpose();
    const RowMatrixXd centred = best.rowwise() - out.mean.transpose();
    RowMatrixXd sigma_mat = (centred.transpose() * centred) / static_cast<double>(top);
    sigma_mat.diagonal().array() += alpha * alpha;
    Eigen::LLT<Eigen::MatrixXd> llt(sigma_mat);
    if (llt.info() != Eigen::Success) {
        throw NumericalError("the warm-start covariance is not positive definite");
    }
    const double log_det = 2.0 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
    out.sigma = std::exp(log_det / (2.0 * static_cast<double>(n)));
    out.cov = sigma_mat / (out.sigma * out.sigma);
    return out;
}

}  // namespace hyperdial
