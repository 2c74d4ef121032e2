#include "hyperdial/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "hyperdial/dense.hpp"
#include "hyperdial/errors.hpp"
#include "hyperdial/kernels.hpp"
#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

// In-place Cholesky of the lower triangle of the n x n column-major a, right-looking by panels
// of kPanel columns: factor the diagonal block, solve the panel below it, subtract the panel's
// outer product from the trailing lower triangle. The panel solve and the update run in
// parallel over fixed row / column blocks, so the result does not depend on n_threads.
// (The update also writes the strictly upper part of the diagonal blocks, never read.)
bool blocked_llt(double* a, Index n, int n_threads) {
    constexpr Index kPanel = 128;
    if (n <= 2 * kPanel) {
        return dense::llt_lower(a, n, n);
    }
    const auto at = [a, n](Index r, Index c) {
        return a + static_cast<std::size_t>(c) * static_cast<std::size_t>(n) +
               static_cast<std::size_t>(r);
    };
    for (Index k = 0; k < n; k += kPanel) {
        const Index w = std::min(kPanel, n - k);
        if (!dense::llt_lower(at(k, k), w, n)) {
            return false;
        }
        const Index rest = n - k - w;
        if (rest == 0) {
            break;
        }
        const Index n_blocks = (rest + kPanel - 1) / kPanel;
        const double work = static_cast<double>(rest) * static_cast<double>(rest) *
                            static_cast<double>(w);
        const int threads = threads_for_work(work, n_threads);
        parallel_for(n_blocks, threads, [&](std::ptrdiff_t b) {
            const Index r0 = k + w + b * kPanel;
            dense::trsm_right_lower_t(at(k, k), n, w, at(r0, k), n, std::min(kPanel, n - r0));
        });
        parallel_for(n_blocks, threads, [&](std::ptrdiff_t idx) {
            const Index c0 = k + w + balanced_column(idx, n_blocks) * kPanel;
            const Index cw = std::min(kPanel, n - c0);
            dense::gemm_nt_sub(at(c0, k), n, n - c0, w, at(c0, k), n, cw, at(c0, c0), n);
        });
    }
    return true;
}

bool try_factor(const Eigen::Ref<const Eigen::MatrixXd>& a, double jitter, Eigen::MatrixXd& out,
                int n_threads) {
    out = a;
    out.diagonal().array() += jitter;
    if (!blocked_llt(out.data(), out.rows(), n_threads)) {
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

double cholesky_with_jitter_into(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                 Eigen::MatrixXd& lower, int n_threads) {
    if (a.rows() != a.cols()) {
        throw std::invalid_argument("cholesky_with_jitter needs a square matrix");
    }
    for (Index c = 0; c < a.cols(); ++c) {
        if (!a.col(c).tail(a.rows() - c).allFinite()) {
            throw NumericalError("the covariance matrix has non-finite entries");
        }
    }
    if (a.rows() == 0) {
        lower.resize(0, 0);
        return 0.0;
    }
    if (try_factor(a, 0.0, lower, n_threads)) {
        return 0.0;
    }
    const double scale = std::max(a.diagonal().mean(), 1e-300);
    for (int e = -10; e <= -2; ++e) {
        const double jitter = scale * std::pow(10.0, e);
        if (try_factor(a, jitter, lower, n_threads)) {
            return jitter;
        }
    }
    throw NumericalError(
        "the covariance matrix is not positive definite even with jitter 1e-2 * mean diagonal");
}

Cholesky cholesky_with_jitter(const Eigen::Ref<const Eigen::MatrixXd>& a, int n_threads) {
    Cholesky result;
    result.jitter = cholesky_with_jitter_into(a, result.lower, n_threads);
    return result;
}

void cholesky_inverse_lower(const Eigen::MatrixXd& lower, Eigen::MatrixXd& out, int n_threads,
                            Eigen::MatrixXd* scratch) {
    const Index n = lower.rows();
    if (lower.cols() != n || out.rows() != n || out.cols() != n) {
        throw std::invalid_argument("cholesky_inverse_lower needs square matrices of one size");
    }
    constexpr Index kBlock = 64;
    const Index n_blocks = (n + kBlock - 1) / kBlock;
    Eigen::MatrixXd own;
    Eigen::MatrixXd& inv = scratch != nullptr ? *scratch : own;  // L^-1, lower triangle filled
    inv.resize(n, n);
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

double append_factor_row(Eigen::MatrixXd& factor, Index i, Eigen::Ref<VectorXd> l, double c) {
    if (l.size() != i || factor.rows() <= i || factor.cols() <= i) {
        throw std::invalid_argument("append_factor_row: l must have i entries, factor > i rows");
    }
    dense::trsm_lower(factor.data(), factor.rows(), i, l.data(), i, 1, false);  // L^-1 k
    const double p2 = c - l.squaredNorm();
    if (!(p2 > 1e-12 * std::abs(c)) || !std::isfinite(p2)) {
        return 0.0;
    }
    const double pivot = std::sqrt(p2);
    factor.row(i).head(i) = l.transpose();
    factor.col(i).head(i).setZero();
    factor(i, i) = pivot;
    return pivot;
}

}  // namespace hyperdial
