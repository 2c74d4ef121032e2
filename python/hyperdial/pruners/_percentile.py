from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import (
    best_loss_until,
    check_real_in,
    check_schedule,
    completed_others,
    loss_sign,
    may_decide,
)

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["MedianPruner", "PercentilePruner"]


def _percentile(xs: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of the sorted ``xs``, interpolating linearly between the two
    closest ranks (NumPy's default); next to an infinite value, the interpolation's limit (the
    infinity), and NaN between -inf and +inf (which never prunes)."""
    pos = q / 100.0 * (len(xs) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(xs) - 1)
    a, b, t = float(xs[lo]), float(xs[hi]), pos - lo
    if t == 0.0 or a == b:
        return a
    if math.isinf(a) and math.isinf(b):
        return math.nan
    if math.isinf(a) or math.isinf(b):
        return a if math.isinf(a) else b
    return a + (b - a) * t


class PercentilePruner(BasePruner):
    """Prunes a trial whose best value so far is worse than a percentile of the other trials'.

    At a check step ``s`` the trial's best intermediate value over steps ≤ ``s`` is compared with
    the ``percentile``-th percentile (in the "good" direction: 25 keeps the best quarter) of the
    best values over steps ≤ ``s`` of the COMPLETE trials that reached ``s`` (reported at ``s``
    or later). This is the median stopping rule of Golovin et al. 2017 (Google Vizier), which
    compares with completed trials up to ``s``, with their best value where the paper takes a
    running average. Pruned and running trials do not count: a trial stopped before ``s`` has
    no value there, and its early best would drag the percentile down on improving learning
    curves; trials stopped after ``s``, or still running, reached ``s`` by being good early,
    and counting them raises the bar there, which on both benchmark tasks cost more training
    than it saved. The candidates were measured: docs/design/pruning.md. A trial whose
    values so far are all NaN is pruned; NaN values of other trials are ignored. The
    percentile interpolates linearly between ranks; next to an infinite value it is that
    infinity.

    Args:
        percentile: In ``[0, 100]``; a trial worse than this percentile is pruned.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every this many steps after the warm-up.
        n_min_trials: No pruning at a step until this many COMPLETE trials reached it.

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.PercentilePruner(25.0, n_startup_trials=5)
        >>> study = hyperdial.create_study(pruner=pruner)
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        self._percentile: float = check_real_in(
            "percentile", percentile, 0.0, 100.0, low_open=False
        )
        (
            self._n_startup_trials,
            self._n_warmup_steps,
            self._interval_steps,
            self._n_min_trials,
        ) = check_schedule(n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        sign = loss_sign(study)
        if not may_decide(
            study, step, self._n_startup_trials, self._n_warmup_steps, self._interval_steps
        ):
            return False
        mine = best_loss_until(trial, step, sign)
        if math.isnan(mine):
            return True
        # Completed trials that reached this step (docs/design/pruning.md).
        others = [
            best_loss_until(t, step, sign)
            for t in completed_others(study, trial)
            if (t.last_step or 0) >= step
        ]
        others_arr = np.array([v for v in others if not math.isnan(v)])
        if len(others_arr) < self._n_min_trials:
            return False
        return mine > _percentile(np.sort(others_arr), self._percentile)


class MedianPruner(PercentilePruner):
    """Prunes a trial whose best value so far is worse than the median of the other trials'.

    :class:`PercentilePruner` with ``percentile=50``: the median of the COMPLETE trials that
    reached the step.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(pruner=hyperdial.pruners.MedianPruner())
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials
        )
