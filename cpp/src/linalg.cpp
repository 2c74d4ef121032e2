#include "hyperdial/linalg.hpp"

#include <cmath>
#include <stdexcept>

#include <Eigen/Cholesky>

namespace hyperdial {
namespace {

bool try_factor(const Eigen::Ref<const Eigen::MatrixXd>& a, double jitter, Eigen::MatrixXd& out) {
    out = a;
    out.diagonal().array() += jitter;
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(out);
    if (llt.info() != Eigen::Success) {
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

double appended_pivot(double c, const VectorXd& l) {
    const double p2 = c - l.squaredNorm();
    if (!(p2 > 1e-12 * std::abs(c)) || !std::isfinite(p2)) {
        return 0.0;
    }
    return std::sqrt(p2);
}

}  // namespace hyperdial
