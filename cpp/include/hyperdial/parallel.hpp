// The one OpenMP seam. Everything that runs in parallel goes through parallel_for, which takes
// an explicit thread count per call (no global thread state) and falls back to a plain loop when
// the build has no OpenMP (HYPERDIAL_HAVE_OPENMP undefined) or one thread is asked for.
//
// Callers must make every iteration write only its own outputs, so that results do not depend
// on the number of threads or on the schedule.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>

#ifdef HYPERDIAL_HAVE_OPENMP
#include <omp.h>
#endif

namespace hyperdial {

// True when the core was compiled with OpenMP.
inline bool openmp_enabled() noexcept {
#ifdef HYPERDIAL_HAVE_OPENMP
    return true;
#else
    return false;
#endif
}

// Threads that n_threads = 0 ("all available") stands for: omp_get_max_threads(), or 1.
inline int max_threads() noexcept {
#ifdef HYPERDIAL_HAVE_OPENMP
    return std::max(1, omp_get_max_threads());
#else
    return 1;
#endif
}

// Checks a user-facing n_threads argument: 0 means all available, negative is an error.
inline void check_n_threads(int n_threads) {
    if (n_threads < 0) {
        throw std::invalid_argument("n_threads must be >= 0 (0 means all available threads), got " +
                                    std::to_string(n_threads));
    }
}

// Below about this many floating-point operations a parallel region (waking threads, one
// barrier) costs more than it saves, and such calls run on the calling thread. Above it, the
// threads the caller asked for are used. On an oversubscribed machine (other processes, or a
// study running trials in threads) every barrier waits for a descheduled thread, so callers
// there should ask for one thread (GPSampler's default below 256 trials). Measured in
// docs/design/gp_sampler.md.
inline constexpr double kMinParallelWork = 1e6;

// The threshold in use: kMinParallelWork unless changed (tests set 0 to run the parallel code
// on small inputs; _core._set_min_parallel_work).
inline std::atomic<double>& min_parallel_work() {
    static std::atomic<double> value{kMinParallelWork};
    return value;
}

// n_threads for a call of about `work` flops: 1 when it is too small to split.
inline int threads_for_work(double work, int n_threads) {
    return work < min_parallel_work().load(std::memory_order_relaxed) ? 1 : n_threads;
}

// Calls fn(i) for i in [0, n), on up to n_threads threads (0 = max_threads()). An exception
// thrown by fn is caught inside the parallel region (letting it escape would terminate the
// process) and the first one is rethrown on the calling thread once the loop has finished.
template <class Fn>
void parallel_for(std::ptrdiff_t n, int n_threads, Fn&& fn) {
    check_n_threads(n_threads);
    if (n <= 0) {
        return;
    }
    const int wanted = n_threads == 0 ? max_threads() : n_threads;
    const std::ptrdiff_t threads = std::min<std::ptrdiff_t>(wanted, n);
#ifdef HYPERDIAL_HAVE_OPENMP
    if (threads > 1) {
        std::exception_ptr error;
#pragma omp parallel for num_threads(static_cast<int>(threads)) schedule(static)
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            try {
                fn(i);
            } catch (...) {
#pragma omp critical(hyperdial_parallel_for_error)
                if (!error) {
                    error = std::current_exception();
                }
            }
        }
        if (error) {
            std::rethrow_exception(error);
        }
        return;
    }
#else
    (void)threads;
#endif
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        fn(i);
    }
}

}  // namespace hyperdial
