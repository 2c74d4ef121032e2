"""Functional ANOVA of a random forest (Hutter, Hoos & Leyton-Brown 2014).

Hutter et al., "An Efficient Approach for Assessing Hyperparameter Importance" (ICML 2014).
A regression tree is piecewise constant on axis-aligned boxes (its leaves) that partition the
input box ``X``, so its variance decomposition under the uniform distribution on ``X`` is exact
and cheap (their Theorem 2): with leaf values ``v_l`` and box volume fractions ``w_l``,

    f0 = sum_l w_l v_l,     V = sum_l w_l (v_l - f0)^2,

and the marginal of parameter j is piecewise constant on the intervals between the tree's
split points on j: on interval I, ``a_j(I) = sum_{l: I in box_l} v_l * w_l / width_lj``
(width_lj the leaf's fraction of dimension j), so ``V_j = sum_I |I| (a_j(I) - f0)^2``. The
importance of j is the first-order fraction ``V_j / V`` averaged over the trees of the forest.

Coordinates: numeric parameters as TPE's unit positions in ``[0, 1]``
(:mod:`hyperdial.samplers._unit_cube`), a categorical parameter with k choices as its code plus
1/2 in ``[0, k]`` (each choice an equal cell; a tree's split on codes groups neighbouring codes,
so a deep forest separates any choice). Like Optuna's evaluator, it reads the parameters all
the usable trials share (or the trials that have every parameter of ``params``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.distributions import CategoricalDistribution
from hyperdial.importance._base import BaseImportanceEvaluator, Target, read_trials

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from hyperdial.study._study import Study

    F64 = NDArray[np.float64]

__all__ = ["FanovaImportanceEvaluator", "tree_main_effects"]


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA main-effect importances on a scikit-learn random forest.

    Args:
        n_trees: Trees of the forest (``RandomForestRegressor(n_estimators=...)``).
        max_depth: Their maximum depth.
        min_samples_split, min_samples_leaf, max_features: The forest's other settings, passed
            through to ``RandomForestRegressor``.
        seed: The forest's ``random_state``.
        n_jobs: The forest's ``n_jobs`` (fitting in parallel).

    Raises:
        ImportError: at construction, when scikit-learn is not installed.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("a", 0, 1) + 0 * t.suggest_float("b", 0, 1),
        ...                n_trials=50)
        >>> imp = FanovaImportanceEvaluator(n_trees=16, seed=0).evaluate(study)
        >>> imp["a"] > 0.9
        True
    """

    def __init__(
        self,
        n_trees: int = 64,
        max_depth: int = 64,
        *,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features: float | str | None = 1.0,
        seed: int | None = None,
        n_jobs: int | None = None,
    ) -> None:
        try:
            import sklearn.ensemble  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "FanovaImportanceEvaluator needs scikit-learn: pip install scikit-learn"
            ) from exc
        if n_trees < 1 or max_depth < 1:
            raise ValueError(
                f"`n_trees` and `max_depth` must be >= 1, got {n_trees} and {max_depth}."
            )
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.seed = seed
        self.n_jobs = n_jobs

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target = None,
        feasible_only: bool = True,
    ) -> dict[str, float]:
        """fANOVA importance of every parameter of ``params`` (None: the parameters every
        usable trial has). See :meth:`BaseImportanceEvaluator.evaluate`."""
        from sklearn.ensemble import (  # type: ignore[import-untyped,unused-ignore]
            RandomForestRegressor,
        )

        from hyperdial.samplers._unit_cube import to_codes, to_unit

        table = read_trials(study, params, target, feasible_only=feasible_only)
        have = np.isfinite(table.internal)
        if params is None:
            cols = [k for k in range(len(table.names)) if have[:, k].all()]
        else:
            cols = list(range(len(table.names)))
        rows = have[:, cols].all(axis=1)
        out = {table.names[k]: 0.0 for k in cols}
        varied = [k for k in cols if not table.dists[k].single()]
        if rows.sum() < 2 or not varied:
            return out
        x = np.empty((int(rows.sum()), len(varied)))
        upper = np.ones(len(varied))
        for j, k in enumerate(varied):
            dist, v = table.dists[k], table.internal[rows, k]
            if isinstance(dist, CategoricalDistribution):
                x[:, j] = to_codes(dist, v) + 0.5
                upper[j] = len(dist.choices)
            else:
                x[:, j] = to_unit(dist, v)
        y = table.y[rows]
        forest = RandomForestRegressor(
            n_estimators=self.n_trees, max_depth=self.max_depth,
            min_samples_split=self.min_samples_split, min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features, random_state=self.seed, n_jobs=self.n_jobs,
        )  # fmt: skip
        forest.fit(x, y)
        effects = np.mean([tree_main_effects(t.tree_, upper) for t in forest.estimators_], axis=0)
        for j, k in enumerate(varied):
            out[table.names[k]] = float(effects[j])
        return out


def _leaves(tree: Any, upper: F64) -> tuple[F64, F64, F64]:
    """Boxes ``(lo, hi)`` ``(L, d)`` and values ``(L,)`` of a fitted sklearn tree's leaves."""
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    d = upper.size
    los, his, vals = [], [], []
    stack = [(0, np.zeros(d), upper.astype(float).copy())]
    while stack:
        node, lo, hi = stack.pop()
        if left[node] < 0:
            los.append(lo)
            his.append(hi)
            vals.append(float(tree.value[node].ravel()[0]))
            continue
        f, t = int(feature[node]), float(threshold[node])
        cut = min(max(t, lo[f]), hi[f])
        hi_left, lo_right = hi.copy(), lo.copy()
        hi_left[f], lo_right[f] = cut, cut
        stack.append((int(left[node]), lo, hi_left))
        stack.append((int(right[node]), lo_right, hi))
    return np.array(los), np.array(his), np.array(vals)


def tree_main_effects(tree: Any, upper: F64) -> F64:
    """First-order variance fractions ``V_j / V`` ``(d,)`` of one fitted sklearn tree on the box
    ``[0, upper]`` (the module docstring's formulas); zeros for a tree with no variance."""
    lo, hi, v = _leaves(tree, upper)
    d = upper.size
    width = (hi - lo) / upper
    w = np.prod(width, axis=1)
    f0 = float(w @ v)
    total = float(w @ (v - f0) ** 2)
    out = np.zeros(d)
    if not total > 0:
        return out
    for j in range(d):
        edges, idx = np.unique(np.concatenate([lo[:, j], hi[:, j]]), return_inverse=True)
        start, stop = idx[: v.size], idx[v.size :]
        # Each leaf adds v * w / width_j to the intervals it covers (a difference array).
        contrib = v * w / width[:, j]
        acc = np.zeros(edges.size)
        np.add.at(acc, start, contrib)
        np.add.at(acc, stop, -contrib)
        marginal = np.cumsum(acc)[:-1]
        length = np.diff(edges) / upper[j]
        out[j] = float(length @ (marginal - f0) ** 2) / total
    return out
