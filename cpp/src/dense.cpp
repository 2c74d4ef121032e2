#include "hyperdial/dense.hpp"

#include <cstdlib>
#include <cstring>

namespace hyperdial {

// Both copies' functions, declared from the one list (dense_kernels.def); dense_impl.inc defines
// them in these namespaces.
#define HYPERDIAL_DENSE_KERNEL(ret, name, params, args) ret name params;
namespace dense_generic {
#include "hyperdial/dense_kernels.def"
}  // namespace dense_generic
#ifdef HYPERDIAL_HAVE_AVX2_COPY
namespace dense_avx2 {
#include "hyperdial/dense_kernels.def"
}  // namespace dense_avx2
#endif
#undef HYPERDIAL_DENSE_KERNEL

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

// Each kernel of the list forwards to the copy chosen at load time.
#define HYPERDIAL_DENSE_KERNEL(ret, name, params, args) \
    ret name params { HYPERDIAL_DISPATCH(name args); }
#include "hyperdial/dense_kernels.def"
#undef HYPERDIAL_DENSE_KERNEL
#undef HYPERDIAL_DISPATCH

}  // namespace dense
}  // namespace hyperdial
