#include "hyperdial/kernels.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "hyperdial/parallel.hpp"

namespace hyperdial {
namespace {

constexpr double kSqrt5 = 2.23606797749978969640917366873128;

inline bool active(const double* m, std::size_t j) { return m == nullptr || m[j] != 0.0; }

// The value an inactive dimension stands for (kernels.hpp): 0.5 or category code -1.
inline double coord(const double* x, const double* m, std::size_t j, int kind) {
    if (active(m, j)) {
        return x[j];
    }
    return kind == static_cast<int>(DimKind::categorical) ? -1.0 : 0.5;
}

// base(r) and g(r) (see kernels.hpp) from r^2.
inline void base_and_g(KernelKind kind, double r2, double& base, double& g) {
    if (kind == KernelKind::squared_exponential) {
        base = std::exp(-0.5 * r2);
        g = base;
        return;
    }
    const double r = std::sqrt(r2);
    const double e = std::exp(-kSqrt5 * r);
    base = (1.0 + kSqrt5 * r + (5.0 / 3.0) * r2) * e;
    g = (5.0 / 3.0) * (1.0 + kSqrt5 * r) * e;
}

}  // namespace

double Kernel::value(const double* a, const double* b, const double* ma, const double* mb) const {
    double r2 = 0.0;
    double c = 0.0;
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        const double diff = coord(a, ma, j, dim_kinds[j]) - coord(b, mb, j, dim_kinds[j]);
        if (dim_kinds[j] == static_cast<int>(DimKind::categorical)) {
            c += diff != 0.0 ? inv_ls[j] : 0.0;
        } else {
            const double u = diff * inv_ls[j];
            r2 += u * u;
        }
    }
    double base = 0.0;
    double g = 0.0;
    base_and_g(kind, r2, base, g);
    return signal * base * std::exp(-c);
}

double Kernel::value_and_theta_grad(const double* a, const double* b, const double* ma,
                                    const double* mb, double weight, double* grad) const {
    double r2 = 0.0;
    double c = 0.0;
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        const double diff = coord(a, ma, j, dim_kinds[j]) - coord(b, mb, j, dim_kinds[j]);
        if (dim_kinds[j] == static_cast<int>(DimKind::categorical)) {
            c += diff != 0.0 ? inv_ls[j] : 0.0;
        } else {
            const double u = diff * inv_ls[j];
            r2 += u * u;
        }
    }
    double base = 0.0;
    double g = 0.0;
    base_and_g(kind, r2, base, g);
    const double ec = std::exp(-c);
    const double k = signal * base * ec;
    const double wg = weight * signal * ec * g;
    const double wk = weight * k;
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        const double diff = coord(a, ma, j, dim_kinds[j]) - coord(b, mb, j, dim_kinds[j]);
        if (dim_kinds[j] == static_cast<int>(DimKind::categorical)) {
            grad[j] += diff != 0.0 ? wk * inv_ls[j] : 0.0;
        } else {
            const double u = diff * inv_ls[j];
            grad[j] += wg * u * u;
        }
    }
    grad[dim_kinds.size()] += wk;
    return k;
}

double Kernel::value_and_x_grad(const double* a, const double* b, const double* mb,
                                double* dxa) const {
    double r2 = 0.0;
    double c = 0.0;
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        const double diff = a[j] - coord(b, mb, j, dim_kinds[j]);
        if (dim_kinds[j] == static_cast<int>(DimKind::categorical)) {
            c += diff != 0.0 ? inv_ls[j] : 0.0;
        } else {
            const double u = diff * inv_ls[j];
            r2 += u * u;
        }
    }
    double base = 0.0;
    double g = 0.0;
    base_and_g(kind, r2, base, g);
    const double ec = std::exp(-c);
    const double sg = -signal * ec * g;
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        if (dim_kinds[j] == static_cast<int>(DimKind::categorical)) {
            dxa[j] = 0.0;
        } else {
            dxa[j] = sg * (a[j] - coord(b, mb, j, dim_kinds[j])) * inv_ls[j] * inv_ls[j];
        }
    }
    return signal * base * ec;
}

