"""``constraints_func=`` on the samplers: stored as ``trial.set_constraint`` stores constraints,
read back by ``best_trial``, and clear errors for bad functions and bad return values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial.exceptions import TrialPruned
from hyperdial.samplers import (
    BaseSampler,
    GPSampler,
    NSGAIIISampler,
    NSGAIISampler,
    TPESampler,
)
from hyperdial.trial import FrozenTrial, TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, FAIL_REASON_KEY

MAKERS: dict[str, Callable[..., BaseSampler]] = {
    "gp": lambda **kw: GPSampler(seed=0, n_startup_trials=3, **kw),
    "gp_batch": lambda **kw: GPSampler(seed=0, n_startup_trials=3, batch_size=2, **kw),
    "tpe": lambda **kw: TPESampler(seed=0, n_startup_trials=3, **kw),
    "nsga2": lambda **kw: NSGAIISampler(seed=0, population_size=3, **kw),
    "nsga3": lambda **kw: NSGAIIISampler(seed=0, population_size=3, **kw),
}


def _objective(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    return (x - 0.2) ** 2


def _cons(t: FrozenTrial) -> list[float]:
    return [0.5 - t.params["x"], -1.0]  # feasible when x >= 0.5


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_values_are_stored_as_constraints_and_best_trial_is_feasible(kind: str) -> None:
    study = hyperdial.create_study(sampler=MAKERS[kind](constraints_func=_cons))
    study.optimize(_objective, n_trials=8)
    for t in study.trials:
        assert t.constraints == {"0": 0.5 - t.params["x"], "1": -1.0}
    feasible = [t for t in study.trials if t.params["x"] >= 0.5]
    assert feasible, "the test needs a feasible trial"
    assert study.best_trial.number == min(feasible, key=lambda t: t.value or 0.0).number
    assert all(t.is_feasible() for t in study.best_trials)


def test_the_record_is_the_one_set_constraint_writes() -> None:
    by_func = hyperdial.create_study(sampler=TPESampler(seed=3, constraints_func=_cons))
    by_func.optimize(_objective, n_trials=4)

    def by_hand_objective(trial: hyperdial.Trial) -> float:
        value = _objective(trial)
        for i, c in enumerate(_cons(trial)):  # type: ignore[arg-type]
            trial.set_constraint(str(i), c)
        return value

    by_hand = hyperdial.create_study(sampler=TPESampler(seed=3))
    by_hand.optimize(by_hand_objective, n_trials=4)
    assert [t.system_attrs for t in by_func.trials] == [t.system_attrs for t in by_hand.trials]


def test_values_merge_with_set_constraint() -> None:
    def objective(trial: hyperdial.Trial) -> float:
        trial.set_constraint("memory", -2.0)
        trial.set_constraint("0", 99.0)  # overwritten by constraints_func's first value
        return _objective(trial)

    study = hyperdial.create_study(sampler=TPESampler(seed=0, constraints_func=_cons))
    study.optimize(objective, n_trials=2)
    for t in study.trials:
        assert t.constraints == {"memory": -2.0, "0": 0.5 - t.params["x"], "1": -1.0}


def test_called_for_complete_and_pruned_trials_only() -> None:
    seen: list[int] = []

    def cons(t: FrozenTrial) -> tuple[float]:
        seen.append(t.number)
        return (0.0,)

    def objective(trial: hyperdial.Trial) -> float:
        x = _objective(trial)
        if trial.number == 1:
            raise TrialPruned()
        return math.nan if trial.number == 2 else x

    study = hyperdial.create_study(sampler=GPSampler(seed=0, constraints_func=cons))
    study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    assert seen == [0, 1, 3]
    assert CONSTRAINTS_KEY not in study.trials[2].system_attrs


def test_accepts_arrays_and_tuples() -> None:
    study = hyperdial.create_study(
        sampler=TPESampler(seed=0, constraints_func=lambda t: np.array([-1.0, 2.0]))
    )
    study.optimize(_objective, n_trials=2)
    assert study.trials[0].constraints == {"0": -1.0, "1": 2.0}
    assert not study.trials[0].is_feasible()


def test_none_stores_nothing() -> None:
    study = hyperdial.create_study(sampler=TPESampler(seed=0))
    study.optimize(_objective, n_trials=2)
    assert all(CONSTRAINTS_KEY not in t.system_attrs for t in study.trials)


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("bad", [3, "c", [lambda t: 0.0]])
def test_a_non_callable_is_refused_by_name(kind: str, bad: Any) -> None:
    with pytest.raises(TypeError, match="`constraints_func` must be None or a function"):
        MAKERS[kind](constraints_func=bad)


@pytest.mark.parametrize(
    ("returned", "error", "match"),
    [
        (0.5, TypeError, "must return a sequence of floats"),
        ("0.5", TypeError, "must return a sequence of floats"),
        (None, TypeError, "must return a sequence of floats"),
        (np.zeros((2, 2)), ValueError, "one-dimensional"),
        ([math.nan], ValueError, "must not be NaN"),
        (["a"], TypeError, "must be a real number"),
    ],
)
def test_a_bad_return_value_fails_the_trial_with_a_clear_reason(
    returned: Any, error: type[Exception], match: str
) -> None:
    study = hyperdial.create_study(sampler=TPESampler(seed=0, constraints_func=lambda t: returned))
    with pytest.raises(error, match=match) as info:
        study.optimize(_objective, n_trials=3)
    assert "`constraints_func` returned" in str(info.value)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "constraints_func" in trial.system_attrs[FAIL_REASON_KEY]


def test_an_error_in_the_function_names_it_and_keeps_the_cause() -> None:
    def cons(t: FrozenTrial) -> list[float]:
        raise KeyError("latency")

    study = hyperdial.create_study(sampler=GPSampler(seed=0, constraints_func=cons))
    with pytest.raises(RuntimeError, match="`constraints_func` raised KeyError") as info:
        study.optimize(_objective, n_trials=3)
    assert isinstance(info.value.__cause__, KeyError)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "constraints_func" in trial.system_attrs[FAIL_REASON_KEY]
