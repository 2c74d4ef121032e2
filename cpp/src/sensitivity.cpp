#include "hyperdial/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "hyperdial/kernels.hpp"
#include "hyperdial/parallel.hpp"
#include "hyperdial/sobol.hpp"

namespace hyperdial {

namespace {

constexpr Index kBlock = 64;

void check_sobol_inputs(const SobolInputs& in, const std::vector<int>& dim_kinds) {
    const auto d = static_cast<Index>(dim_kinds.size());
    const Index b = in.cdf.size();
    if (static_cast<Index>(in.n_cells.size()) != d) {
        throw std::invalid_argument("n_cells must have one entry per dimension (" +
                                    std::to_string(d) + "), got " +
                                    std::to_string(in.n_cells.size()));
    }
    if (b < 1) {
        throw std::invalid_argument("cdf must have at least one branch");
    }
    for (Index i = 0; i < b; ++i) {
        const double prev = i == 0 ? 0.0 : in.cdf(i - 1);
        if (!(in.cdf(i) >= prev) || !(in.cdf(i) <= 1.0)) {
            throw std::invalid_argument("cdf must be non-decreasing in [0, 1]");
        }
    }
    if (std::abs(in.cdf(b - 1) - 1.0) > 1e-12) {
        throw std::invalid_argument("the last entry of cdf must be 1");
    }
    auto shape = [&](const RowMatrixXd& a, Index rows, Index cols, const char* name) {
        if (a.rows() != rows || a.cols() != cols) {
            throw std::invalid_argument(std::string(name) + " must be (" + std::to_string(rows) +
                                        ", " + std::to_string(cols) + "), got (" +
                                        std::to_string(a.rows()) + ", " +
                                        std::to_string(a.cols()) + ")");
        }
    };
    shape(in.mask, b, d, "mask");
    shape(in.lower, b, d, "lower");
    shape(in.upper, b, d, "upper");
    if (in.codes.rows() != b * d) {
        throw std::invalid_argument("codes must have branches * dims rows");
    }
    for (Index i = 0; i < b; ++i) {
        for (Index j = 0; j < d; ++j) {
            if (dim_kinds[static_cast<std::size_t>(j)] == static_cast<int>(DimKind::categorical)) {
                if (in.mask(i, j) != 0.0 && (in.codes.cols() == 0 || std::isnan(in.codes(i * d + j, 0)))) {
                    throw std::invalid_argument("codes must hold at least one code for every "
                                                "active categorical dimension");
                }
            } else if (!(0.0 <= in.lower(i, j) && in.lower(i, j) <= in.upper(i, j) &&
                         in.upper(i, j) <= 1.0)) {
                throw std::invalid_argument("lower and upper must satisfy 0 <= lower <= upper <= 1");
            }
        }
    }
}

// One row of the map; u has p entries, q receives d.
void map_point(const SobolInputs& in, const std::vector<int>& kinds, const double* u, double* q) {
    const auto d = static_cast<Index>(kinds.size());
    const Index nb = in.cdf.size();
    Index b = 0;
    if (nb > 1) {
        const double xi = u[d];
        while (b < nb - 1 && !(xi < in.cdf(b))) {
            ++b;
        }
    }
    for (Index j = 0; j < d; ++j) {
        const bool cat = kinds[static_cast<std::size_t>(j)] == static_cast<int>(DimKind::categorical);
        if (in.mask(b, j) == 0.0) {
            q[j] = cat ? -1.0 : 0.5;
            continue;
        }
        if (cat) {
            const auto row = in.codes.row(b * d + j);
            Index m = 0;
            while (m < row.size() && !std::isnan(row(m))) {
                ++m;
            }
            const Index k = std::min(m - 1, static_cast<Index>(std::floor(u[j] * static_cast<double>(m))));
            q[j] = row(k);
            continue;
        }
        double t = in.lower(b, j) + u[j] * (in.upper(b, j) - in.lower(b, j));
        const int c = in.n_cells[static_cast<std::size_t>(j)];
        if (c > 0) {
            const double k = std::min(static_cast<double>(c - 1), std::floor(t * c));
            t = (k + 0.5) / c;
        }
        q[j] = t;
    }
}

}  // namespace

RowMatrixXd sobol_inputs_map(const SobolInputs& inputs, const std::vector<int>& dim_kinds,
                             const Eigen::Ref<const RowMatrixXd>& u) {
    check_sobol_inputs(inputs, dim_kinds);
    const auto d = static_cast<Index>(dim_kinds.size());
    const Index p = d + (inputs.cdf.size() > 1 ? 1 : 0);
    if (u.cols() != p) {
        throw std::invalid_argument("u must have " + std::to_string(p) + " columns, got " +
                                    std::to_string(u.cols()));
    }
    RowMatrixXd q(u.rows(), d);
    for (Index i = 0; i < u.rows(); ++i) {
        map_point(inputs, dim_kinds, u.row(i).data(), q.row(i).data());
    }
    return q;
}

SobolIndicesResult sobol_indices(int kernel_kind, const std::vector<int>& dim_kinds,
                                 const VectorXd& log_params,
                                 const Eigen::Ref<const RowMatrixXd>& x,
                                 const Eigen::Ref<const RowMatrixXd>& mask,
                                 const Eigen::Ref<const RowMatrixXd>& alphas,
                                 const SobolInputs& inputs, std::int64_t n_base,
                                 std::uint64_t seed, int n_threads) {
    check_n_threads(n_threads);
    const Kernel kernel = make_kernel(kernel_kind, dim_kinds, log_params);
    check_inputs(kernel, x, mask, "x");
    check_sobol_inputs(inputs, dim_kinds);
    const Index n = x.rows();
    const auto d = static_cast<Index>(dim_kinds.size());
    if (n < 1) {
        throw std::invalid_argument("x must have at least one row");
    }
    if (alphas.rows() != n || alphas.cols() < 1) {
        throw std::invalid_argument("alphas must be (" + std::to_string(n) +
                                    ", S) with S >= 1, got (" + std::to_string(alphas.rows()) +
                                    ", " + std::to_string(alphas.cols()) + ")");
    }
    if (!alphas.allFinite()) {
        throw std::invalid_argument("alphas must be finite");
    }
    if (n_base < 2 || (n_base & (n_base - 1)) != 0 || n_base > (std::int64_t{1} << 30)) {
        throw std::invalid_argument("n_base must be a power of two in [2, 2**30], got " +
                                    std::to_string(n_base));
    }
    const Index p = d + (inputs.cdf.size() > 1 ? 1 : 0);
    const Index s_cols = alphas.cols();
    const Index nb = static_cast<Index>(n_base);
    const Index m = nb * (p + 2);
    const RowMatrixXd ab = sobol_sample(static_cast<int>(2 * p), 0, n_base, true, seed, n_threads);
    const KernelInputs layout = prepare_inputs(kernel, x, mask);

    // Query row r: block 0 rows are A, block 1 rows B, block 2 + j rows AB_j.
    RowMatrixXd f(m, s_cols);
    const Index n_blocks = (m + kBlock - 1) / kBlock;
    const double work = static_cast<double>(m) * static_cast<double>(n) *
                        static_cast<double>(d + s_cols + 8);
    parallel_for(n_blocks, threads_for_work(work, n_threads), [&](std::ptrdiff_t blk) {
        const Index r0 = static_cast<Index>(blk) * kBlock;
        const Index r1 = std::min(m, r0 + kBlock);
        RowMatrixXd kq(r1 - r0, n);
        std::vector<double> u(static_cast<std::size_t>(p));
        std::vector<double> q(static_cast<std::size_t>(d));
        std::vector<double> sq(layout.cont.size() + 1);
        std::vector<double> cq(layout.cat.size() + 1);
        for (Index r = r0; r < r1; ++r) {
            const Index part = r / nb;
            const Index i = r % nb;
            for (Index j = 0; j < p; ++j) {
                const bool from_b = part == 1 || (part >= 2 && part - 2 == j);
                u[static_cast<std::size_t>(j)] = ab(i, from_b ? p + j : j);
            }
            map_point(inputs, dim_kinds, u.data(), q.data());
            prepare_query(kernel, layout, q.data(), sq.data(), cq.data());
            kernel_against(kernel, layout, 0, n, sq.data(), cq.data(), kq.row(r - r0).data(),
                           nullptr);
        }
        f.middleRows(r0, r1 - r0).noalias() = kq * alphas;
    });

    SobolIndicesResult out;
    out.first.resize(s_cols, p);
    out.total.resize(s_cols, p);
    out.variance.resize(s_cols);
    out.mean.resize(s_cols);
    for (Index s = 0; s < s_cols; ++s) {
        const auto col = f.col(s);
        double f0 = 0.0;
        for (Index i = 0; i < 2 * nb; ++i) {
            f0 += col(i);
        }
        f0 /= static_cast<double>(2 * nb);
        double v = 0.0;
        for (Index i = 0; i < 2 * nb; ++i) {
            v += (col(i) - f0) * (col(i) - f0);
        }
        v /= static_cast<double>(2 * nb);
        out.mean(s) = f0;
        out.variance(s) = v;
        for (Index j = 0; j < p; ++j) {
            double first = 0.0;
            double total = 0.0;
            for (Index i = 0; i < nb; ++i) {
                const double fa = col(i) - f0;
                const double fb = col(nb + i) - f0;
                const double fab = col((2 + j) * nb + i) - f0;
                first += fb * (fab - fa);
                total += (fa - fab) * (fa - fab);
            }
            first /= static_cast<double>(nb);
            total /= static_cast<double>(2 * nb);
            out.first(s, j) = v > 0.0 ? first / v : 0.0;
            out.total(s, j) = v > 0.0 ? total / v : 0.0;
        }
    }
    return out;
}

}  // namespace hyperdial
