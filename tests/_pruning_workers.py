"""Worker processes for the pruning tests (a module of its own so ``spawn`` can import it)."""

from __future__ import annotations

import logging
from typing import Any

import hyperdial
from hyperdial.pruners import SuccessiveHalvingPruner
from hyperdial.trial import Trial

N_STEPS = 10


def curve(x: float, step: int) -> float:
    """The deterministic learning curve of the test objective."""
    return (x - 0.3) ** 2 + 1.0 / (step + 1)


def optimize_pruned(url: str, study_name: str, n_trials: int, worker: int) -> None:
    """Runs ``n_trials`` trials that report ``curve`` and stop when ASHA says so."""
    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.load_study(
        study_name=study_name,
        storage=url,
        sampler=hyperdial.samplers.RandomSampler(seed=worker),
        pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    )

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("worker", worker)
        for step in range(N_STEPS):
            trial.report(curve(x, step), step)
            if trial.should_prune():
                raise hyperdial.TrialPruned()
        return curve(x, N_STEPS - 1)

    study.optimize(objective, n_trials=n_trials)


def report_and_wait(url: str, study_name: str, ready: Any, done: Any) -> None:
    """Reports 1.0 at steps 0..2 in a RUNNING trial, then waits for ``done`` and completes."""
    study = hyperdial.load_study(study_name=study_name, storage=url)
    trial = study.ask()
    for step in range(3):
        trial.report(1.0, step)
    ready.set()
    done.wait(120)
    study.tell(trial, 1.0)
