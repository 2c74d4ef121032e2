"""Synchronous batches (``batch_size``, hyperdial/samplers/_batch.py): the same seed gives the
same trials with one worker, with threads, and with processes sharing a SQLite study."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import hyperdial
from hyperdial.samplers import GPSampler, TPESampler
from hyperdial.trial import BaseTrial, TrialState

N_TRIALS = 24
BATCH = 4


def objective(t: BaseTrial) -> float:
    x = t.suggest_float("x", -3.0, 3.0)
    y = t.suggest_int("y", 0, 10)
    c = t.suggest_categorical("c", ["a", "b"])
    z = t.suggest_float("z", 0.0, 1.0) if c == "b" else 0.0  # conditional
    return (x - 1) ** 2 + (y - 4) ** 2 / 10 + (0.5 if c == "a" else z)


def _sampler(kind: str) -> Any:
    if kind == "gp":
        return GPSampler(seed=3, batch_size=BATCH, n_startup_trials=6)
    return TPESampler(seed=3, batch_size=BATCH, n_startup_trials=6)


def _record(study: hyperdial.Study) -> list[tuple[int, dict[str, Any], float | None]]:
    trials = sorted(study.trials, key=lambda t: t.number)
    assert all(t.state == TrialState.COMPLETE for t in trials)
    return [(t.number, t.params, t.value) for t in trials]


def _run(kind: str, n_jobs: int, storage: str | None = None) -> list[Any]:
    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.create_study(sampler=_sampler(kind), storage=storage)
    study.optimize(objective, n_trials=N_TRIALS, n_jobs=n_jobs)
    return _record(study)


@pytest.mark.parametrize("kind", ["gp", "tpe"])
def test_threads_give_the_trials_of_one_worker(kind: str) -> None:
    serial = _run(kind, 1)
    assert len({str(p) for _, p, _ in serial}) == N_TRIALS  # distinct proposals
    assert _run(kind, 4) == serial


@pytest.mark.parametrize("kind", ["gp", "tpe"])
def test_batch_mode_differs_from_asynchronous_mode(kind: str) -> None:
    # The tests above would pass trivially if batch_size were ignored by a sequential run:
    # within a batch, trials must not see each other's results.
    hyperdial.logging.set_verbosity(logging.WARNING)
    plain = (
        GPSampler(seed=3, n_startup_trials=6)
        if kind == "gp"
        else TPESampler(seed=3, n_startup_trials=6)
    )
    study = hyperdial.create_study(sampler=plain)
    study.optimize(objective, n_trials=N_TRIALS)
    assert _record(study) != _run(kind, 1)


def test_a_worker_waits_for_the_previous_batch() -> None:
    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.create_study(sampler=TPESampler(seed=0, batch_size=2))
    first = study.ask()
    first.suggest_float("x", 0, 1)
    second = study.ask()  # same batch: no wait
    second.suggest_float("x", 0, 1)
    study.tell(first, 1.0)

    import threading

    asked = threading.Event()

    def third() -> None:
        study.ask().suggest_float("x", 0, 1)
        asked.set()

    t = threading.Thread(target=third)
    t.start()
    assert not asked.wait(timeout=0.5), "asked for batch 1 before batch 0 had finished"
    study.tell(second, 2.0)
    assert asked.wait(timeout=60)
    t.join()


_WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    import hyperdial
    from test_parallel_batches import _sampler, objective
    study = hyperdial.load_study(study_name="b", storage={url!r}, sampler=_sampler({kind!r}))
    study.optimize(objective, n_trials={n})
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gp", "tpe"])
def test_processes_give_the_trials_of_one_worker(kind: str, tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'b.db'}"
    hyperdial.create_study(study_name="b", storage=url)
    code = _WORKER.format(tests=str(Path(__file__).parent), url=url, kind=kind, n=N_TRIALS // 4)
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    assert [p.wait(timeout=600) for p in procs] == [0] * 4
    study = hyperdial.load_study(study_name="b", storage=url)
    assert _record(study) == _run(kind, 1)
