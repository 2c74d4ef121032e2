"""Helpers shared by the pruners: direction handling, check intervals, other trials' values."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from hyperdial._direction import StudyDirection
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = [
    "best_loss_until",
    "check_int",
    "check_interval",
    "check_real_in",
    "check_schedule",
    "comparable_trials",
    "completed_others",
    "loss_sign",
    "may_decide",
    "n_complete",
]

# Trials whose intermediate values count for pruning: everything that has started, as soon as
# it reports (other workers' running trials included), except failed ones.
_COUNTED = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED)


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_real_in(name: str, value: Any, low: float, high: float, *, low_open: bool) -> float:
    """``value`` as a float when it is a real number (bools are not) in ``[low, high]``, or in
    ``(low, high]`` when ``low_open``; ValueError otherwise."""
    inside = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and (low < float(value) if low_open else low <= float(value))
        and float(value) <= high
    )
    if not inside:
        bracket = "(" if low_open else "["
        raise ValueError(f"`{name}` must be in {bracket}{low:g}, {high:g}], got {value!r}.")
    return float(value)


def check_schedule(
    n_startup_trials: Any, n_warmup_steps: Any, interval_steps: Any, n_min_trials: Any
) -> tuple[int, int, int, int]:
    """The checked ``(n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)`` of a
    pruner that compares a trial with the completed trials (:func:`may_decide`)."""
    return (
        check_int("n_startup_trials", n_startup_trials, 0),
        check_int("n_warmup_steps", n_warmup_steps, 0),
        check_int("interval_steps", interval_steps, 1),
        check_int("n_min_trials", n_min_trials, 1),
    )


def loss_sign(study: Study) -> float:
    """+1 when smaller values are better, -1 when larger are: multiply to get a loss."""
    if len(study.directions) != 1:
        raise NotImplementedError(
            "This pruner does not support multi-objective studies; use ParetoPruner."
        )
    return -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0


def check_interval(step: int, n_warmup_steps: int, interval_steps: int) -> bool:
    """True at the steps where a pruner may decide: past warm-up, on the interval grid."""
    if step < n_warmup_steps:
        return False
    return (step - n_warmup_steps) % interval_steps == 0


def comparable_trials(study: Study, trial: FrozenTrial) -> list[FrozenTrial]:
    """Every other trial that has reported intermediate values and has not failed."""
    return [
        t
        for t in study._get_trials(states=_COUNTED)
        if t.number != trial.number and t.intermediate_values
    ]


def n_complete(study: Study) -> int:
    return study._storage.get_n_trials(study._study_id, states=(TrialState.COMPLETE,))


def may_decide(
    study: Study, step: int, n_startup_trials: int, n_warmup_steps: int, interval_steps: int
) -> bool:
    """True when a pruner may decide at ``step``: a check step (:func:`check_interval`) and at
    least ``n_startup_trials`` trials COMPLETE."""
    if not check_interval(step, n_warmup_steps, interval_steps):
        return False
    return n_complete(study) >= n_startup_trials


def completed_others(study: Study, trial: FrozenTrial) -> list[FrozenTrial]:
    """The COMPLETE trials other than ``trial``: the comparison set of the median stopping
    rule, before each pruner keeps those that reached the step (docs/design/pruning.md)."""
    return [
        t for t in study._get_trials(states=(TrialState.COMPLETE,)) if t.number != trial.number
    ]


def best_loss_until(trial: FrozenTrial, step: int, sign: float) -> float:
    """The best (smallest) loss the trial reported at steps ≤ ``step``; NaN values are skipped,
    and NaN is returned when there is none."""
    losses = [
        sign * v for s, v in trial.intermediate_values.items() if s <= step and not math.isnan(v)
    ]
    return min(losses) if losses else math.nan
