// Cholesky factorisation with jitter escalation.
//
// K + sigma^2 I can be numerically singular (duplicate points, a noise fixed at ~0, very long
// lengthscales). cholesky_with_jitter first tries the matrix as given; if the factorisation fails
// or gives a non-finite or non-positive pivot, it adds jitter * I with
// jitter = 1e-10 * s, 1e-9 * s, ..., 1e-2 * s, s = the mean of the diagonal, and reports the
// jitter that worked (0 if none was needed). Only a matrix with non-finite entries or one that is
// not positive semi-definite even after 1e-2 * s fails, with NumericalError (errors.hpp); a
// matrix that is not square is an argument error (std::invalid_argument).
#pragma once

#include <Eigen/Core>

#include "hyperdial/types.hpp"

namespace hyperdial {

struct Cholesky {
    Eigen::MatrixXd lower;  // L with L L^T = A + jitter I; strict upper triangle is zero
    double jitter = 0.0;
};

// a is a symmetric matrix (only its lower triangle is read). Above 256 rows the factorisation
// is blocked by panels of 128 columns, each panel's solve and trailing update in parallel on up
// to n_threads threads over fixed blocks (the result does not depend on n_threads).
Cholesky cholesky_with_jitter(const Eigen::Ref<const Eigen::MatrixXd>& a, int n_threads = 1);

// The same into lower (resized to a's shape; its storage is reused when it already has it);
// returns the jitter.
double cholesky_with_jitter_into(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                 Eigen::MatrixXd& lower, int n_threads = 1);

// The lower triangle (with the diagonal) of A^-1 = L^-T L^-1 from A's Cholesky factor L, written
// into out (n, n; the strict upper triangle is left as it was). Blocked by columns: first
// L^-1 block column by block column (each a triangular solve of the trailing rows only), then
// each block column of L^-T L^-1 as a triangular-times-dense product, about n^3 / 3 flops each.
// Block columns run in parallel on up to n_threads threads; every block is computed the same way
// whatever the thread count, so the result does not depend on it. out may be lower itself (L is
// read only before out is written). scratch, if given, holds L^-1 (its storage is reused).
void cholesky_inverse_lower(const Eigen::MatrixXd& lower, Eigen::MatrixXd& out, int n_threads,
                            Eigen::MatrixXd* scratch = nullptr);

// Appends row i to the Cholesky factor L held in the top-left (i, i) block of factor (which
// must have at least i + 1 rows and columns): on entry l holds k (i entries, the new point's
// covariances with the first i), on return l = L^-1 k. The pivot is sqrt(c - |l|^2) with c the
// new diagonal entry. When it is a safe positive number, row i is written (l^T, then the pivot),
// column i above the diagonal is zeroed and the pivot is returned; otherwise (e.g. a duplicate
// point without noise) factor is left as it was and 0 is returned, and the caller refactorises.
// Used by ExactGP::append and by the warm refit's extension of the previous factor.
double append_factor_row(Eigen::MatrixXd& factor, Index i, Eigen::Ref<VectorXd> l, double c);

}  // namespace hyperdial
