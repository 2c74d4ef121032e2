"""Worker processes for the JournalStorage tests and benchmark (a module of its own so
``spawn`` can import it)."""

from __future__ import annotations

import logging
import os

import hyperdial
from hyperdial.storages.journal import JournalFileBackend, JournalStorage
from hyperdial.study import Study
from hyperdial.trial import FrozenTrial, Trial, TrialState


def _storage(path: str, **kwargs: float) -> JournalStorage:
    hyperdial.logging.set_verbosity(logging.WARNING)
    return JournalStorage(JournalFileBackend(path), **kwargs)  # type: ignore[arg-type]


def optimize(path: str, study_name: str, n_trials: int, worker: int) -> None:
    """Runs ``n_trials`` trials of a small objective in the study."""

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.set_user_attr("worker", worker)
        trial.report(x * x, 0)
        return x * x

    study = hyperdial.load_study(study_name=study_name, storage=_storage(path))
    study.optimize(objective, n_trials=n_trials)


def pop_all(path: str, study_name: str) -> list[int]:
    """Pops WAITING trials until none is left, completes each; the ids it got."""
    storage = _storage(path)
    sid = storage.get_study_id_from_name(study_name)
    got: list[int] = []
    while (tid := storage.pop_waiting_trial(sid)) is not None:
        got.append(tid)
        runs = storage.get_trial(tid).user_attrs.get("runs", 0)
        storage.set_trial_user_attr(tid, "runs", runs + 1)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(tid)])
    return got


def run_until_killed(path: str, study_name: str, heartbeat_interval: float, done: str) -> None:
    """Runs short trials with heartbeats until the test SIGKILLs this process; appends
    ``number value ;`` to the file ``done`` after each trial the storage has recorded as
    finished (so the test knows which results the worker saw stored)."""
    import time

    storage = _storage(path, heartbeat_interval=heartbeat_interval, max_retry=1)
    study = hyperdial.load_study(study_name=study_name, storage=storage)

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        y = trial.suggest_int("y", 0, 9)
        time.sleep(0.005)  # a RUNNING window for the kill to land in
        trial.set_user_attr("pid", os.getpid())
        return x * x + y

    def record(study: Study, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE:
            fd = os.open(done, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.write(fd, f"{trial.number} {trial.value!r} ;\n".encode())
            os.close(fd)

    study.optimize(objective, n_trials=1_000_000, callbacks=[record])
