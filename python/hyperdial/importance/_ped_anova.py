"""PED-ANOVA: importance for reaching the top quantile (Watanabe et al. 2023).

Watanabe, Bansal & Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance in
Arbitrary Subspaces" (IJCAI 2023). With the top-``gamma`` trials (target quantile) and the
top-``gamma'`` trials (region quantile, ``gamma <= gamma'``), the local importance of parameter
j is, by their Theorem 1, the Pearson divergence of the two marginal densities,

    v_j = (gamma / gamma')^2 * integral (p_top(x_j) / p_region(x_j) - 1)^2 p_region(x_j) dx_j,

estimated here with TPE's one-dimensional Parzen estimators (``cpp/include/hyperdial/tpe.hpp``,
the same bandwidths and uniform prior component as TPESampler) in the unit-cube coordinates
TPE uses (:mod:`hyperdial.samplers._unit_cube`), and the integral by a sum over the values of a
discrete parameter or over ``n_steps`` equal cells of a continuous one. Each parameter is
judged on the trials that have it, so a conditional parameter is judged within its branches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hyperdial.distributions import CategoricalDistribution
from hyperdial.importance._base import BaseImportanceEvaluator, Target, read_trials

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from hyperdial.distributions import BaseDistribution
    from hyperdial.study._study import Study

    F64 = NDArray[np.float64]

__all__ = ["PedAnovaImportanceEvaluator"]

#: At least this many trials in the top set (one trial has no spread to estimate).
_MIN_TOP = 2


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importances (see the module docstring).

    Args:
        target_quantile: gamma, the share of best trials whose distribution is compared.
        region_quantile: gamma', the share of best trials that defines the region (1: the
            whole search space, the global importance).
        n_steps: Cells of the integration grid of a continuous parameter.
        prior_weight: Weight of the Parzen estimators' uniform prior component.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=1))
        >>> study.optimize(lambda t: t.suggest_float("a", 0, 1) + 0 * t.suggest_float("b", 0, 1),
        ...                n_trials=100)
        >>> imp = PedAnovaImportanceEvaluator().evaluate(study)
        >>> imp["a"] > 5 * imp["b"]
        True
    """

    def __init__(
        self,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        *,
        n_steps: int = 50,
        prior_weight: float = 1.0,
    ) -> None:
        if not 0.0 < target_quantile <= region_quantile <= 1.0:
            raise ValueError(
                "need 0 < `target_quantile` <= `region_quantile` <= 1, got "
                f"target_quantile={target_quantile!r}, region_quantile={region_quantile!r}."
            )
        if n_steps < 2:
            raise ValueError(f"`n_steps` must be >= 2, got {n_steps}.")
        if not prior_weight > 0:
            raise ValueError(f"`prior_weight` must be > 0, got {prior_weight!r}.")
        self.target_quantile = target_quantile
        self.region_quantile = region_quantile
        self.n_steps = n_steps
        self.prior_weight = prior_weight

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target = None,
        feasible_only: bool = True,
    ) -> dict[str, float]:
        """PED-ANOVA importance of every parameter of ``params`` (None: every parameter of the
        usable trials). See :meth:`BaseImportanceEvaluator.evaluate`."""
        table = read_trials(study, params, target, feasible_only=feasible_only)
        score = table.y if table.minimize else -table.y
        scale = (self.target_quantile / self.region_quantile) ** 2
        out: dict[str, float] = {}
        for k, (name, dist) in enumerate(zip(table.names, table.dists, strict=True)):
            have = np.isfinite(table.internal[:, k])
            if dist.single() or have.sum() < _MIN_TOP:
                out[name] = 0.0
                continue
            values, s = table.internal[have, k], score[have]
            order = np.argsort(s, kind="stable")
            n_region = max(_MIN_TOP, math.ceil(self.region_quantile * s.size))
            n_top = min(n_region, max(_MIN_TOP, math.ceil(self.target_quantile * s.size)))
            top, region = values[order[:n_top]], values[order[:n_region]]
            p_top = self._masses(dist, top)
            p_region = self._masses(dist, region)
            out[name] = scale * float(np.sum(p_top**2 / p_region) - 1.0)
        return out

    def _masses(self, dist: BaseDistribution, values: F64) -> F64:
        """The Parzen estimator of ``values`` as probabilities of the integration cells."""
        from hyperdial import _core
        from hyperdial.samplers._unit_cube import cells, max_cell_width, to_unit

        n = values.size
        none_f, none_i = np.zeros((n, 0)), np.zeros((n, 0), dtype=np.int64)
        if isinstance(dist, CategoricalDistribution):
            k = len(dist.choices)
            grid = np.arange(k, dtype=np.int64)[:, None]
            empty = np.zeros((k, 0))
            log_p = _core.tpe_log_pdf(
                none_f, values.astype(np.int64)[:, None], None, np.array([k]),
                np.zeros(0, dtype=np.uint8), empty, empty, empty, grid,
                prior_weight=self.prior_weight,
            )  # fmt: skip
        else:
            mu = to_unit(dist, values)[:, None]
            coarse = max_cell_width(dist) > 0
            if coarse:
                # One cell per value of the grid: the centres of n_steps-or-more equal cells,
                # mapped onto the grid's own cells (repeats removed).
                probe = (np.arange(max(self.n_steps, 1024)) + 0.5) / max(self.n_steps, 1024)
                centre, lo, hi = (np.unique(a) for a in cells(dist, probe))
            else:
                centre = (np.arange(self.n_steps) + 0.5) / self.n_steps
                lo = hi = centre
            log_p = _core.tpe_log_pdf(
                mu, none_i, None, np.zeros(0, dtype=np.int64),
                np.array([1 if coarse else 0], dtype=np.uint8),
                centre[:, None], lo[:, None], hi[:, None], np.zeros((centre.size, 0), np.int64),
                prior_weight=self.prior_weight,
            )  # fmt: skip
        p = np.exp(log_p - log_p.max())
        out: F64 = p / p.sum()
        return out
