"""A worker whose running trial another worker's reaper failed drops it and goes on (issue 17,
item 4), and a heartbeat interval too short to tell live workers from dead ones is refused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

import hyperdial
from hyperdial.storages import InMemoryStorage, RDBStorage
from hyperdial.trial import TrialState

pytest.importorskip("sqlalchemy")


def _reap(study: hyperdial.Study, trial: hyperdial.Trial) -> None:
    """What the heartbeat reaper of another process does to a trial it thinks is dead."""
    study._storage.set_trial_system_attr(trial._trial_id, "fail_reason", "heartbeat missed")
    study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)


def _objective(study_ref: list[hyperdial.Study], how: str) -> Callable[[Any], float]:
    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 1:
            _reap(study_ref[0], trial)
            if how == "report":  # the next write inside the objective finds it finished
                trial.report(x, 0)
            elif how == "raise":
                raise RuntimeError("the objective failed after the reaper")
        return x

    return objective


@pytest.mark.parametrize("how", ["return", "report", "raise"])
@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_a_reaped_trial_is_dropped_and_the_worker_goes_on(
    how: str, where: str, tmp_path: Any, hyperdial_log: list[logging.LogRecord]
) -> None:
    storage = InMemoryStorage() if where == "memory" else f"sqlite:///{tmp_path}/r.db"
    study = hyperdial.create_study(storage=storage, sampler=hyperdial.samplers.RandomSampler(0))
    study.optimize(_objective([study], how), n_trials=4)  # no UpdateFinishedTrialError
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL] + [TrialState.COMPLETE] * 2
    assert study.trials[1].system_attrs["fail_reason"] == "heartbeat missed"  # the reaper's
    warnings = [r.getMessage() for r in hyperdial_log if "by another worker" in r.getMessage()]
    assert len(warnings) == 1 and "Trial 1" in warnings[0] and "heartbeat missed" in warnings[0]


def test_an_objective_error_of_a_live_trial_still_propagates() -> None:
    study = hyperdial.create_study()

    def objective(trial: hyperdial.Trial) -> float:
        raise hyperdial.exceptions.UpdateFinishedTrialError("the user's own")

    with pytest.raises(hyperdial.exceptions.UpdateFinishedTrialError, match="the user's own"):
        study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize("interval", [0.0, 0.01, 0.099])
def test_a_heartbeat_too_short_to_tell_live_from_dead_is_refused(
    interval: float, tmp_path: Any
) -> None:
    with pytest.raises(ValueError, match=r"heartbeat_interval.*>= 0.1"):
        RDBStorage(f"sqlite:///{tmp_path}/h.db", heartbeat_interval=interval)


def test_the_shortest_heartbeat_is_accepted(tmp_path: Any) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path}/h.db", heartbeat_interval=0.1)
    storage.remove_session()
