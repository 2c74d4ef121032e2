"""Checks what an objective returned, and ranks trials by their values."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import _magnitude
from hyperdial.trial._frozen import FrozenTrial

__all__ = ["check_values", "pareto_front"]


def _as_float(v: Any) -> float | None:
    if isinstance(v, (str, bytes)):
        return None
    if isinstance(v, (numbers.Real, np.bool_)):  # bool is an int, so np.bool_ is taken alike
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "biuf":
        return float(v)
    return None


def check_values(obj: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Returns ``(values, None)`` for a valid objective result, else ``(None, reason)``.

    Valid: a real number (Python, NumPy scalar or 0-d array) for one objective, or a sequence of
    ``n_objectives`` real numbers; no NaN. ±inf is valid.
    """
    if type(obj) is float and n_objectives == 1:  # the common case
        return ([obj], None) if obj == obj else (None, "the objective returned NaN")
    if obj is None:
        return None, "the objective returned None"
    if isinstance(obj, (str, bytes)):
        return None, f"the objective returned {obj!r}, which is not a number"
    if isinstance(obj, np.ndarray) and obj.ndim == 0:
        seq: Sequence[Any] = [obj]
    elif isinstance(obj, (Sequence, np.ndarray)):
        seq = list(obj)
    else:
        seq = [obj]
    if len(seq) != n_objectives:
        return None, (
            f"the objective returned {len(seq)} value(s) but the study has {n_objectives} "
            f"objective(s): {obj!r}"
        )
    out: list[float] = []
    for v in seq:
        try:
            f = _as_float(v)
        except OverflowError:  # float() of an int beyond the float64 range
            return None, f"the objective returned a number too large for a float ({_magnitude(v)})"
        if f is None:
            return None, f"the objective returned {v!r}, which is not a number"
        if math.isnan(f):
            return None, "the objective returned NaN"
        out.append(f)
    return out, None


def _loss_matrix(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> np.ndarray:
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    vals = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(directions))
    out: np.ndarray = vals * signs
    return out


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """Trials that no other trial dominates (all objectives as good, one strictly better).

    Points are visited in lexicographic order, so a point can only be dominated by one seen
    before it; the front is kept in a growing array. Ties are all kept.
    """
    if not trials:
        return []
    loss = _loss_matrix(trials, directions)
    order = np.lexsort(loss.T[::-1])
    front = np.empty_like(loss)
    members: list[int] = []
    for i in order:
        v = loss[i]
        f = front[: len(members)]
        if len(members) and np.any(np.all(f <= v, axis=1) & np.any(f < v, axis=1)):
            continue
        front[len(members)] = v
        members.append(int(i))
    return [trials[i] for i in sorted(members, key=lambda i: trials[i].number)]
