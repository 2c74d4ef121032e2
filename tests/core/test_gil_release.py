"""The compiled calls release the GIL: another Python thread runs while one is inside C++.

Checked without a clock. The interpreter's switch interval is raised so far that a thread holding
the GIL is never asked to give it up; the main thread then gets to run while a worker is busy only
if the worker's C++ call released the GIL. If the call held it, the main thread would resume only
after the worker had finished and set its flag.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from hyperdial.gp import GaussianProcess

N_CALLS = 16  # calls per worker: the main thread has all of them to get scheduled


@pytest.fixture
def no_forced_switches() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e4)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def _fitted(n: int = 500, d: int = 5) -> tuple[GaussianProcess, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((n, d))
    y = np.sin(6 * x).sum(axis=1) + 0.01 * rng.standard_normal(n)
    gp = GaussianProcess(["continuous"] * d, fixed_noise=1e-4)
    gp.fit(x, y, n_restarts=0, n_threads=1)
    return gp, rng.random((1500, d))


def _runs_beside(call: Callable[[], Any]) -> tuple[bool, list[Any]]:
    """Starts a worker that makes ``N_CALLS`` calls; whether this thread ran before it ended."""
    results: list[Any] = []
    done = threading.Event()

    def work() -> None:
        results.extend(call() for _ in range(N_CALLS))
        done.set()

    worker = threading.Thread(target=work)
    worker.start()  # blocks until the worker runs; returns once this thread has the GIL again
    ran_beside = not done.is_set()
    worker.join()
    return ran_beside, results


def test_predict_releases_the_gil(no_forced_switches: None) -> None:
    gp, xq = _fitted()
    want = gp.predict(xq, n_threads=1)
    ran_beside, results = _runs_beside(lambda: gp.predict(xq, n_threads=1))
    assert ran_beside, "the main thread could not run while predict was in C++"
    for got in results:  # concurrent calls give the serial answer
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_acquisition_releases_the_gil(no_forced_switches: None) -> None:
    gp, xq = _fitted()
    want = gp.acquisition(xq, n_threads=1)
    ran_beside, results = _runs_beside(lambda: gp.acquisition(xq, n_threads=1))
    assert ran_beside, "the main thread could not run while the acquisition was in C++"
    for got in results:
        np.testing.assert_array_equal(got, want)


def test_a_python_call_holding_the_gil_is_detected(no_forced_switches: None) -> None:
    # The check can fail: pure-Python work of the same kind never lets the main thread in.
    def busy() -> float:
        return float(sum(i * 0.5 for i in range(200_000)))

    ran_beside, _ = _runs_beside(busy)
    assert not ran_beside
