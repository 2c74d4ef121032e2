from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

import numpy as np

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import check_int, loss_sign

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["WilcoxonPruner", "signed_rank_pvalue_greater"]

_EXACT_MAX_N = 50


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``a`` with ties given their average rank."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def signed_rank_pvalue_greater(d: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value for "the differences ``d`` tend to be > 0".

    Zero differences are dropped. Up to 50 differences the p-value is exact (the permutation
    distribution of the signs over the actual, possibly tied, ranks); beyond, the normal
    approximation with the tie correction of the variance and no continuity correction.
    Returns 1.0 when no difference is left.
    """
    d = np.asarray(d, dtype=float)
    d = d[d != 0.0]
    n = len(d)
    if n == 0:
        return 1.0
    absd = np.abs(d)
    ranks = _average_ranks(absd)
    w_plus = float(ranks[d > 0].sum())
    _, counts = np.unique(absd, return_counts=True)
    if n <= _EXACT_MAX_N:
        # Exact null distribution of W+ given these ranks: every sign pattern is equally likely.
        # Average ranks are multiples of 1/2, so doubled ranks are integers and a subset-sum
        # count over them is exact (counts stay below 2**53 for n <= 50).
        doubled = np.rint(2.0 * ranks).astype(np.int64)
        dist = np.zeros(int(doubled.sum()) + 1)
        dist[0] = 1.0
        for r in doubled:
            dist[r:] = dist[r:] + dist[:-r].copy()
        return float(dist[int(round(2.0 * w_plus)) :].sum() / 2.0**n)
    mean = n * (n + 1) / 4.0
    var = n * (n + 1) * (2 * n + 1) / 24.0 - float(np.sum(counts**3 - counts)) / 48.0
    if var <= 0.0:
        return 1.0
    z = (w_plus - mean) / math.sqrt(var)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


class WilcoxonPruner(BasePruner):
    """Prunes a trial that is significantly worse than the best trial on the same instances.

    For objectives that average a score over instances (cross-validation folds, data sets,
    random seeds): report each instance's score with ``trial.report(score, instance_id)`` in
    any order, and return the average. At each report, the instances the trial shares with the
    best COMPLETE trial are compared with a one-sided Wilcoxon signed-rank test; the trial is
    pruned when the p-value that it is worse is below ``p_threshold``. NaN scores count as the
    worst possible; instances where both are equal (or both infinite the same way) carry no
    evidence.

    Args:
        p_threshold: Significance level in (0, 1); smaller prunes less.
        n_startup_steps: No pruning before the trial has reported this many instances.

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.WilcoxonPruner(p_threshold=0.1)
        >>> study = hyperdial.create_study(pruner=pruner)
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if (
            isinstance(p_threshold, bool)
            or not isinstance(p_threshold, numbers.Real)
            or not 0.0 < float(p_threshold) < 1.0
        ):
            raise ValueError(f"`p_threshold` must be in (0, 1), got {p_threshold!r}.")
        self._p: float = float(p_threshold)
        self._n_startup_steps: int = check_int("n_startup_steps", n_startup_steps, 0)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if len(trial.intermediate_values) < max(self._n_startup_steps, 1):
            return False
        sign = loss_sign(study)
        try:
            best = study.best_trial
        except ValueError:
            return False
        common = sorted(set(trial.intermediate_values) & set(best.intermediate_values))
        if not common:
            return False
        mine = np.array([sign * trial.intermediate_values[s] for s in common])
        ref = np.array([sign * best.intermediate_values[s] for s in common])
        mine = np.where(np.isnan(mine), np.inf, mine)
        ref = np.where(np.isnan(ref), np.inf, ref)
        with np.errstate(invalid="ignore"):
            d = mine - ref
        d = np.where(np.isnan(d), 0.0, d)  # inf - inf: the same outcome on that instance
        return signed_rank_pvalue_greater(d) < self._p
