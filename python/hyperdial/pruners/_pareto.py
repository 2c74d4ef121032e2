from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import check_real_in, check_schedule, completed_others, may_decide
from hyperdial.trial._intermediate import intermediate_vectors

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["ParetoPruner"]


def _vector_until(
    vectors: dict[int, tuple[float, ...]], step: int, signs: np.ndarray
) -> np.ndarray | None:
    """The last vector reported at a step ≤ ``step``, as losses; None when there is none."""
    steps = [s for s in vectors if s <= step]
    if not steps:
        return None
    out: np.ndarray = signs * np.asarray(vectors[max(steps)], dtype=float)
    return out


def _n_better_fronts(losses: np.ndarray, mine: np.ndarray) -> int:
    """How many rows of ``losses`` lie on non-dominated fronts better than ``mine``'s front in
    the non-dominated sorting of ``losses`` plus ``mine`` (Deb et al. 2002)."""
    points = np.vstack([losses, mine[None, :]])
    n = len(points)
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dominates = le & lt  # dominates[i, j]: i dominates j
    remaining = np.ones(n, dtype=bool)
    better = 0
    while remaining[-1]:
        dominated = np.any(dominates[remaining][:, remaining], axis=0)
        front = np.flatnonzero(remaining)[~dominated]
        if n - 1 in front:
            break
        better += len(front)
        remaining[front] = False
    return better


class ParetoPruner(BasePruner):
    """Prunes a multi-objective trial whose intermediate vector lies behind enough completed
    trials' vectors: the median stopping rule with non-dominated sorting in place of the order.

    The trial reports one value per objective (``trial.report([v1, v2], step)``). At a check
    step ``s`` its last vector reported at a step ≤ ``s`` is ranked, by non-dominated sorting
    (Deb et al. 2002), together with the vectors at ``s`` (the last reported at a step ≤ ``s``)
    of the COMPLETE trials that reached ``s``. The trial is pruned when at least ``fraction`` of
    those completed trials lie on fronts strictly better than its own. This is the ranking
    MO-ASHA (Schmucker et al. 2021) promotes by, applied as in
    :class:`~hyperdial.pruners.MedianPruner`: with one objective and ``fraction=0.5`` it prunes
    a trial when at least half of the completed trials were strictly better at that step. A
    trial on the first front is never pruned. A vector with a NaN is pruned; completed trials'
    vectors with a NaN are left out.

    Args:
        fraction: In ``(0, 1]``; the share of completed trials on better fronts that prunes.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every this many steps after the warm-up.
        n_min_trials: No pruning at a step until this many COMPLETE trials reached it.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(
        ...     directions=["maximize", "minimize"], pruner=hyperdial.pruners.ParetoPruner()
        ... )
    """

    _multi_objective: ClassVar[bool] = True

    def __init__(
        self,
        fraction: float = 0.5,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        self._fraction: float = check_real_in("fraction", fraction, 0.0, 1.0, low_open=True)
        (
            self._n_startup_trials,
            self._n_warmup_steps,
            self._interval_steps,
            self._n_min_trials,
        ) = check_schedule(n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        vectors = intermediate_vectors(trial)
        if not vectors:
            return False
        step = max(vectors)
        if not may_decide(
            study, step, self._n_startup_trials, self._n_warmup_steps, self._interval_steps
        ):
            return False
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
        mine = signs * np.asarray(vectors[step], dtype=float)
        if np.isnan(mine).any():
            return True
        others = []
        for t in completed_others(study, trial):
            theirs = intermediate_vectors(t)
            if not theirs or max(theirs) < step:
                continue
            v = _vector_until(theirs, step, signs)
            if v is not None and not np.isnan(v).any():
                others.append(v)
        if len(others) < self._n_min_trials:
            return False
        better = _n_better_fronts(np.array(others), mine)
        return better >= math.ceil(self._fraction * len(others) - 1e-12) and better > 0
