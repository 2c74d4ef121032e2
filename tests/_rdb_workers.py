"""Worker processes for the RDBStorage tests (a module of its own so ``spawn`` can import it)."""

from __future__ import annotations

import logging

import hyperdial
from hyperdial.storages import RDBStorage
from hyperdial.trial import Trial, TrialState


def optimize(url: str, study_name: str, n_trials: int, worker: int) -> None:
    """Runs ``n_trials`` trials of a small objective in the study."""
    hyperdial.logging.set_verbosity(logging.WARNING)

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.set_user_attr("worker", worker)
        trial.report(x * x, 0)
        return x * x

    study = hyperdial.load_study(study_name=study_name, storage=url)
    study.optimize(objective, n_trials=n_trials)


def pop_all(url: str, study_name: str) -> list[int]:
    """Pops WAITING trials until none is left, completes each; the ids it got."""
    storage = RDBStorage(url)
    sid = storage.get_study_id_from_name(study_name)
    got: list[int] = []
    while (tid := storage.pop_waiting_trial(sid)) is not None:
        got.append(tid)
        runs = storage.get_trial(tid).user_attrs.get("runs", 0)
        storage.set_trial_user_attr(tid, "runs", runs + 1)
        storage.set_trial_state_values(tid, TrialState.COMPLETE, [float(tid)])
    return got


def hang(url: str, study_name: str, heartbeat_interval: float) -> None:
    """Starts one trial that never ends (the test SIGKILLs this process)."""
    import time

    hyperdial.logging.set_verbosity(logging.WARNING)
    storage = RDBStorage(url, heartbeat_interval=heartbeat_interval, max_retry=1)
    study = hyperdial.load_study(study_name=study_name, storage=storage)

    def objective(trial: Trial) -> float:
        trial.suggest_float("x", -1.0, 1.0)
        time.sleep(600)
        return 0.0

    study.optimize(objective, n_trials=1)


def run_until_killed(url: str, study_name: str, heartbeat_interval: float) -> None:
    """Runs short trials with heartbeats until the test SIGKILLs this process."""
    import time

    hyperdial.logging.set_verbosity(logging.WARNING)
    storage = RDBStorage(url, heartbeat_interval=heartbeat_interval, max_retry=1)
    study = hyperdial.load_study(study_name=study_name, storage=storage)

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        time.sleep(0.01)  # a RUNNING window for the kill to land in
        trial.set_user_attr("before_kill", True)
        return x * x

    study.optimize(objective, n_trials=1_000_000)
