#include "hyperdial/parallel.hpp"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#ifdef HYPERDIAL_HAVE_OPENMP
#include <omp.h>
#endif

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#endif

namespace hyperdial {
namespace {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

// CPUs in this process's affinity mask (taskset, container cpusets).
int affinity_cpus() {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        return std::max(1, CPU_COUNT(&set));
    }
#endif
    return hardware_threads();
}

// The cgroup v2 CPU quota of this process, rounded up to whole CPUs: the smallest cpu.max
// "quota period" on the path from its cgroup to the root; 0 when there is none ("max") or the
// files cannot be read (cgroup v1, not Linux).
int cgroup_cpus() {
#if defined(__linux__)
    std::ifstream membership("/proc/self/cgroup");
    std::string line;
    std::string path;
    while (std::getline(membership, line)) {
        if (line.rfind("0::", 0) == 0) {
            path = line.substr(3);
        }
    }
    if (path.empty()) {
        return 0;
    }
    int best = 0;
    for (;;) {
        std::ifstream file("/sys/fs/cgroup" + path + "/cpu.max");
        std::string quota;
        double period = 0;
        if (file >> quota >> period && quota != "max" && period > 0) {
            const double cpus = std::ceil(std::stod(quota) / period);
            const int c = std::max(1, static_cast<int>(cpus));
            best = best == 0 ? c : std::min(best, c);
        }
        if (path.empty() || path == "/") {
            break;
        }
        const auto slash = path.find_last_of('/');
        path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
    return best;
#else
    return 0;
#endif
}

// The quota is read once: it rarely changes while a process runs, and reading it costs a few
// file opens.
int quota_cpus() {
    static const int value = cgroup_cpus();
    return value;
}

// Runnable tasks on the machine other than the calling thread (the fourth field of
// /proc/loadavg, "running/total", counts the calling thread); -1 when unknown.
int other_runnable_tasks() {
#if defined(__linux__)
    std::ifstream file("/proc/loadavg");
    double avg1 = 0;
    double avg5 = 0;
    double avg15 = 0;
    long running = 0;
    if (file >> avg1 >> avg5 >> avg15 >> running && running >= 1) {
        return static_cast<int>(running - 1);
    }
#endif
    return -1;
}

int online_cpus() {
#if defined(__linux__)
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n > 0) {
        return static_cast<int>(n);
    }
#endif
    return hardware_threads();
}

// ---- The pool ------------------------------------------------------------------------------

// One parallel_for call. Pool workers hold it by shared_ptr, so a worker that wakes after the
// call has returned finds no iteration left and never touches the caller's (gone) loop body.
struct Job {
    std::ptrdiff_t n = 0;
    std::ptrdiff_t chunk = 1;
    void* context = nullptr;
    detail::LoopBody body = nullptr;
    int max_helpers = 0;
    std::atomic<std::ptrdiff_t> next{0};
    std::atomic<std::ptrdiff_t> done{0};
    std::atomic<int> helpers{0};
    std::mutex mutex;
    std::condition_variable finished;
    std::exception_ptr error;
};

thread_local bool t_in_job = false;

void work_on(Job& job) {
    t_in_job = true;
    for (;;) {
        const std::ptrdiff_t begin = job.next.fetch_add(job.chunk);
        if (begin >= job.n) {
            break;
        }
        const std::ptrdiff_t end = std::min(begin + job.chunk, job.n);
        for (std::ptrdiff_t i = begin; i < end; ++i) {
            try {
                job.body(job.context, i);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(job.mutex);
                if (!job.error) {
                    job.error = std::current_exception();
                }
            }
        }
        if (job.done.fetch_add(end - begin) + (end - begin) == job.n) {
            const std::lock_guard<std::mutex> lock(job.mutex);
            job.finished.notify_all();
        }
    }
    t_in_job = false;
}

class Pool {
public:
    bool run(std::ptrdiff_t n, int threads, void* context, detail::LoopBody body) {
        if (t_in_job) {
            return false;
        }
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        if (!busy.owns_lock()) {
            return false;
        }
        const int helpers = std::min(threads - 1, grow(threads - 1));
        if (helpers < 1) {
            return false;
        }
        auto job = std::make_shared<Job>();
        job->n = n;
        // Chunks of about a quarter of a thread's share: few trips to the shared counter, and
        // a descheduled thread holds back at most one chunk.
        job->chunk = std::max<std::ptrdiff_t>(1, n / (4 * static_cast<std::ptrdiff_t>(threads)));
        job->context = context;
        job->body = body;
        job->max_helpers = helpers;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            job_ = job;
            ++generation_;
        }
        for (int k = 0; k < helpers; ++k) {
            wake_.notify_one();
        }
        work_on(*job);
        {
            std::unique_lock<std::mutex> lock(job->mutex);
            job->finished.wait(lock, [&] { return job->done.load() >= job->n; });
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            job_.reset();
        }
        if (job->error) {
            std::rethrow_exception(job->error);
        }
        return true;
    }

private:
    // Starts workers until there are `wanted`; returns how many there are.
    int grow(int wanted) {
        while (static_cast<int>(workers_) < wanted) {
            try {
                std::thread(&Pool::serve, this).detach();
            } catch (const std::system_error&) {
                break;
            }
            ++workers_;
        }
        return static_cast<int>(workers_);
    }

