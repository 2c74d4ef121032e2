// Sobol' sensitivity indices of a GP's posterior mean, by quasi-Monte Carlo (Saltelli 2010).
//
// Model. The surface is f_s(q) = sum_i k(x_i, q) alpha_is for each column s of alphas (n, S):
// column 0 is usually the GP's alpha = (K + sigma^2 I)^-1 y (gp.hpp), so f_0 is the posterior
// mean (standardised units), and further columns are other coefficient vectors on the same
// training inputs (e.g. bootstrap refits), which share every kernel evaluation: the kernel rows
// k(x, q) of a block of queries are computed once and multiplied by all S columns.
//
// Inputs. The indices are those of p independent uniform variables u_0 .. u_(p-1) on [0, 1]:
// one per dimension of the GP and, when there are B > 1 branches, a last one, xi, that picks
// the branch (a conditional space's activity pattern). A point u maps onto a query q as follows:
//   branch b: the first b with xi < cdf_b (b = 0 when B = 1);
//   dimension j inactive in b (mask_bj = 0): the kernel's stand-in (0.5, code -1; kernels.hpp);
//   numeric j: t = lower_bj + u_j (upper_bj - lower_bj), snapped to the centre of its cell
//       (floor(t c_j) + 0.5) / c_j when c_j = n_cells[j] > 0 (the integer grids of the GP);
//   categorical j: codes[b * d + j][floor(u_j m)], the first m entries of that row being the
//       codes the branch allows (the row's entries after them are NaN).
// So within a branch a categorical ranges over its allowed codes, and the variance of
// switching branches is attributed to xi.
//
// Estimators (Saltelli et al. 2010, "Variance based sensitivity analysis of model output",
// Table 2, (b) and (f)): with A, B (N, p) the first and last p columns of N scrambled Sobol'
// points in 2p dimensions (sobol.hpp), AB_j = A with column j from B, and values centred on
// the mean f0 of f(A) and f(B):
//     V     = (1 / 2N) sum (f(A)^2 + f(B)^2)                the variance of the 2N values;
//     V_j   = (1 / N) sum f(B) (f(AB_j) - f(A))              first-order, S_j  = V_j / V;
//     VT_j  = (1 / 2N) sum (f(A) - f(AB_j))^2 (Jansen 1999)  total,       ST_j = VT_j / V.
// Cost: N (p + 2) queries, each O(n d) for the kernel row plus O(n S).
// Each query row is computed alone and the sums are formed in row order after the parallel
// loop, so the result does not depend on n_threads.
#pragma once

#include <cstdint>
#include <vector>

#include "hyperdial/types.hpp"

namespace hyperdial {

// The input distribution of sobol_indices (see the header comment). B branches, d dims.
struct SobolInputs {
    std::vector<int> n_cells;  // (d,) grid size of numeric dims (0: continuous); ignored for
                               // categorical dims
    VectorXd cdf;              // (B,) cumulative branch probabilities, increasing, last 1
    RowMatrixXd mask;          // (B, d) 0/1 activity of each dimension in each branch
    RowMatrixXd lower;         // (B, d) range of numeric dims in [0, 1]
    RowMatrixXd upper;         // (B, d)
    RowMatrixXd codes;         // (B * d, K) allowed codes of categorical dims, NaN padded
};

struct SobolIndicesResult {
    RowMatrixXd first;  // (S, p) first-order indices S_j, one row per column of alphas
    RowMatrixXd total;  // (S, p) total indices ST_j
    VectorXd variance;  // (S,) V, the variance of f_s under the inputs
    VectorXd mean;      // (S,) f0
};

// Maps rows of u (m, p) onto queries (m, d) (the header comment's map); for tests and the
// NumPy reference.
RowMatrixXd sobol_inputs_map(const SobolInputs& inputs, const std::vector<int>& dim_kinds,
                             const Eigen::Ref<const RowMatrixXd>& u);

// The indices of f_s for every column of alphas. kernel_kind, dim_kinds, log_params, x, mask as
// in gp.hpp; n_base = N, a power of two >= 2 (the balance properties of the Sobol' points).
// Throws std::invalid_argument on bad shapes or values.
SobolIndicesResult sobol_indices(int kernel_kind, const std::vector<int>& dim_kinds,
                                 const VectorXd& log_params,
                                 const Eigen::Ref<const RowMatrixXd>& x,
                                 const Eigen::Ref<const RowMatrixXd>& mask,
                                 const Eigen::Ref<const RowMatrixXd>& alphas,
                                 const SobolInputs& inputs, std::int64_t n_base,
                                 std::uint64_t seed, int n_threads);

}  // namespace hyperdial
