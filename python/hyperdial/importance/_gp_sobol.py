"""Sobol' indices of the GP surrogate GPSampler fits (the default evaluator).

Procedure:

1. Encode the trials as GPSampler does (:class:`hyperdial.samplers._gp._encoding.SpaceCoder`:
   numeric parameters as unit positions, log scale for ``log=True``, grids as cell centres,
   categoricals as codes, missing parameters inactive in the activity mask).
2. Fit the GP's hyperparameters by MAP (the kernel and priors of GPSampler,
   :mod:`hyperdial.gp`; the first start at short lengthscales, then the prior's centre and
   draws from the prior) on a uniform random subset of at most ``max_fit_points`` trials, then
   factorise the GP with those hyperparameters on a random subset of at most
   ``max_model_points`` trials (containing the first). A fit costs O(n^3) per likelihood
   evaluation and the indices O(n) per query, so these caps bound the time whatever the study's
   size; a uniform subset keeps the distribution of the trials.
3. Integrate the posterior mean's variance decomposition over the search space with scrambled
   Sobol' points in C++ (``cpp/include/hyperdial/sensitivity.hpp``: Saltelli 2010 first-order
   and Jansen total estimators), each parameter uniform in its unit-cube coordinate.
4. Uncertainty: half-sampling of the surrogate (McCarthy 1969, "Pseudo-replication: half
   samples"). Each replicate refits the coefficients ``alpha`` (hyperparameters fixed) on a
   random half of the model's trials; for an estimator that behaves like a mean, the spread of
   half-sample estimates equals the sampling spread of the full-sample one (the finite
   population correction 1 - 1/2 offsets the halved size), and, unlike a resample with
   replacement, a half has no duplicate trials and is one Cholesky factorisation of n/2
   points. The indices of all replicates come out of the same C++ pass, which shares the
   kernel evaluations. The standard deviation over replicates is
   :attr:`GPSobolImportanceEvaluator.last_std`.

Conditional spaces: the distinct activity patterns of the trials are the *branches*. The
integration draws a branch with the frequency of its pattern among the trials, then each
parameter active in it uniformly over the values the branch's trials used (the range of their
unit positions, or the set of their codes); inactive parameters take the kernel's stand-ins.
So a parameter's index is the variance it explains within the branches where it is active, as a
share of the whole variance, and the variance of switching branches goes to the switching
parameter (the one whose values separate the branches and that is active in the most of them):
its importance is its own index plus the index of the branch choice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hyperdial.importance._base import BaseImportanceEvaluator, Target, TrialTable, read_trials

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from hyperdial import _core
    from hyperdial.study._study import Study

    F64 = NDArray[np.float64]

__all__ = ["GPSobolImportanceEvaluator"]

_INDEXES = ("total", "first")
#: Lengthscale (unit-cube units) of the first start of the hyperparameter fit.
_START_LENGTHSCALE = 0.3
#: Starts of the fit drawn from the prior, besides the first and the prior's centre.
_FIT_RESTARTS = 3


class GPSobolImportanceEvaluator(BaseImportanceEvaluator):
    """Sobol' sensitivity indices of the fitted GP's posterior mean (see the module docstring).

    Args:
        index: ``"total"`` (default): the total index ST_j, the share of the variance that
            goes away when parameter j is fixed, its interactions included; ``"first"``: the
            first-order index S_j, its main effect only.
        n_samples: Base number N of Sobol' points, a power of two; the surface is evaluated at
            N (d + 2) points (d + 3 for a conditional space).
        n_bootstrap: Half-sample replicates of the surrogate for :attr:`last_std` (0: none).
        max_fit_points: Trials the hyperparameters are fitted on, at most.
        max_model_points: Trials the GP conditions on, at most.
        seed: Seed of the subsets, the bootstrap and the Sobol' scramble; None: fresh entropy.
        n_threads: Threads of the C++ loops (0: all available). The result does not depend on it.

    Attributes:
        last_first, last_total: The first-order and total indices of the last :meth:`evaluate`,
            by parameter (fractions of the variance, not normalised).
        last_std: Half-sampling standard deviations of the last ``index`` values, by parameter, in
            the same units (None with ``n_bootstrap=0``).

    Example:
        >>> import hyperdial
        >>> from hyperdial.importance import GPSobolImportanceEvaluator, get_param_importances
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
        >>> study.optimize(
        ...     lambda t: t.suggest_float("x", -1, 1) ** 2 + 0.01 * t.suggest_float("y", -1, 1),
        ...     n_trials=40)
        >>> evaluator = GPSobolImportanceEvaluator(seed=0)
        >>> ranks = get_param_importances(study, evaluator=evaluator)
        >>> list(ranks), ranks["x"] > 0.9, sorted(evaluator.last_std) == ["x", "y"]
        (['x', 'y'], True, True)
    """

    def __init__(
        self,
        index: str = "total",
        *,
        n_samples: int = 2048,
        n_bootstrap: int = 16,
        max_fit_points: int = 384,
        max_model_points: int = 1024,
        seed: int | None = None,
        n_threads: int = 0,
    ) -> None:
        if index not in _INDEXES:
            raise ValueError(f"`index` must be one of {list(_INDEXES)}, got {index!r}.")
        if n_samples < 2 or n_samples & (n_samples - 1):
            raise ValueError(f"`n_samples` must be a power of two >= 2, got {n_samples}.")
        if n_bootstrap < 0:
            raise ValueError(f"`n_bootstrap` must be >= 0, got {n_bootstrap}.")
        if max_fit_points < 2 or max_model_points < max_fit_points:
            raise ValueError(
                "`max_fit_points` must be >= 2 and `max_model_points` >= `max_fit_points`, got "
                f"{max_fit_points} and {max_model_points}."
            )
        self.index = index
        self.n_samples = n_samples
        self.n_bootstrap = n_bootstrap
        self.max_fit_points = max_fit_points
        self.max_model_points = max_model_points
        self.seed = seed
        self.n_threads = n_threads
        self.last_first: dict[str, float] = {}
        self.last_total: dict[str, float] = {}
        self.last_std: dict[str, float] | None = None

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target = None,
        feasible_only: bool = True,
    ) -> dict[str, float]:
        """Sobol' indices of every parameter of ``params`` (None: every parameter of the
        usable trials, conditional ones included). See
        :meth:`BaseImportanceEvaluator.evaluate`."""
        table = read_trials(study, params, target, feasible_only=feasible_only)
        first, total, std = self._indices(table)
        self.last_first, self.last_total = first, total
        self.last_std = std
        return dict(total if self.index == "total" else first)

    def _indices(
        self, table: TrialTable
    ) -> tuple[dict[str, float], dict[str, float], dict[str, float] | None]:
        from hyperdial import _core
        from hyperdial.gp import DIM_KINDS, default_bounds, default_priors
        from hyperdial.samplers._gp._encoding import ParamCoder

        zeros = dict.fromkeys(table.names, 0.0)
        rng = np.random.default_rng(self.seed)
        keep = [
            k for k, dist in enumerate(table.dists)
            if not dist.single() and np.isfinite(table.internal[:, k]).any()
        ]  # fmt: skip
        if not keep or np.ptp(table.y) == 0:
            return dict(zeros), dict(zeros), (dict(zeros) if self.n_bootstrap else None)
        names = [table.names[k] for k in keep]
        coders = [ParamCoder(table.dists[k]) for k in keep]
        n, d = table.y.size, len(keep)
        x = np.empty((n, d))
        active = np.empty((n, d), dtype=bool)
        for j, (k, coder) in enumerate(zip(keep, coders, strict=True)):
            x[:, j], active[:, j] = coder.encode(table.internal[:, k])
        used = active.any(axis=1)
        x, active, y = x[used], active[used], table.y[used]
        n = y.size
        if n < 2:
            return dict(zeros), dict(zeros), (dict(zeros) if self.n_bootstrap else None)
        kinds = [c.kind for c in coders]
        n_choices = [c.n_choices for c in coders]
        inputs, switch = _inputs(x, active, kinds, n_choices, coders)
        conditional = not active.all()

        order = rng.permutation(n)
        fit_rows = order[: self.max_fit_points]
        model_rows = order[: self.max_model_points]
        mask = active.astype(np.float64) if conditional else None
        core_kinds = [DIM_KINDS[k] for k in kinds]
        ys = (y - y.mean()) / y.std()
        prior_mean, prior_std = default_priors(d)
        lower, upper = default_bounds(d)
        # The first start has short lengthscales: from the prior's centre (long ones, where
        # the other starts are drawn) the fit can settle on "all noise" for an objective
        # with several periods over the range, such as Ishigami's sin^2 term.
        theta0 = np.concatenate([np.full(d, math.log(_START_LENGTHSCALE)), [0.0, -4.0]])
        fit = _core.fit_gp(
            kernel=_core.KernelKind.matern52, dim_kinds=core_kinds, x=x[fit_rows],
            y=ys[fit_rows], theta0=theta0, lower=lower, upper=upper,
            mask=None if mask is None else mask[fit_rows], prior_mean=prior_mean,
            prior_std=prior_std, n_restarts=_FIT_RESTARTS, seed=int(rng.integers(2**63)),
            n_threads=self.n_threads,
        )  # fmt: skip
        log_params = fit.log_params
        xm = np.ascontiguousarray(x[model_rows])
        mm = None if mask is None else np.ascontiguousarray(mask[model_rows])
        ym = ys[model_rows]
        model = _core.ExactGP(
            kernel=_core.KernelKind.matern52, dim_kinds=core_kinds, log_params=log_params,
            x=xm, y=ym, mask=mm, n_threads=self.n_threads,
        )  # fmt: skip
        alphas = [model.alpha]
        for _ in range(self.n_bootstrap):
            half = np.sort(rng.permutation(xm.shape[0])[: xm.shape[0] // 2])
            replicate = _core.ExactGP(
                kernel=_core.KernelKind.matern52, dim_kinds=core_kinds, log_params=log_params,
                x=xm[half], y=ym[half], mask=None if mm is None else mm[half],
                n_threads=self.n_threads,
            )  # fmt: skip
            alpha = np.zeros(xm.shape[0])
            alpha[half] = replicate.alpha
            alphas.append(alpha)
        result = _core.sobol_indices(
            kernel=_core.KernelKind.matern52, dim_kinds=core_kinds, log_params=log_params,
            x=xm, mask=mm, alphas=np.column_stack(alphas), inputs=inputs,
            n_base=self.n_samples, seed=int(rng.integers(2**63)), n_threads=self.n_threads,
        )  # fmt: skip
        first_all = np.clip(_attribute(result.first, d, switch), 0.0, None)
        total_all = np.clip(_attribute(result.total, d, switch), 0.0, None)
        first, total = dict(zeros), dict(zeros)
        for j, name in enumerate(names):
            first[name] = float(first_all[0, j])
            total[name] = float(total_all[0, j])
        std = None
        if self.n_bootstrap:
            chosen = total_all if self.index == "total" else first_all
            spread = chosen[1:].std(axis=0, ddof=1)
            std = dict(zeros)
            for j, name in enumerate(names):
                std[name] = float(spread[j])
        return first, total, std


def _attribute(indices: F64, d: int, switch: int | None) -> F64:
    """Adds the branch choice's column (the last, present when there are branches) to the
    switching parameter's and drops it."""
    out = np.array(indices[:, :d])
    if indices.shape[1] > d and switch is not None:
        out[:, switch] += indices[:, d]
    return out


