"""Checks what an objective returned, and ranks trials by their values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._numbers import to_real

__all__ = ["check_values", "pareto_front"]


def check_values(obj: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Returns ``(values, None)`` for a valid objective result, else ``(None, reason)``.

    Valid: a real number for one objective, or a sequence (list, tuple, 1-d array or tensor)
    of ``n_objectives`` real numbers; no NaN, ±inf allowed. A real number is what
    :func:`hyperdial.trial._numbers.to_real` takes: Python and NumPy numbers, 0-d arrays,
    ``Decimal``, and anything ``float()`` converts without overflow (a torch scalar, say).
    """
    if type(obj) is float and n_objectives == 1:  # the common case
        return ([obj], None) if obj == obj else (None, "the objective returned NaN")
    if obj is None:
        return None, "the objective returned None"
    if isinstance(obj, (str, bytes)):
        return None, f"the objective returned {obj!r}, which is not a number"
    seq = _as_sequence(obj)
    if len(seq) != n_objectives:
        return None, (
            f"the objective returned {len(seq)} value(s) but the study has {n_objectives} "
            f"objective(s): {obj!r}"
        )
    out: list[float] = []
    for v in seq:
        try:
            f = to_real(v)
        except ValueError as e:
            return None, f"the objective returned a number too large for a float ({e})"
        except TypeError as e:
            return None, f"the objective returned {v!r}, which is not a number: {e}"
        if math.isnan(f):
            return None, "the objective returned NaN"
        out.append(f)
    return out, None


def _as_sequence(obj: Any) -> Sequence[Any]:
    """The values of a result: its items if it is a sequence or has dimensions (a NumPy array,
    a torch tensor), else ``[obj]``."""
    if isinstance(obj, Sequence):
        return obj
    ndim = getattr(obj, "ndim", None)
    if isinstance(ndim, int) and ndim >= 1 and hasattr(obj, "__iter__"):
        return list(obj)
    return [obj]


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
