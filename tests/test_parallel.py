"""The core's thread pool (cpp/include/hyperdial/parallel.hpp): the thread count it chooses, the
same answers for any thread count and from concurrent callers, no CPU used while idle, and a
working pool in a child created by fork()."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

from hyperdial import _core
from hyperdial.gp import GaussianProcess

needs_threads = pytest.mark.skipif(not _core.openmp_enabled(), reason="built without threads")


@pytest.fixture(autouse=True)
def _parallel_even_for_small_inputs() -> Iterator[None]:
    old = _core._set_min_parallel_work(0.0)
    yield
    _core._set_min_parallel_work(old)


def _fitted(n: int = 300, d: int = 4) -> tuple[GaussianProcess, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.random((n, d))
    y = np.cos(5 * x).sum(axis=1)
    gp = GaussianProcess(["continuous"] * d, fixed_noise=1e-4).fit(x, y, n_threads=1)
    return gp, rng.random((700, d))


def test_the_automatic_thread_count_is_within_the_allowed_cpus() -> None:
    allowed = _core.max_threads()
    assert 1 <= _core.idle_threads() <= allowed
    if _core.openmp_enabled():
        assert allowed <= len(os.sched_getaffinity(0))


def _max_threads_in_child(env: dict[str, str], prefix: list[str] | None = None) -> int:
    code = "from hyperdial import _core; print(_core.max_threads())"
    out = subprocess.run(
        [*(prefix or []), sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


@needs_threads
def test_omp_num_threads_caps_the_threads() -> None:
    assert _max_threads_in_child({"OMP_NUM_THREADS": "1"}) == 1


@needs_threads
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no affinity on this OS")
def test_the_affinity_mask_caps_the_threads() -> None:
    one_cpu = sorted(os.sched_getaffinity(0))[:1]
    code = (
        f"import os; os.sched_setaffinity(0, {one_cpu}); "
        "from hyperdial import _core; print(_core.max_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == 1


@pytest.mark.parametrize("n_threads", [0, 2, 3, 8])
def test_answers_do_not_depend_on_the_thread_count(n_threads: int) -> None:
    gp, xq = _fitted()
    want_mean, want_var = gp.predict(xq, n_threads=1)
    mean, var = gp.predict(xq, n_threads=n_threads)
    np.testing.assert_array_equal(mean, want_mean)
    np.testing.assert_array_equal(var, want_var)
    np.testing.assert_array_equal(
        _core.sobol_sample(5, 0, 1000, seed=3, n_threads=n_threads),
        _core.sobol_sample(5, 0, 1000, seed=3, n_threads=1),
    )


def test_concurrent_callers_share_the_pool_and_get_the_serial_answer() -> None:
    # One call holds the pool at a time; the others run on their own threads. Every caller
    # must still get the serial answer, and none may wait forever.
    gp, xq = _fitted()
    want = gp.acquisition(xq, n_threads=1)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            for _ in range(20):
                np.testing.assert_array_equal(gp.acquisition(xq, n_threads=4), want)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    assert not errors, errors[0]


@needs_threads
def test_an_idle_pool_uses_no_cpu() -> None:
    gp, xq = _fitted()
    for _ in range(5):
        gp.predict(xq, n_threads=4)  # starts the pool's workers
    start = time.process_time()
    time.sleep(0.5)
    # Workers that spun while waiting would use up to 3 CPUs for the whole sleep.
    assert time.process_time() - start < 0.1


@needs_threads
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this OS")
def test_a_forked_child_gets_a_working_pool() -> None:
    gp, xq = _fitted()
    want, _ = gp.predict(xq, n_threads=1)
    gp.predict(xq, n_threads=4)  # the parent's pool has workers now
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python >= 3.12 warns of fork() beside threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: the parent's workers are not here
        ok = 0
        try:
            got, _ = gp.predict(xq, n_threads=4)
            ok = int(np.array_equal(got, want))
        finally:
            os.write(write, bytes([ok]))
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"\x01"
