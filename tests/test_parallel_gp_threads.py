"""hyperdial.gp.GaussianProcess shared by threads: readers (predict, acquisition, maximize) run
beside each other, writers (append, fit) one at a time with no reader inside.

The mixed workload runs in a child interpreter, so that a crash (the core's buffers reallocated
by ``append`` under a concurrent ``predict``) fails the test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np

from hyperdial.gp import GaussianProcess

_MIXED = textwrap.dedent(
    """
    import sys, threading
    import numpy as np
    from hyperdial.gp import GaussianProcess

    rng = np.random.default_rng(0)
    d = 4
    x = rng.random((150, d))
    y = np.sin(4 * x).sum(axis=1)
    gp = GaussianProcess(["continuous"] * d, fixed_noise=1e-4).fit(x, y, n_threads=1)
    xq = rng.random((400, d))
    new = rng.random((200, d))
    errors = []
    stop = threading.Event()

    def read(kind):
        try:
            while not stop.is_set():
                if kind == 0:
                    mean, var = gp.predict(xq, n_threads=1)
                    assert mean.shape == (400,) and np.all(var >= 0)
                elif kind == 1:
                    assert np.all(np.isfinite(gp.acquisition(xq, n_threads=1)))
                else:
                    point, _ = gp.maximize(seed=1, n_threads=1)
                    assert point.shape == (d,)
        except BaseException as e:
            errors.append(repr(e))

    def write():
        try:
            for i, p in enumerate(new):
                gp.append(p, float(np.sin(4 * p).sum()), n_threads=1)
                if i % 50 == 49:
                    n = 150 + i + 1
                    gp.fit(np.vstack([x, new[: i + 1]]),
                           np.sin(4 * np.vstack([x, new[: i + 1]])).sum(axis=1),
                           n_threads=1)
        except BaseException as e:
            errors.append(repr(e))
        finally:
            stop.set()

    readers = [threading.Thread(target=read, args=(k % 3,)) for k in range(6)]
    writers = [threading.Thread(target=write)]
    for t in readers + writers:
        t.start()
    for t in readers + writers:
        t.join()
    assert not errors, errors
    assert gp._model().x.shape == (350, d)
    print("ok")
    """
)


def test_readers_and_writers_mixed_in_many_threads() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _MIXED], capture_output=True, text=True, timeout=600, check=False
    )
    assert out.returncode == 0, f"child ended with {out.returncode}: {out.stderr[-2000:]}"
    assert out.stdout.strip() == "ok"


def test_readers_run_beside_each_other() -> None:
    # A reader inside the lock must not keep a second reader out: the second one finishes
    # while the first still holds the lock.
    gp = GaussianProcess(["continuous"], fixed_noise=1e-4)
    gp.fit(np.linspace(0, 1, 5)[:, None], np.arange(5.0), n_threads=1)
    second_done = threading.Event()
    with gp._lock.read():
        t = threading.Thread(target=lambda: (gp.predict([[0.5]]), second_done.set()))
        t.start()
        assert second_done.wait(timeout=60), "a second reader waited for the first"
    t.join()


def test_a_writer_waits_for_the_readers_and_readers_wait_for_it() -> None:
    gp = GaussianProcess(["continuous"], fixed_noise=1e-4)
    gp.fit(np.linspace(0, 1, 5)[:, None], np.arange(5.0), n_threads=1)
    appended = threading.Event()
    with gp._lock.read():
        w = threading.Thread(target=lambda: (gp.append([0.3], 1.0), appended.set()))
        w.start()
        assert not appended.wait(timeout=0.5), "append ran while a reader held the lock"
    assert appended.wait(timeout=60)
    w.join()
    assert gp._model().x.shape == (6, 1)


def test_copies_have_their_own_model_and_lock() -> None:
    import copy

    gp = GaussianProcess(["continuous"], fixed_noise=1e-4)
    gp.fit(np.linspace(0, 1, 5)[:, None], np.arange(5.0), n_threads=1)
    for twin in (copy.copy(gp), copy.deepcopy(gp)):
        assert twin._lock is not gp._lock
        twin.append([0.3], 1.0)
        assert twin._model().x.shape == (6, 1)
        assert gp._model().x.shape == (5, 1)
