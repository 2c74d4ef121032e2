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
    "check_int",
    "check_interval",
    "comparable_trials",
    "loss_sign",
    "n_complete",
]

# Trials whose intermediate values count for pruning: everything that has started, as soon as
# it reports (other workers' running trials included), except failed ones.
_COUNTED = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED)


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


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


def best_loss_until(trial: FrozenTrial, step: int, sign: float) -> float:
    """The best (smallest) loss the trial reported at steps ≤ ``step``; NaN values are skipped,
    and NaN is returned when there is none."""
    losses = [
        sign * v for s, v in trial.intermediate_values.items() if s <= step and not math.isnan(v)
    ]
    return min(losses) if losses else math.nan
