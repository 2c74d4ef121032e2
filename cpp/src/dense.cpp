#include "hyperdial/dense.hpp"

#include <cstdlib>
#include <cstring>

namespace hyperdial {

#define HYPERDIAL_DENSE_DECLARE(NS)                                                         \
    namespace NS {                                                                          \
    bool llt_lower(double* a, long n, long lda);                                            \
    void trsm_lower(const double* l, long ldl, long m, double* b, long ldb, long k,         \
                    bool trans);                                                            \
    void lower_t_times(const double* l, long ldl, long m, const double* b, long ldb, long k, \
                       double* c, long ldc);                                                \
    void gemm_tn(const double* a, long lda, long m, long k, const double* b, long ldb,      \
                 long n, double* c, long ldc);                                              \
    void trsm_right_lower_t(const double* l, long ldl, long w, double* b, long ldb, long m);  \
    void gemm_nt_sub(const double* a, long lda, long m, long k, const double* b, long ldb,  \
                     long n, double* c, long ldc);                                          \
    void parzen_gaussian_block(const double* fine, long n_fine, long nc, const double* base, \
                               const double* xf, double* acc);                             \
    void kernel_block(bool matern, double s2, long n_points, long n_cont,                   \
                      const double* scaled, const double* sq, long n_cat, const double* codes, \
                      const double* cq, const double* cat_w, long k0, long k1, double* out,  \
                      double* g);                                                           \
    void bound_terms(long n, const double* kq, const double* alpha, double* sums,          \
                     long* top);                                                            \
    void predict_grad_sums(long n, long n_cont, const double* scaled, const double* sq,     \
                           const double* alpha, const double* v, const double* g,           \
                           double* tmp, double* sa, double* sc);                            \
    void grad_contract_column(long m, long stride, long n_cont, const double* scaled,        \
                              long n_cat, const double* codes, double w_diag, double k_diag, \
                              const double* w_off, double off_scale, const double* k_off,    \
                              const double* g_off, double* tmp, double* out);                \
    }

HYPERDIAL_DENSE_DECLARE(dense_generic)
#ifdef HYPERDIAL_HAVE_AVX2_COPY
HYPERDIAL_DENSE_DECLARE(dense_avx2)
#endif

namespace dense {
namespace {

bool detect_avx2() noexcept {
#ifdef HYPERDIAL_HAVE_AVX2_COPY
    const char* off = std::getenv("HYPERDIAL_DISABLE_AVX2");
    if (off != nullptr && std::strcmp(off, "") != 0 && std::strcmp(off, "0") != 0) {
        return false;
    }
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const bool kAvx2 = detect_avx2();

}  // namespace

bool uses_avx2() noexcept { return kAvx2; }

#ifdef HYPERDIAL_HAVE_AVX2_COPY
#define HYPERDIAL_DISPATCH(call) return kAvx2 ? dense_avx2::call : dense_generic::call
#else
#define HYPERDIAL_DISPATCH(call) return dense_generic::call
#endif

bool llt_lower(double* a, long n, long lda) { HYPERDIAL_DISPATCH(llt_lower(a, n, lda)); }

void trsm_lower(const double* l, long ldl, long m, double* b, long ldb, long k, bool trans) {
    HYPERDIAL_DISPATCH(trsm_lower(l, ldl, m, b, ldb, k, trans));
}

void lower_t_times(const double* l, long ldl, long m, const double* b, long ldb, long k,
                   double* c, long ldc) {
    HYPERDIAL_DISPATCH(lower_t_times(l, ldl, m, b, ldb, k, c, ldc));
}

void gemm_tn(const double* a, long lda, long m, long k, const double* b, long ldb, long n,
             double* c, long ldc) {
    HYPERDIAL_DISPATCH(gemm_tn(a, lda, m, k, b, ldb, n, c, ldc));
}

void trsm_right_lower_t(const double* l, long ldl, long w, double* b, long ldb, long m) {
    HYPERDIAL_DISPATCH(trsm_right_lower_t(l, ldl, w, b, ldb, m));
}

void gemm_nt_sub(const double* a, long lda, long m, long k, const double* b, long ldb, long n,
                 double* c, long ldc) {
    HYPERDIAL_DISPATCH(gemm_nt_sub(a, lda, m, k, b, ldb, n, c, ldc));
}

void parzen_gaussian_block(const double* fine, long n_fine, long nc, const double* base,
                           const double* xf, double* acc) {
    HYPERDIAL_DISPATCH(parzen_gaussian_block(fine, n_fine, nc, base, xf, acc));
}

void kernel_block(bool matern, double s2, long n_points, long n_cont, const double* scaled,
                  const double* sq, long n_cat, const double* codes, const double* cq,
                  const double* cat_w, long k0, long k1, double* out, double* g) {
    HYPERDIAL_DISPATCH(kernel_block(matern, s2, n_points, n_cont, scaled, sq, n_cat, codes, cq,
                                    cat_w, k0, k1, out, g));
}

void bound_terms(long n, const double* kq, const double* alpha, double* sums, long* top) {
    HYPERDIAL_DISPATCH(bound_terms(n, kq, alpha, sums, top));
}

void predict_grad_sums(long n, long n_cont, const double* scaled, const double* sq,
                       const double* alpha, const double* v, const double* g, double* tmp,
                       double* sa, double* sc) {
    HYPERDIAL_DISPATCH(predict_grad_sums(n, n_cont, scaled, sq, alpha, v, g, tmp, sa, sc));
}

void grad_contract_column(long m, long stride, long n_cont, const double* scaled, long n_cat,
                          const double* codes, double w_diag, double k_diag, const double* w_off,
                          double off_scale, const double* k_off, const double* g_off,
                          double* tmp, double* out) {
    HYPERDIAL_DISPATCH(grad_contract_column(m, stride, n_cont, scaled, n_cat, codes, w_diag,
                                            k_diag, w_off, off_scale, k_off, g_off, tmp, out));
}

}  // namespace dense
}  // namespace hyperdial