Kernel make_kernel(int kernel_kind, const std::vector<int>& dim_kinds,
                   const VectorXd& log_params) {
    if (kernel_kind != static_cast<int>(KernelKind::matern52) &&
        kernel_kind != static_cast<int>(KernelKind::squared_exponential)) {
        throw std::invalid_argument("kernel must be 0 (Matern-5/2) or 1 (squared exponential), got " +
                                    std::to_string(kernel_kind));
    }
    if (dim_kinds.empty()) {
        throw std::invalid_argument("dim_kinds must name at least one dimension");
    }
    for (std::size_t j = 0; j < dim_kinds.size(); ++j) {
        if (dim_kinds[j] < 0 || dim_kinds[j] > 2) {
            throw std::invalid_argument("dim_kinds[" + std::to_string(j) +
                                        "] must be 0 (continuous), 1 (integer) or 2 "
                                        "(categorical), got " +
                                        std::to_string(dim_kinds[j]));
        }
    }
    const auto d = static_cast<Index>(dim_kinds.size());
    if (log_params.size() != d + 1 && log_params.size() != d + 2) {
        throw std::invalid_argument("log_params must have d + 2 = " + std::to_string(d + 2) +
                                    " entries (log lengthscales, log signal, log noise), got " +
                                    std::to_string(log_params.size()));
    }
    if (!log_params.allFinite()) {
        throw std::invalid_argument("log_params must be finite");
    }
    Kernel kernel;
    kernel.kind = static_cast<KernelKind>(kernel_kind);
    kernel.dim_kinds = dim_kinds;
    kernel.inv_ls.resize(dim_kinds.size());
    for (Index j = 0; j < d; ++j) {
        kernel.inv_ls[static_cast<std::size_t>(j)] = std::exp(-log_params[j]);
    }
    kernel.signal = std::exp(log_params[d]);
    return kernel;
}

void check_inputs(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                  const Eigen::Ref<const RowMatrixXd>& mask, const char* what) {
    const std::string name(what);
    if (x.cols() != kernel.dims()) {
        throw std::invalid_argument(name + " must have d = " + std::to_string(kernel.dims()) +
                                    " columns, got " + std::to_string(x.cols()));
    }
    if (!x.allFinite()) {
        throw std::invalid_argument(name + " must be finite");
    }
    if (mask.size() == 0) {
        return;
    }
    if (mask.rows() != x.rows() || mask.cols() != x.cols()) {
        throw std::invalid_argument("the mask of " + name + " must be empty or have the shape of " +
                                    name + " (" + std::to_string(x.rows()) + ", " +
                                    std::to_string(x.cols()) + "), got (" +
                                    std::to_string(mask.rows()) + ", " +
                                    std::to_string(mask.cols()) + ")");
    }
    if (((mask.array() != 0.0) && (mask.array() != 1.0)).any()) {
        throw std::invalid_argument("the mask of " + name + " must hold only 0 and 1");
    }
}

RowMatrixXd kernel_matrix(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x1,
                          const Eigen::Ref<const RowMatrixXd>& mask1,
                          const Eigen::Ref<const RowMatrixXd>& x2,
                          const Eigen::Ref<const RowMatrixXd>& mask2, int n_threads) {
    check_inputs(kernel, x1, mask1, "x1");
    check_inputs(kernel, x2, mask2, "x2");
    RowMatrixXd out(x1.rows(), x2.rows());
    parallel_for(x1.rows(), n_threads, [&](std::ptrdiff_t i) {
        const double* m1 = mask1.size() == 0 ? nullptr : mask1.row(i).data();
        for (Index k = 0; k < x2.rows(); ++k) {
            const double* m2 = mask2.size() == 0 ? nullptr : mask2.row(k).data();
            out(i, k) = kernel.value(x1.row(i).data(), x2.row(k).data(), m1, m2);
        }
    });
    return out;
}

VectorXd gram_grad_contract(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                            const Eigen::Ref<const RowMatrixXd>& mask,
                            const Eigen::Ref<const Eigen::MatrixXd>& w, int n_threads) {
    const Index n = x.rows();
    const Index d = kernel.dims();
    // Row i holds the contributions of the pairs (i, k), k <= i, each off-diagonal pair counted
    // twice (W and dK are symmetric); rows are then summed in order.
    RowMatrixXd partial = RowMatrixXd::Zero(n, d + 1);
    parallel_for(n, n_threads, [&](std::ptrdiff_t i) {
        const double* mi = mask.size() == 0 ? nullptr : mask.row(i).data();
        double* grad = partial.row(i).data();
        for (Index k = 0; k < i; ++k) {
            const double* mk = mask.size() == 0 ? nullptr : mask.row(k).data();
            kernel.value_and_theta_grad(x.row(i).data(), x.row(k).data(), mi, mk,
                                        w(i, k) + w(k, i), grad);
        }
        kernel.value_and_theta_grad(x.row(i).data(), x.row(i).data(), mi, mi, w(i, i), grad);
    });
    VectorXd total = VectorXd::Zero(d + 1);
    for (Index i = 0; i < n; ++i) {
        total += partial.row(i).transpose();
    }
    return total;
}

}  // namespace hyperdial
