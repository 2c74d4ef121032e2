#include "hyperdial/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "hyperdial/dense.hpp"
#include "hyperdial/kernels.hpp"
#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

bool try_factor(const Eigen::Ref<const Eigen::MatrixXd>& a, double jitter, Eigen::MatrixXd& out) {
    out = a;
    out.diagonal().array() += jitter;
    if (!dense::llt_lower(out.data(), out.rows(), out.rows())) {
        return false;
    }
    const auto diag = out.diagonal();
    if (!diag.allFinite() || (diag.array() <= 0.0).any()) {
        return false;
    }
    out.triangularView<Eigen::StrictlyUpper>().setZero();
    return true;
}

}  // namespace

Cholesky cholesky_with_jitter(const Eigen::Ref<const Eigen::MatrixXd>& a) {
    if (a.rows() != a.cols()) {
        throw std::invalid_argument("cholesky_with_jitter needs a square matrix");
    }
    if (!a.triangularView<Eigen::Lower>().toDenseMatrix().allFinite()) {
        throw std::invalid_argument("the covariance matrix has non-finite entries");
    }
    Cholesky result;
    if (a.rows() == 0) {
        result.lower.resize(0, 0);
        return result;
    }
    if (try_factor(a, 0.0, result.lower)) {
        return result;
    }
    const double scale = std::max(a.diagonal().mean(), 1e-300);
    for (int e = -10; e <= -2; ++e) {
        const double jitter = scale * std::pow(10.0, e);
        if (try_factor(a, jitter, result.lower)) {
            result.jitter = jitter;
            return result;
        }
    }
    throw std::invalid_argument(
        "the covariance matrix is not positive definite even with jitter 1e-2 * mean diagonal");
}

void cholesky_inverse_lower(const Eigen::MatrixXd& lower, Eigen::MatrixXd& out, int n_threads) {
    const Index n = lower.rows();
    if (lower.cols() != n || out.rows() != n || out.cols() != n) {
        throw std::invalid_argument("cholesky_inverse_lower needs square matrices of one size");
    }
    constexpr Index kBlock = 64;
    const Index n_blocks = (n + kBlock - 1) / kBlock;
    Eigen::MatrixXd inv(n, n);  // L^-1, lower triangle filled
    const double work = static_cast<double>(n) * static_cast<double>(n) *
                        static_cast<double>(n) / 3.0;
    n_threads = threads_for_work(work, n_threads);
    parallel_for(n_blocks, n_threads, [&](std::ptrdiff_t idx) {
        const Index c = balanced_column(idx, n_blocks) * kBlock;
        const Index w = std::min(kBlock, n - c);
        const Index m = n - c;
        auto x = inv.block(c, c, m, w);
        x.setZero();
        x.topRows(w).setIdentity();
        dense::trsm_lower(&lower(c, c), n, m, &inv(c, c), n, w, false);
    });
    parallel_for(n_blocks, n_threads, [&](std::ptrdiff_t idx) {
        const Index c = balanced_column(idx, n_blocks) * kBlock;
        const Index w = std::min(kBlock, n - c);
        const Index m = n - c;
        dense::lower_t_times(&inv(c, c), n, m, &inv(c, c), n, w, &out(c, c), n);
    });
}

double appended_pivot(double c, const VectorXd& l) {
    const double p2 = c - l.squaredNorm();
    if (!(p2 > 1e-12 * std::abs(c)) || !std::isfinite(p2)) {
        return 0.0;
    }
    return std::sqrt(p2);
}

}  // namespace hyperdial
