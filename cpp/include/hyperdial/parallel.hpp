// The one parallel seam. Everything that runs in parallel goes through parallel_for, which takes
// an explicit thread count per call (no global thread state) and falls back to a plain loop when
// the build has threads off (HYPERDIAL_HAVE_OPENMP undefined) or one thread is asked for.
//
// Threads on a shared machine (docs/design/parallel.md):
// - n_threads = 0 ("automatic") resolves, at each call, to idle_threads(): the CPUs this process
//   may use (affinity mask, cgroup v2 cpu.max quota, OpenMP's thread limit, which
//   OMP_NUM_THREADS and omp_set_num_threads set), less the CPUs that other runnable tasks occupy
//   right now (the kernel's count of runnable tasks, /proc/loadavg). Eight workers on two cores
//   thus run one thread each; one worker on an idle machine uses them all.
// - n_threads = k > 0 uses k threads (at most one per iteration): the caller's explicit choice.
// - The threads come from a small pool of our own that waits passively (condition variables,
//   never spinning), so an idle pool costs no CPU. The caller works too, and iterations are
//   handed out in chunks from a shared counter: a worker that the OS deschedules delays the call
//   by at most the chunk it holds, never by a barrier. One call uses the pool at a time; a
//   concurrent or nested call runs on its own thread.
//
// Callers must make every iteration write only its own outputs, so that results do not depend
// on the number of threads or on the schedule.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace hyperdial {

// True when the core was built with threads (the HYPERDIAL_OPENMP build option: OpenMP
// supplies the thread limit, the pool in parallel.cpp runs the loops).
inline bool openmp_enabled() noexcept {
#ifdef HYPERDIAL_HAVE_OPENMP
    return true;
#else
    return false;
#endif
}

// Threads this process may use: the smallest of its CPU affinity mask, its cgroup v2 cpu.max
// quota (rounded up) and OpenMP's thread limit (OMP_NUM_THREADS). 1 in a build without threads.
int max_threads() noexcept;

// Threads that n_threads = 0 stands for now: max_threads() less the CPUs of this machine that
// other runnable tasks occupy (at least 1). Reread at most every few milliseconds.
int idle_threads() noexcept;

// Checks a user-facing n_threads argument: 0 means automatic, negative is an error.
inline void check_n_threads(int n_threads) {
    if (n_threads < 0) {
        throw std::invalid_argument("n_threads must be >= 0 (0 means automatic), got " +
                                    std::to_string(n_threads));
    }
}

// Below about this many floating-point operations a parallel call (waking threads, waiting for
// them) costs more than it saves, and such calls run on the calling thread. Above it, the
// threads the caller asked for are used. Measured in docs/design/gp_sampler.md.
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

namespace detail {

using LoopBody = void (*)(void* context, std::ptrdiff_t i);

// Runs body(context, i) for every i in [0, n) on the calling thread and up to threads - 1 pool
// workers, and returns once all have run. Returns false, having run nothing, when the pool is
// busy with another call or the calling thread is already inside a pool call. The first
// exception an iteration throws is rethrown here after the loop.
bool run_on_pool(std::ptrdiff_t n, int threads, void* context, LoopBody body);

}  // namespace detail

// Calls fn(i) for i in [0, n), on up to n_threads threads (0 = automatic, see above). An
// exception thrown by fn is rethrown on the calling thread once the loop has finished.
template <class Fn>
void parallel_for(std::ptrdiff_t n, int n_threads, Fn&& fn) {
    check_n_threads(n_threads);
    if (n <= 0) {
        return;
    }
#ifdef HYPERDIAL_HAVE_OPENMP
    if (n > 1 && n_threads != 1) {
        const int wanted = n_threads == 0 ? idle_threads() : n_threads;
        const auto threads = static_cast<int>(std::min<std::ptrdiff_t>(wanted, n));
        using F = std::remove_reference_t<Fn>;
        auto body = [](void* context, std::ptrdiff_t i) { (*static_cast<F*>(context))(i); };
        if (threads > 1 &&
            detail::run_on_pool(n, threads, const_cast<void*>(static_cast<const void*>(&fn)),
                                body)) {
            return;
        }
    }
#endif
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        fn(i);
    }
}

}  // namespace hyperdial
