#include "hyperdial/gp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hyperdial/dense.hpp"
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
    init(log_params, x, y, mask, n_threads);
    refactor(n_threads);
}

ExactGP::ExactGP(int kernel_kind, const std::vector<int>& dim_kinds, const VectorXd& log_params,
                 const Eigen::Ref<const RowMatrixXd>& x, const Eigen::Ref<const VectorXd>& y,
                 const Eigen::Ref<const RowMatrixXd>& mask, Eigen::MatrixXd factor,
                 double jitter, std::shared_ptr<const Eigen::MatrixXd> inverse)
    : kernel_(make_kernel(kernel_kind, dim_kinds, log_params)), log_params_(log_params) {
    init(log_params, x, y, mask, 1);
    if (factor.rows() != x.rows() || factor.cols() != x.rows()) {
        throw std::invalid_argument("factor must be (n, n) with n = " + std::to_string(x.rows()));
    }
    if (inverse != nullptr && (inverse->rows() != x.rows() || inverse->cols() != x.rows())) {
        throw std::invalid_argument("inverse must be (n, n) with n = " + std::to_string(x.rows()));
    }
    inverse_ = std::move(inverse);
    inputs_ = prepare_inputs(kernel_, x_, mask_);
    set_factor(factor);
    jitter_ = jitter;
    solve_alpha();
}

void ExactGP::set_factor(const Eigen::MatrixXd& l) {
    const Index n = l.rows();
    const Index capacity = n + std::max<Index>(16, n / 16);
    factor_.resize(capacity, capacity);
    factor_.topLeftCorner(n, n) = l;
    factor_.rightCols(capacity - n).setZero();  // the room (never read before it is written,
    factor_.bottomLeftCorner(capacity - n, n).setZero();  // but copies read it)
}

void ExactGP::init(const VectorXd& log_params, const Eigen::Ref<const RowMatrixXd>& x,
                   const Eigen::Ref<const VectorXd>& y, const Eigen::Ref<const RowMatrixXd>& mask,
                   int n_threads) {
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
}

void ExactGP::refactor(int n_threads) {
    inverse_.reset();
    inputs_ = prepare_inputs(kernel_, x_, mask_);
    Eigen::MatrixXd a(x_.rows(), x_.rows());
    gram_lower(kernel_, inputs_, a, n_threads);
    a.diagonal().array() += noise_;
    const Cholesky c = cholesky_with_jitter(a, n_threads);
    set_factor(c.lower);
    jitter_ = c.jitter;
    solve_alpha();
}

void ExactGP::solve_alpha() {
    const auto l = lower();
    alpha_ = l.triangularView<Eigen::Lower>().solve(y_);
    l.triangularView<Eigen::Lower>().transpose().solveInPlace(alpha_);
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
    inverse_.reset();
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
    if (factor_.rows() < n + 1) {
        const Eigen::MatrixXd old = factor_.topLeftCorner(n, n);
        set_factor(old);  // room for this row and n / 16 more
    }
    const double pivot = append_factor_row(factor_, n, k, c);

    x_.conservativeResize(n + 1, d);
    x_.row(n) = x_new.transpose();
    y_.conservativeResize(n + 1);
    y_[n] = y_new;
    if (mask_.size() != 0) {
        mask_.conservativeResize(n + 1, d);
        mask_.row(n) = mask_row.transpose();
    }
    if (pivot == 0.0) {
        refactor(n_threads);
        return;
    }
    inputs_ = prepare_inputs(kernel_, x_, mask_);
    solve_alpha();
}