def _inputs(
    x: F64,
    active: NDArray[np.bool_],
    kinds: list[str],
    n_choices: list[int],
    coders: Sequence[object],
) -> tuple[_core.SobolInputs, int | None]:
    """The ``_core.SobolInputs`` of the trials (one branch per activity pattern) and the index
    of the switching parameter (None without branches, or when no parameter separates them)."""
    from hyperdial import _core
    from hyperdial.samplers._unit_cube import n_cells

    n, d = x.shape
    cells = []
    for kind, coder, c in zip(kinds, coders, n_choices, strict=True):
        if kind == "categorical" or kind == "integer":
            cells.append(c)
        else:
            cells.append(n_cells(coder.dist) or 0)  # type: ignore[attr-defined]
    patterns, inverse, counts = np.unique(active, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    b = patterns.shape[0]
    cat = [j for j in range(d) if kinds[j] == "categorical"]
    width = max([n_choices[j] for j in cat], default=1)
    codes = np.full((b * d, width), np.nan)
    lower, upper = np.zeros((b, d)), np.ones((b, d))
    sets: list[list[set[float] | tuple[float, float]]] = []
    for i in range(b):
        rows = inverse == i
        branch: list[set[float] | tuple[float, float]] = []
        for j in range(d):
            col = x[rows, j]
            if kinds[j] == "categorical":
                seen = np.unique(col) if b > 1 else np.arange(n_choices[j], dtype=float)
                seen = seen[seen >= 0]
                codes[i * d + j, : seen.size] = seen
                branch.append(set(seen.tolist()))
            else:
                if b > 1 and patterns[i, j]:
                    lower[i, j], upper[i, j] = float(col.min()), float(col.max())
                branch.append((lower[i, j], upper[i, j]))
        sets.append(branch)
    cdf = np.minimum(np.cumsum(counts) / n, 1.0)
    cdf[-1] = 1.0
    inputs = _core.SobolInputs(
        n_cells=cells,
        cdf=cdf,
        mask=patterns.astype(np.float64),
        lower=lower,
        upper=upper,
        codes=codes,
    )
    return inputs, _switch(patterns, sets) if b > 1 else None


def _switch(
    patterns: NDArray[np.bool_], sets: list[list[set[float] | tuple[float, float]]]
) -> int | None:
    """The parameter that separates the most pairs of branches it is active in (disjoint code
    sets, or non-overlapping ranges), preferring the one active in the most branches."""
    b, d = patterns.shape
    best, best_key = None, (0, 0)
    for j in range(d):
        on = [i for i in range(b) if patterns[i, j]]
        separated = 0
        for a in range(len(on)):
            for c in range(a + 1, len(on)):
                sa, sc = sets[on[a]][j], sets[on[c]][j]
                if isinstance(sa, set) and isinstance(sc, set):
                    separated += not (sa & sc)
                elif isinstance(sa, tuple) and isinstance(sc, tuple):
                    separated += sa[1] < sc[0] or sc[1] < sa[0]
        key = (len(on), separated) if separated else (0, 0)
        if key > best_key:
            best, best_key = j, key
    return best
