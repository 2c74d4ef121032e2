// Covariance kernels on inputs normalised to [0, 1]^d, with one kind code per dimension.
//
// Hyperparameters live in log space, theta = [log l_0 .. log l_(d-1), log s2, log noise]
// (size d + 2; the noise entry is used by the GP, not by the kernel). For points a, b:
//     u_j = (a_j - b_j) / l_j                 continuous and integer dimensions (integers are
//                                             values on a grid in [0, 1], see acq_optimize.hpp)
//     r^2 = sum_j u_j^2                       over continuous/integer dims
//     c   = sum_j [a_j != b_j] / l_j          over categorical dims, whose
//                                             values are category codes 0, 1, 2, ...
//     k(a, b) = s2 * base(r) * exp(-c)
// with base(r) = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r) (Matern-5/2, the default) or
// exp(-r^2 / 2) (squared exponential). The categorical factor is the exponentiated overlap
// (Hamming) kernel with one lengthscale per categorical dimension; the whole kernel is a product
// of the continuous kernel and one factor per categorical dim, so it is positive semi-definite.
//
// Activity masks: an optional (n, d) array of 0/1. A dimension a point does not use (inactive,
// e.g. a parameter a define-by-run trial never suggested) is replaced by a fixed stand-in before
// the kernel is evaluated: 0.5 for continuous/integer dims, a category code of its own (-1) for
// categorical dims. So two points that both lack a dimension do not differ in it, and the kernel
// stays positive semi-definite (it is an ordinary kernel of the substituted inputs). Counting a
// dimension only where *both* points are active is not PSD in general (three points: one
// inactive, two far apart), which is why it is not done. An empty mask means all active.
//
// Derivatives (used by the marginal-likelihood gradient; never stored as an n x n x d tensor):
//     dk/dlog l_j = s2 * exp(-c) * g(r) * u_j^2          continuous/integer dim j,
//         g(r) = (5/3)(1 + sqrt5 r) exp(-sqrt5 r) (Matern-5/2) or exp(-r^2/2) (SE)
//     dk/dlog l_j = k * [a_j != b_j] / l_j                categorical dim j
//     dk/dlog s2  = k
// and with respect to a query coordinate a_j (continuous/integer dims; zero for categoricals):
//     dk/da_j = -s2 * exp(-c) * g(r) * (a_j - b_j) / l_j^2.
#pragma once

#include <vector>

#include "hyperdial/types.hpp"

namespace hyperdial {

enum class DimKind : int { continuous = 0, integer = 1, categorical = 2 };
enum class KernelKind : int { matern52 = 0, squared_exponential = 1 };

// A kernel with fixed hyperparameters. Construct through make_kernel, which validates.
struct Kernel {
    KernelKind kind = KernelKind::matern52;
    std::vector<int> dim_kinds;     // DimKind codes, size d
    std::vector<double> inv_ls;     // 1 / l_j, size d
    double signal = 1.0;            // s2

    Index dims() const noexcept { return static_cast<Index>(dim_kinds.size()); }

    // k(a, b) for rows of length d; ma, mb are mask rows or nullptr (all active).
    double value(const double* a, const double* b, const double* ma, const double* mb) const;
};

// Inputs prepared for fast evaluation: the stand-ins of inactive dims substituted, continuous and
// integer coordinates divided by their lengthscales, stored dimension by dimension (structure of
// arrays) so that loops over points vectorise. Build with prepare_inputs; O(n d).
struct KernelInputs {
    Index n = 0;
    std::vector<Index> cont;     // indices of continuous/integer dims
    std::vector<Index> cat;      // indices of categorical dims
    std::vector<double> scaled;  // cont.size() x n: x_ij / l_j (stand-in substituted)
    std::vector<double> codes;   // cat.size() x n: category codes (-1 for inactive)
    std::vector<double> cat_w;   // 1 / l_j of each categorical dim

    // Copies point i's prepared coordinates into sq (cont.size()) and cq (cat.size()).
    void point(Index i, double* sq, double* cq) const;
};

KernelInputs prepare_inputs(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                            const Eigen::Ref<const RowMatrixXd>& mask);

// Prepared coordinates of one query point (all dims active).
void prepare_query(const Kernel& kernel, const KernelInputs& layout, const double* q, double* sq,
                   double* cq);

// For points k in [k0, k1) of `in` and a prepared point (sq, cq): out[k - k0] = k(x_k, q) and,
// when g is not null, g[k - k0] = s2 exp(-c) g(r) (the factor of every lengthscale and x
// derivative, see above). Vectorised over k.
void kernel_against(const Kernel& kernel, const KernelInputs& in, Index k0, Index k1,
                    const double* sq, const double* cq, double* out, double* g);

// Checks the kind codes and log parameters (size d + 1 or d + 2; finite) and builds the kernel.
Kernel make_kernel(int kernel_kind, const std::vector<int>& dim_kinds, const VectorXd& log_params);

// Checks that x is (n, d) with finite entries and that mask is empty or (n, d) of 0/1 values;
// what names the argument in the error message.
void check_inputs(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                  const Eigen::Ref<const RowMatrixXd>& mask, const char* what);

// K[i, k] = k(x1_i, x2_k). Masks may be empty (0 x 0). Rows of the result in parallel.
RowMatrixXd kernel_matrix(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x1,
                          const Eigen::Ref<const RowMatrixXd>& mask1,
                          const Eigen::Ref<const RowMatrixXd>& x2,
                          const Eigen::Ref<const RowMatrixXd>& mask2, int n_threads);

// sum_{i,k} W[i, k] dK[i, k]/dlog theta_p for p = 0 .. d (lengthscales, then signal variance),
// K = K(x, x), for a symmetric W. O(n^2 d) time, O(n d) extra memory; the sum is formed in a
// fixed order, so the result does not depend on n_threads.
// With lower_only, only the lower triangle of W is read (W symmetric).
VectorXd gram_grad_contract(const Kernel& kernel, const Eigen::Ref<const RowMatrixXd>& x,
                            const Eigen::Ref<const RowMatrixXd>& mask,
                            const Eigen::Ref<const Eigen::MatrixXd>& w, int n_threads,
                            bool lower_only = false);

// The lower triangle (and diagonal, s2) of K(x, x), column by column. Without factors the strict
// upper triangle is left as it was; with factors it receives the derivative factor
// g(x_(i+1+t), x_i) = s2 exp(-c) g(r) of every strict-lower pair (see above), "mirrored":
// at out(t, n - 1 - i), t = 0 .. n - 2 - i. Column n - 1 - i has exactly n - 1 - i entries above
// its diagonal, so column i's factors are contiguous and the kernel is evaluated once for both
// (gram_grad_contract_stored reads them). out must be (n, n).
void gram_lower(const Kernel& kernel, const KernelInputs& in, Eigen::MatrixXd& out,
                int n_threads, bool factors = false);

// gram_grad_contract from what gram_lower(..., factors = true) stored in kg (its diagonal is not
// read) and the lower triangle of a symmetric W in w: no kernel evaluation. Same sums in the same
// order as gram_grad_contract with lower_only.
VectorXd gram_grad_contract_stored(const Kernel& kernel, const KernelInputs& in,
                                   const Eigen::MatrixXd& kg, const Eigen::MatrixXd& w,
                                   int n_threads);

// The order in which columns of a lower-triangular job are handed to parallel_for so that its
// static contiguous chunks get similar work: 0, n-1, 1, n-2, ...
Index balanced_column(Index i, Index n);

}  // namespace hyperdial
