#include "hyperdial/gp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "hyperdial/linalg.hpp"
#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

constexpr Index kQueryBlock = 64;
constexpr double kHalfLog2Pi = 0.91893853320467274178032973640562;

}  // namespace

ExactGP::ExactGP(int kernel_kind, const std::vector<int>& dim_kinds, const VectorXd& log_params,
                 const Eigen::Ref<const RowMatrixXd>& x, const Eigen::Ref<const VectorXd>& y,
                 const Eigen::Ref<const RowMatrixXd>& mask, int n_threads)
    : kernel_(make_kernel(kernel_kind, dim_kinds, log_params)), log_params_(log_params) {
    check_n_threads(n_threads);
    const Index d = kernel_.dims();
    if (log_params.size() != d + 2) {
        throw std::invalid_argument("log_params must have d + 2 = " + std::to_string(d + 2) +
                                    " entries, got " + std::to_string(log_params.size()));
    }
    check_inputs(kernel_, x, mask, "x");
    if (x.rows() < 1) {
        throw std::invalid_argument("x must have at least one row");
    }
    if (y.size() != x.rows()) {
        throw std::invalid_argument("y must have n = " + std::to_string(x.rows()) +
                                    " entries, got " + std::to_string(y.size()));
    }
    if (!y.allFinite()) {
        throw std::invalid_argument("y must be finite");
    }
    noise_ = std::exp(log_params[d + 1]);
    x_ = x;
    y_ = y;
    mask_ = mask;
    refactor(n_threads);
}

void ExactGP::refactor(int n_threads) {
    const RowMatrixXd k = kernel_matrix(kernel_, x_, mask_, x_, mask_, n_threads);
    Eigen::MatrixXd a = k;
    a.diagonal().array() += noise_;
    Cholesky c = cholesky_with_jitter(a);
    chol_ = std::move(c.lower);
    jitter_ = c.jitter;
    solve_alpha();
}

void ExactGP::solve_alpha() {
    alpha_ = chol_.triangularView<Eigen::Lower>().solve(y_);
    chol_.triangularView<Eigen::Lower>().transpose().solveInPlace(alpha_);
}

void ExactGP::append(const Eigen::Ref<const VectorXd>& x_new, double y_new,
                     const Eigen::Ref<const VectorXd>& mask_new, int n_threads) {
    check_n_threads(n_threads);
    const Index d = dims();
    if (x_new.size() != d) {
        throw std::invalid_argument("x_new must have d = " + std::to_string(d) +
                                    " entries, got " + std::to_string(x_new.size()));
    }
    if (!x_new.allFinite() || !std::isfinite(y_new)) {
        throw std::invalid_argument("x_new and y_new must be finite");
    }
    const bool has_mask = mask_new.size() != 0;
    if (has_mask && mask_new.size() != d) {
        throw std::invalid_argument("mask_new must be empty or have d entries");
    }
    if (has_mask && ((mask_new.array() != 0.0) && (mask_new.array() != 1.0)).any()) {
        throw std::invalid_argument("mask_new must hold only 0 and 1");
    }
    const Index n = x_.rows();
    if (has_mask && mask_.size() == 0) {
        mask_ = RowMatrixXd::Ones(n, d);
    }
    const double* m_new = nullptr;
    VectorXd mask_row = has_mask ? VectorXd(mask_new) : VectorXd::Ones(d);
    if (mask_.size() != 0) {
        m_new = mask_row.data();
    }
    VectorXd k(n);
    for (Index i = 0; i < n; ++i) {
        k[i] = kernel_.value(x_.row(i).data(), x_new.data(),
                             mask_.size() == 0 ? nullptr : mask_.row(i).data(), m_new);
    }
    const double c = kernel_.value(x_new.data(), x_new.data(), m_new, m_new) + noise_ + jitter_;
    VectorXd l = chol_.triangularView<Eigen::Lower>().solve(k);

    x_.conservativeResize(n + 1, d);
    x_.row(n) = x_new.transpose();
    y_.conservativeResize(n + 1);
    y_[n] = y_new;
    if (mask_.size() != 0) {
        mask_.conservativeResize(n + 1, d);
        mask_.row(n) = mask_row.transpose();
    }
    const double pivot = appended_pivot(c, l);
    if (pivot == 0.0) {
        refactor(n_threads);
        return;
    }
    chol_.conservativeResize(n + 1, n + 1);
    chol_.col(n).setZero();
    chol_.row(n).head(n) = l.transpose();
    chol_(n, n) = pivot;
    solve_alpha();
}

Prediction ExactGP::predict(const Eigen::Ref<const RowMatrixXd>& xq, bool with_grad,
                            int n_threads) const {
    check_inputs(kernel_, xq, RowMatrixXd(0, 0), "x");
    const Index m = xq.rows();
    const Index n = x_.rows();
    const Index d = dims();
    Prediction out;
    out.mean.resize(m);
    out.var.resize(m);
    if (with_grad) {
        out.dmean.setZero(m, d);
        out.dvar.setZero(m, d);
    }
    const Index n_blocks = (m + kQueryBlock - 1) / kQueryBlock;
    parallel_for(n_blocks, n_threads, [&](std::ptrdiff_t b) {
        const Index start = b * kQueryBlock;
        const Index size = std::min(kQueryBlock, m - start);
        Eigen::MatrixXd kq(n, size);
        for (Index q = 0; q < size; ++q) {
            for (Index i = 0; i < n; ++i) {
                kq(i, q) = kernel_.value(x_.row(i).data(), xq.row(start + q).data(),
                                         mask_.size() == 0 ? nullptr : mask_.row(i).data(),
                                         nullptr);
            }
        }
        out.mean.segment(start, size) = kq.transpose() * alpha_;
        Eigen::MatrixXd v = chol_.triangularView<Eigen::Lower>().solve(kq);
        for (Index q = 0; q < size; ++q) {
            out.var[start + q] = std::max(0.0, kernel_.signal - v.col(q).squaredNorm());
        }
        if (!with_grad) {
            return;
        }
        chol_.triangularView<Eigen::Lower>().transpose().solveInPlace(v);  // v = K^-1 k_q
        VectorXd dk(d);
        for (Index q = 0; q < size; ++q) {
            auto dmean = out.dmean.row(start + q);
            auto dvar = out.dvar.row(start + q);
            for (Index i = 0; i < n; ++i) {
                kernel_.value_and_x_grad(xq.row(start + q).data(), x_.row(i).data(),
                                         mask_.size() == 0 ? nullptr : mask_.row(i).data(),
                                         dk.data());
                dmean += alpha_[i] * dk.transpose();
                dvar -= (2.0 * v(i, q)) * dk.transpose();
            }
        }
    });
    return out;
}

double ExactGP::log_marginal_likelihood() const {
    const auto n = static_cast<double>(x_.rows());
    return -0.5 * y_.dot(alpha_) - chol_.diagonal().array().log().sum() - n * kHalfLog2Pi;
}

ExactGP with_fantasies(const ExactGP& gp, const Eigen::Ref<const RowMatrixXd>& x_pending,
                       int n_threads) {
    check_inputs(gp.kernel(), x_pending, RowMatrixXd(0, 0), "x_pending");
    ExactGP out(gp);
    const VectorXd empty(0);
    for (Index i = 0; i < x_pending.rows(); ++i) {
        const double mean = out.predict(x_pending.row(i), false, 1).mean[0];
        out.append(x_pending.row(i).transpose(), mean, empty, n_threads);
    }
    return out;
}

}  // namespace hyperdial
