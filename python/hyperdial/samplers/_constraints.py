"""``constraints_func=``: constraint values computed after a trial, stored like ``set_constraint``.

GPSampler, TPESampler and the NSGA samplers take Optuna's ``constraints_func``: a function of
the finished trial's :class:`~hyperdial.trial.FrozenTrial` that returns a sequence of floats,
feasible when every value is <= 0. It runs in the sampler's ``after_trial`` for COMPLETE and
PRUNED trials (not for FAIL ones, as in Optuna). Its values are stored under the names ``"0"``,
``"1"``, ... (Optuna's names for a constraints list) in the same ``"constraints"`` system
attribute that :meth:`Trial.set_constraint <hyperdial.trial.Trial.set_constraint>` writes,
built by the same function (:func:`hyperdial.trial._trial.merged_constraints`), so every reader
(the samplers, ``best_trial``, ``best_trials``, the plots) sees one kind of record.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hyperdial.trial._checks import check_attr
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY
from hyperdial.trial._trial import merged_constraints

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["ConstraintsFunc", "check_constraints_func", "record_constraints"]

ConstraintsFunc = Callable[["FrozenTrial"], Sequence[float]]


def check_constraints_func(func: Any) -> ConstraintsFunc | None:
    """Returns ``func`` if it is None or callable; raises TypeError naming the argument."""
    if func is not None and not callable(func):
        raise TypeError(
            "`constraints_func` must be None or a function of a FrozenTrial returning a "
            f"sequence of floats, got {func!r}."
        )
    checked: ConstraintsFunc | None = func
    return checked


def _values(raw: Any, number: int) -> list[Any]:
    """The items of what ``constraints_func`` returned, or a clear error naming it."""
    where = f"`constraints_func` returned {raw!r} for trial {number}"
    if isinstance(raw, (str, bytes, numbers.Number)):
        raise TypeError(f"{where}; it must return a sequence of floats (<= 0: feasible).")
    ndim = getattr(raw, "ndim", None)
    if isinstance(ndim, int) and ndim != 1:
        raise ValueError(f"{where}, an array of {ndim} dimensions; it must be one-dimensional.")
    try:
        return list(raw)
    except TypeError:
        raise TypeError(
            f"{where}; it must return a sequence of floats (<= 0: feasible)."
        ) from None


def record_constraints(
    func: ConstraintsFunc | None, study: Study, trial: FrozenTrial, state: TrialState
) -> None:
    """Calls ``func(trial)`` for a COMPLETE or PRUNED trial and stores its values.

    Raises:
        RuntimeError: ``func`` raised (the cause is chained); the study then fails the trial
            and logs this message as the reason.
        TypeError: ``func`` did not return a sequence of real numbers.
        ValueError: it returned an array of more than one dimension, or a NaN.
    """
    if func is None or state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return
    try:
        raw = func(trial)
    except Exception as e:
        raise RuntimeError(f"`constraints_func` raised {e!r} for trial {trial.number}.") from e
    items = _values(raw, trial.number)
    try:
        constraints = merged_constraints(
            trial.system_attrs, {str(i): v for i, v in enumerate(items)}
        )
    except (TypeError, ValueError) as e:
        raise type(e)(
            f"`constraints_func` returned {raw!r} for trial {trial.number}: {e}"
        ) from None
    check_attr("System attribute", CONSTRAINTS_KEY, constraints)
    study._storage.set_trial_system_attr(trial._trial_id, CONSTRAINTS_KEY, constraints)
