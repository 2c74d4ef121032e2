// The dense linear algebra of the GP core (Cholesky, triangular solves and products) on raw
// column-major arrays, dispatched at run time: on x86-64 CPUs with AVX2 and FMA to a copy of the
// code compiled for them (docs/design/gp_sampler.md has the gain), elsewhere to the baseline
// copy. Wheels are built for the baseline instruction set, so this is how they use the wider
// units where present.
// Both copies do the same arithmetic in the same order within a copy, so one machine always
// gets the same results; set HYPERDIAL_DISABLE_AVX2=1 to force the baseline copy.
#pragma once

namespace hyperdial::dense {

// True when the AVX2 + FMA copy is in use.
bool uses_avx2() noexcept;

// In-place Cholesky of the lower triangle of the n x n matrix at a (leading dimension lda);
// false when the matrix is not positive definite.
bool llt_lower(double* a, long n, long lda);

// Solves L X = B (trans: L^T X = B) in place for the m x m lower-triangular L and the m x k B.
void trsm_lower(const double* l, long ldl, long m, double* b, long ldb, long k, bool trans);

// C = L^T B for the m x m lower-triangular L and the m x k B.
void lower_t_times(const double* l, long ldl, long m, const double* b, long ldb, long k,
                   double* c, long ldc);

// B := B L^-T for the w x w lower-triangular L and the m x w B (solves X L^T = B).
void trsm_right_lower_t(const double* l, long ldl, long w, double* b, long ldb, long m);

// C -= A B^T for the m x k A, the n x k B and the m x n C.
void gemm_nt_sub(const double* a, long lda, long m, long k, const double* b, long ldb, long n,
                 double* c, long ldc);

// C = A^T B for the k x m A and the k x n B.
void gemm_tn(const double* a, long lda, long m, long k, const double* b, long ldb, long n,
             double* c, long ldc);

// TPE (tpe.cpp): acc (kParzenBlock x nc, row-major) = base_j - 1/2 sum_f ((x_cf - mu_jf) inv_jf)^2
// for a block of kParzenBlock candidates c (xf: n_fine x kParzenBlock, column-major: one block
// per dimension) and nc mixture components j (fine: nc rows of n_fine (mu, inv) pairs). No FMA
// in either copy, so both give the same bits.
inline constexpr long kParzenBlock = 8;
void parzen_gaussian_block(const double* fine, long n_fine, long nc, const double* base,
                           const double* xf, double* acc);

// The kernel between points k0 .. k1 - 1 of a prepared set and one prepared point (see
// kernels.hpp: KernelInputs, kernel_against), which calls this; out and g have k1 - k0 entries.
void kernel_block(bool matern, double s2, long n_points, long n_cont, const double* scaled,
                  const double* sq, long n_cat, const double* codes, const double* cq,
                  const double* cat_w, long k0, long k1, double* out, double* g);

// For one query of ExactGP::bounds, with kq the kernel values against the n training points:
// sums[0] = sum_i kq_i alpha_i and sums[1] = sum_i |kq_i alpha_i| (partial sums in a fixed
// order: eight lanes, folded to four, added as (p0 + p1) + (p2 + p3)); top[0] and top[1] the
// indices of the largest and the second-largest kq (the lower index among equal values;
// top[1] = top[0] when n == 1).
void bound_terms(long n, const double* kq, const double* alpha, double* sums, long* top);

// The sums of ExactGP::predict's x-gradient for one query with prepared coordinates sq, over
// the n training points: for each of the n_cont continuous/integer dims j (coordinates
// scaled + j * n), with u_i = sq[j] - scaled_j[i],
//     sa[j] = sum_i (alpha_i g_i) u_i,   sc[j] = sum_i (v_i g_i) u_i
// (eight partial sums in a fixed order, like grad_contract_column). tmp: 2 n scratch entries.
void predict_grad_sums(long n, long n_cont, const double* scaled, const double* sq,
                       const double* alpha, const double* v, const double* g, double* tmp,
                       double* sa, double* sc);

// One column i of the marginal-likelihood gradient contraction (kernels.hpp: gram_grad_contract):
// for the pairs (i + 1 + t, i), t = 0 .. m - 1, with weights w_t = off_scale * w_off[t], kernel
// values k_off[t] and derivative factors g_off[t] (kernels.hpp), and the diagonal pair's
// weight w_diag and kernel value k_diag, writes
//     out[j]               = sum_t w_t g_off[t] u_tj^2,  u_tj = scaled_j[1 + t] - scaled_j[0]
//                            (n_cont continuous/integer dims; scaled_j = scaled + j * stride)
//     out[n_cont + j]      = sum_t w_t k_off[t] [codes_j[1 + t] != codes_j[0]]   (n_cat dims)
//     out[n_cont + n_cat]  = w_diag k_diag + sum_t w_t k_off[t]
// (the diagonal pair adds nothing to the others). Each sum is formed from eight partial sums in a
// fixed order (vectorised), so the result depends only on the inputs. tmp: 2 m scratch entries.
void grad_contract_column(long m, long stride, long n_cont, const double* scaled, long n_cat,
                          const double* codes, double w_diag, double k_diag, const double* w_off,
                          double off_scale, const double* k_off, const double* g_off,
                          double* tmp, double* out);

}  // namespace hyperdial::dense