void ExactGP::bounds(const Eigen::Ref<const RowMatrixXd>& xq, VectorXd& mean_ub,
                     VectorXd& var_ub, int n_threads) const {
    check_inputs(kernel_, xq, RowMatrixXd(0, 0), "x");
    const Index m = xq.rows();
    const Index n = x_.rows();
    mean_ub.resize(m);
    var_ub.resize(m);
    const std::size_t nc = inputs_.cont.size();
    const std::size_t nk = inputs_.cat.size();
    const double s2 = kernel_.signal;
    const double diag = s2 + noise_ + jitter_;  // K_ii + jitter: the factorised diagonal
    // |error| of a dot product of length n is below n eps sum |a_i b_i| (Higham, Thm 3.5);
    // predict's and this one's may err in opposite directions.
    const double dot_margin = 2.0 * static_cast<double>(n + 2) * 1.12e-16;
    const Index n_blocks = (m + kQueryBlock - 1) / kQueryBlock;
    const double work = static_cast<double>(m) * static_cast<double>(n) *
                        static_cast<double>(nc + nk + 16);
    parallel_for(n_blocks, threads_for_work(work, n_threads), [&](std::ptrdiff_t b) {
        const Index start = b * kQueryBlock;
        const Index size = std::min(kQueryBlock, m - start);
        std::vector<double> kq(static_cast<std::size_t>(n));
        std::vector<double> sq(nc + 1);
        std::vector<double> cq(nk + 1);
        std::vector<double> sa(nc + 1);
        std::vector<double> ca(nk + 1);
        for (Index q = start; q < start + size; ++q) {
            prepare_query(kernel_, inputs_, xq.row(q).data(), sq.data(), cq.data());
            kernel_against(kernel_, inputs_, 0, n, sq.data(), cq.data(), kq.data(), nullptr);
            double sums[2];
            long top[2];
            dense::bound_terms(static_cast<long>(n), kq.data(), alpha_.data(), sums, top);
            const double mean = sums[0];
            const double abs_sum = sums[1];
            const Index a = top[0];  // the two largest k(x_i, q), a first
            const Index c = top[1];
            const double ka = kq[static_cast<std::size_t>(a)];
            double var = s2 - ka * ka / diag;  // given observation a alone
            if (c != a) {
                const double kc = kq[static_cast<std::size_t>(c)];
                double kac = 0.0;
                inputs_.point(a, sa.data(), ca.data());
                kernel_against(kernel_, inputs_, c, c + 1, sa.data(), ca.data(), &kac, nullptr);
                const double det = diag * diag - kac * kac;
                if (det > 1e-6 * diag * diag) {  // given a and c (2 x 2 solve, well posed)
                    var = std::min(var, s2 - (diag * (ka * ka + kc * kc) - 2.0 * kac * ka * kc) /
                                                 det);
                }
            }
            mean_ub[q] = mean + dot_margin * abs_sum;
            var_ub[q] = std::max(var, 0.0) + 1e-9 * s2;
        }
    });
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
    const std::size_t nc = inputs_.cont.size();
    const std::size_t nk = inputs_.cat.size();
    const auto un = static_cast<std::size_t>(n);
    const double work = static_cast<double>(m) * static_cast<double>(n) *
                        static_cast<double>(n + d + 16) * (with_grad ? 2.0 : 1.0);
    parallel_for(n_blocks, threads_for_work(work, n_threads), [&](std::ptrdiff_t b) {
        const Index start = b * kQueryBlock;
        const Index size = std::min(kQueryBlock, m - start);
        Eigen::MatrixXd kq(n, size);
        Eigen::MatrixXd gq(with_grad ? n : 0, with_grad ? size : 0);
        RowMatrixXd sq(size, static_cast<Index>(nc) + 1);
        std::vector<double> cq(nk + 1);
        for (Index q = 0; q < size; ++q) {
            prepare_query(kernel_, inputs_, xq.row(start + q).data(), sq.row(q).data(), cq.data());
            kernel_against(kernel_, inputs_, 0, n, sq.row(q).data(), cq.data(), kq.col(q).data(),
                           with_grad ? gq.col(q).data() : nullptr);
        }
        out.mean.segment(start, size).noalias() = kq.transpose() * alpha_;
        Eigen::MatrixXd v = kq;
        dense::trsm_lower(factor_.data(), factor_.rows(), n, v.data(), n, size, false);
        for (Index q = 0; q < size; ++q) {
            out.var[start + q] = std::max(0.0, kernel_.signal - v.col(q).squaredNorm());
        }
        if (!with_grad) {
            return;
        }
        dense::trsm_lower(factor_.data(), factor_.rows(), n, v.data(), n, size,
                          true);  // v = K^-1 k_q
        // dk_i/dq_j = -g_i (q_j - x_ij) / l_j^2 on continuous/integer dims, 0 on categorical.
        std::vector<double> tmp(2 * un);
        std::vector<double> sa(nc + 1);
        std::vector<double> sc(nc + 1);
        for (Index q = 0; q < size; ++q) {
            dense::predict_grad_sums(static_cast<long>(n), static_cast<long>(nc),
                                     inputs_.scaled.data(), sq.row(q).data(), alpha_.data(),
                                     v.col(q).data(), gq.col(q).data(), tmp.data(), sa.data(),
                                     sc.data());
            for (std::size_t jj = 0; jj < nc; ++jj) {
                const Index j = inputs_.cont[jj];
                const double w = kernel_.inv_ls[static_cast<std::size_t>(j)];
                out.dmean(start + q, j) = -w * sa[jj];
                out.dvar(start + q, j) = 2.0 * w * sc[jj];
            }
        }
    });
    return out;
}

double ExactGP::log_marginal_likelihood() const {
    const auto n = static_cast<double>(x_.rows());
    return -0.5 * y_.dot(alpha_) - lower().diagonal().array().log().sum() - n * kHalfLog2Pi;
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
