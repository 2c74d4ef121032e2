#include "hyperdial/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "hyperdial/dense.hpp"
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

void KernelInputs::point(Index i, double* sq, double* cq) const {
    for (std::size_t j = 0; j < cont.size(); ++j) {
        sq[j] = scaled[j * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
    }
    for (std::size_t j = 0; j < cat.size(); ++j) {
        cq[j] = codes[j * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
    }
}

KernelInputs prepare_inputs(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                            const Eigen::Ref<const RowMatrixXd>& mask) {
    KernelInputs in;
    in.n = x.rows();
    const auto n = static_cast<std::size_t>(in.n);
    for (Index j = 0; j < kernel.dims(); ++j) {
        if (kernel.dim_kinds[static_cast<std::size_t>(j)] ==
            static_cast<int>(DimKind::categorical)) {
            in.cat.push_back(j);
            in.cat_w.push_back(kernel.inv_ls[static_cast<std::size_t>(j)]);
        } else {
            in.cont.push_back(j);
        }
    }
    in.scaled.resize(in.cont.size() * n);
    in.codes.resize(in.cat.size() * n);
    const bool has_mask = mask.size() != 0;
    for (std::size_t jj = 0; jj < in.cont.size(); ++jj) {
        const Index j = in.cont[jj];
        const double w = kernel.inv_ls[static_cast<std::size_t>(j)];
        for (Index i = 0; i < in.n; ++i) {
            const double v = (!has_mask || mask(i, j) != 0.0) ? x(i, j) : 0.5;
            in.scaled[jj * n + static_cast<std::size_t>(i)] = v * w;
        }
    }
    for (std::size_t jj = 0; jj < in.cat.size(); ++jj) {
        const Index j = in.cat[jj];
        for (Index i = 0; i < in.n; ++i) {
            in.codes[jj * n + static_cast<std::size_t>(i)] =
                (!has_mask || mask(i, j) != 0.0) ? x(i, j) : -1.0;
        }
    }
    return in;
}

void prepare_query(const Kernel& kernel, const KernelInputs& layout, const double* q, double* sq,
                   double* cq) {
    for (std::size_t jj = 0; jj < layout.cont.size(); ++jj) {
        const auto j = static_cast<std::size_t>(layout.cont[jj]);
        sq[jj] = q[j] * kernel.inv_ls[j];
    }
    for (std::size_t jj = 0; jj < layout.cat.size(); ++jj) {
        cq[jj] = q[static_cast<std::size_t>(layout.cat[jj])];
    }
}

void kernel_against(const Kernel& kernel, const KernelInputs& in, Index k0, Index k1,
                    const double* sq, const double* cq, double* out, double* g) {
    dense::kernel_block(kernel.kind == KernelKind::matern52, kernel.signal, in.n,
                        static_cast<long>(in.cont.size()), in.scaled.data(), sq,
                        static_cast<long>(in.cat.size()), in.codes.data(), cq, in.cat_w.data(),
                        k0, k1, out, g);
}

Index balanced_column(Index i, Index n) {
    // 0, n-1, 1, n-2, ...: pairs of a long and a short column.
    return (i % 2 == 0) ? i / 2 : n - 1 - i / 2;
}

RowMatrixXd kernel_matrix(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x1,
                          const Eigen::Ref<const RowMatrixXd>& mask1,
                          const Eigen::Ref<const RowMatrixXd>& x2,
                          const Eigen::Ref<const RowMatrixXd>& mask2, int n_threads) {
    check_inputs(kernel, x1, mask1, "x1");
    check_inputs(kernel, x2, mask2, "x2");
    const KernelInputs in1 = prepare_inputs(kernel, x1, mask1);
    const KernelInputs in2 = prepare_inputs(kernel, x2, mask2);
    RowMatrixXd out(x1.rows(), x2.rows());
    const double work = static_cast<double>(x1.rows()) * static_cast<double>(x2.rows()) *
                        static_cast<double>(kernel.dims() + 16);
    parallel_for(x1.rows(), threads_for_work(work, n_threads), [&](std::ptrdiff_t i) {
        std::vector<double> sq(in1.cont.size() + 1);
        std::vector<double> cq(in1.cat.size() + 1);
        in1.point(i, sq.data(), cq.data());
        kernel_against(kernel, in2, 0, in2.n, sq.data(), cq.data(), out.row(i).data(), nullptr);
    });
    return out;
}

void gram_lower(const Kernel& kernel, const KernelInputs& in, Eigen::MatrixXd& out,
                int n_threads, bool factors) {
    const Index n = in.n;
    const double work = 0.5 * static_cast<double>(n) * static_cast<double>(n) *
                        static_cast<double>(in.cont.size() + in.cat.size() + 16);
    parallel_for(n, threads_for_work(work, n_threads), [&](std::ptrdiff_t idx) {
        const Index i = balanced_column(idx, n);
        std::vector<double> sq(in.cont.size() + 1);
        std::vector<double> cq(in.cat.size() + 1);
        in.point(i, sq.data(), cq.data());
        // k(x_i, x_i) = s2 base(0) exp(0) = s2 (what kernel_against returns there, bit for bit).
        out(i, i) = kernel.signal;
        kernel_against(kernel, in, i + 1, n, sq.data(), cq.data(), &out(i + 1, i),
                       factors && i + 1 < n ? &out(0, n - 1 - i) : nullptr);
    });
}

namespace {

// Column i of the contraction (dense::grad_contract_column) into partial.row(i), in the order of
// the parameters (lengthscales by dimension, then the signal variance).
void contract_column(const Kernel& kernel, const KernelInputs& in, Index i, double w_diag,
                     const double* w_off, double off_scale, const double* k_off,
                     const double* g_off, std::vector<double>& tmp, RowMatrixXd& partial) {
    const Index n = in.n;
    const Index m = n - 1 - i;
    const auto nc = in.cont.size();
    const auto nk = in.cat.size();
    tmp.resize(static_cast<std::size_t>(2 * m) + nc + nk + 1);
    double* sums = tmp.data() + 2 * m;
    const auto ui = static_cast<std::size_t>(i);
    dense::grad_contract_column(m, n, static_cast<long>(nc), in.scaled.data() + ui,
                                static_cast<long>(nk), in.codes.data() + ui, w_diag,
                                kernel.signal, w_off, off_scale, k_off, g_off, tmp.data(), sums);
    double* grad = partial.row(i).data();
    for (std::size_t j = 0; j < nc; ++j) {
        grad[in.cont[j]] = sums[j];
    }
    for (std::size_t j = 0; j < nk; ++j) {
        grad[in.cat[j]] = sums[nc + j] * in.cat_w[j];
    }
    grad[kernel.dims()] = sums[nc + nk];
}

// The per-column partial sums added in column order, so the total does not depend on the
// thread count.
VectorXd add_columns(const RowMatrixXd& partial) {
    VectorXd total = VectorXd::Zero(partial.cols());
    for (Index i = 0; i < partial.rows(); ++i) {
        total += partial.row(i).transpose();
    }
    return total;
}

double contract_work(Index n, Index d) {
    return static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(2 * d + 16);
}

}  // namespace

VectorXd gram_grad_contract(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                            const Eigen::Ref<const RowMatrixXd>& mask,
                            const Eigen::Ref<const Eigen::MatrixXd>& w, int n_threads,
                            bool lower_only) {
    const Index n = x.rows();
    const Index d = kernel.dims();
    const KernelInputs in = prepare_inputs(kernel, x, mask);
    // Column i holds the pairs (k, i), k >= i, each off-diagonal pair counted twice (W and dK
    // are symmetric).
    RowMatrixXd partial = RowMatrixXd::Zero(n, d + 1);
    parallel_for(n, threads_for_work(contract_work(n, d), n_threads), [&](std::ptrdiff_t idx) {
        const Index i = balanced_column(idx, n);
        const Index m = n - 1 - i;
        std::vector<double> sq(in.cont.size() + 1);
        std::vector<double> cq(in.cat.size() + 1);
        std::vector<double> kv(static_cast<std::size_t>(m) + 1);
        std::vector<double> gv(static_cast<std::size_t>(m) + 1);
        std::vector<double> ws(static_cast<std::size_t>(m) + 1);
        std::vector<double> tmp;
        in.point(i, sq.data(), cq.data());
        kernel_against(kernel, in, i + 1, n, sq.data(), cq.data(), kv.data(), gv.data());
        for (Index t = 0; t < m; ++t) {
            ws[static_cast<std::size_t>(t)] =
                lower_only ? w(i + 1 + t, i) : w(i + 1 + t, i) + w(i, i + 1 + t);
        }
        contract_column(kernel, in, i, w(i, i), ws.data(), lower_only ? 2.0 : 1.0, kv.data(),
                        gv.data(), tmp, partial);
    });
    return add_columns(partial);
}

VectorXd gram_grad_contract_stored(const Kernel& kernel, const KernelInputs& in,
                                   const Eigen::MatrixXd& kg, const Eigen::MatrixXd& w,
                                   int n_threads) {
    const Index n = in.n;
    const Index d = kernel.dims();
    RowMatrixXd partial = RowMatrixXd::Zero(n, d + 1);
    parallel_for(n, threads_for_work(contract_work(n, d), n_threads), [&](std::ptrdiff_t idx) {
        const Index i = balanced_column(idx, n);
        std::vector<double> tmp;
        const bool last = i + 1 == n;
        contract_column(kernel, in, i, w(i, i), last ? nullptr : &w(i + 1, i), 2.0,
                        last ? nullptr : &kg(i + 1, i), last ? nullptr : &kg(0, n - 1 - i), tmp,
                        partial);
    });
    return add_columns(partial);
}

}  // namespace hyperdial