    void serve() {
        std::uint64_t seen = 0;
        for (;;) {
            std::shared_ptr<Job> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                job = job_;
            }
            if (job && job->helpers.fetch_add(1) < job->max_helpers) {
                work_on(*job);
            }
        }
    }

    std::mutex busy_;  // held by the call that uses the pool
    std::mutex mutex_;  // guards job_ and generation_
    std::condition_variable wake_;
    std::shared_ptr<Job> job_;
    std::uint64_t generation_ = 0;
    std::size_t workers_ = 0;  // only the holder of busy_ changes it
};

// The pool is never destroyed (its detached workers wait on it until the process ends). A
// child created by fork() has none of its parent's workers: it gets a fresh pool.
std::atomic<Pool*> g_pool{nullptr};

Pool& pool() {
    Pool* p = g_pool.load(std::memory_order_acquire);
    if (p != nullptr) {
        return *p;
    }
    static std::once_flag once;
    std::call_once(once, [] {
#if defined(__linux__)
        pthread_atfork(nullptr, nullptr,
                       [] { g_pool.store(new Pool(), std::memory_order_release); });
#endif
        g_pool.store(new Pool(), std::memory_order_release);
    });
    return *g_pool.load(std::memory_order_acquire);
}

}  // namespace

int max_threads() noexcept {
#ifdef HYPERDIAL_HAVE_OPENMP
    int n = std::min(affinity_cpus(), std::max(1, omp_get_max_threads()));
    const int quota = quota_cpus();
    if (quota > 0) {
        n = std::min(n, quota);
    }
    return std::max(1, n);
#else
    return 1;
#endif
}

int idle_threads() noexcept {
    // Rereading costs a few file reads; a parallel call may be much shorter, so the answer is
    // kept for a few milliseconds. Concurrent callers may both reread; either answer is fine.
    static std::atomic<std::int64_t> stamp{-1};
    static std::atomic<int> value{1};
    constexpr std::int64_t kRefreshNs = 5'000'000;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    const std::int64_t last = stamp.load(std::memory_order_relaxed);
    if (last >= 0 && now - last < kRefreshNs) {
        return value.load(std::memory_order_relaxed);
    }
    int n = max_threads();
    const int others = other_runnable_tasks();
    if (others >= 0) {
        n = std::min(n, online_cpus() - others);
    }
    n = std::max(1, n);
    value.store(n, std::memory_order_relaxed);
    stamp.store(now, std::memory_order_relaxed);
    return n;
}

namespace detail {

bool run_on_pool(std::ptrdiff_t n, int threads, void* context, LoopBody body) {
    return pool().run(n, threads, context, body);
}

}  // namespace detail

}  // namespace hyperdial
