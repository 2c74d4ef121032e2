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
share of the whole variance. The variance of switching branches goes to the switching
parameters (those whose values tell branches apart), a nested switch taking the share of the
branches below it (``_Branches.switch_shares``): a switch's importance is its own index plus
that share.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

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
        branches = _Branches(x, active, kinds, n_choices, coders)
        inputs = branches.inputs(np.arange(branches.count))
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
        alpha_matrix = np.column_stack(alphas)
        scramble_seed = int(rng.integers(2**63))

        def run(inputs: _core.SobolInputs) -> _core.SobolIndicesResult:
            return _core.sobol_indices(
                kernel=_core.KernelKind.matern52, dim_kinds=core_kinds, log_params=log_params,
                x=xm, mask=mm, alphas=alpha_matrix, inputs=inputs, n_base=self.n_samples,
                seed=scramble_seed, n_threads=self.n_threads,
            )  # fmt: skip

        result = run(inputs)
        first_all = np.array(result.first[:, :d])
        total_all = np.array(result.total[:, :d])
        if branches.count > 1:
            for j, share in branches.switch_shares(result, run, self.index).items():
                first_all[:, j] += share
                total_all[:, j] += share
        first_all, total_all = np.clip(first_all, 0.0, None), np.clip(total_all, 0.0, None)
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


class _Branches:
    """The activity patterns of the trials and what each allows (the module docstring)."""

    def __init__(
        self,
        x: F64,
        active: NDArray[np.bool_],
        kinds: list[str],
        n_choices: list[int],
        coders: Sequence[Any],
    ) -> None:
        from hyperdial.samplers._unit_cube import n_cells

        n, d = x.shape
        self.d = d
        self.cells = [
            c if kind in ("categorical", "integer") else (n_cells(coder.dist) or 0)
            for kind, coder, c in zip(kinds, coders, n_choices, strict=True)
        ]
        patterns, inverse, counts = np.unique(
            active, axis=0, return_inverse=True, return_counts=True
        )
        inverse = inverse.ravel()
        self.count = b = patterns.shape[0]
        self.patterns = patterns
        self.weights = counts / n
        width = max([n_choices[j] for j in range(d) if kinds[j] == "categorical"], default=1)
        self.codes = np.full((b * d, width), np.nan)
        self.lower, self.upper = np.zeros((b, d)), np.ones((b, d))
        # What each branch allows of each parameter: a set of codes or a (low, high) range.
        self.allowed: list[list[set[float] | tuple[float, float]]] = []
        for i in range(b):
            rows = inverse == i
            allowed: list[set[float] | tuple[float, float]] = []
            for j in range(d):
                col = x[rows, j]
                if kinds[j] == "categorical":
                    seen = np.unique(col) if b > 1 else np.arange(n_choices[j], dtype=float)
                    seen = seen[seen >= 0]
                    self.codes[i * d + j, : seen.size] = seen
                    allowed.append(set(seen.tolist()))
                else:
                    if b > 1 and patterns[i, j]:
                        self.lower[i, j], self.upper[i, j] = float(col.min()), float(col.max())
                    allowed.append((self.lower[i, j], self.upper[i, j]))
            self.allowed.append(allowed)

    def inputs(self, subset: NDArray[np.intp]) -> _core.SobolInputs:
        """The input distribution over the branches ``subset``, weighted as among the trials."""
        from hyperdial import _core

        w = self.weights[subset]
        cdf = np.minimum(np.cumsum(w) / w.sum(), 1.0)
        cdf[-1] = 1.0
        rows = (subset[:, None] * self.d + np.arange(self.d)).ravel()
        return _core.SobolInputs(
            n_cells=self.cells, cdf=cdf, mask=self.patterns[subset].astype(np.float64),
            lower=self.lower[subset], upper=self.upper[subset], codes=self.codes[rows],
        )  # fmt: skip

    def _separates(self, j: int, on: list[int]) -> int:
        """Pairs of the branches ``on`` that parameter j tells apart (disjoint code sets or
        ranges that do not overlap)."""
        count = 0
        for a in range(len(on)):
            for c in range(a + 1, len(on)):
                sa, sc = self.allowed[on[a]][j], self.allowed[on[c]][j]
                if isinstance(sa, set) and isinstance(sc, set):
                    count += not (sa & sc)
                elif isinstance(sa, tuple) and isinstance(sc, tuple):
                    count += sa[1] < sc[0] or sc[1] < sa[0]
        return count

    def switch_shares(
        self,
        result: _core.SobolIndicesResult,
        run: Callable[[_core.SobolInputs], _core.SobolIndicesResult],
        index: str,
    ) -> dict[int, F64]:
        """The variance of switching branches, as fractions of the whole variance ``(S,)``, by
        switching parameter.

        A switch is a parameter that tells some of its branches apart; its scope is the set of
        branches where it is active (a nested switch has a smaller scope than its parent). The
        branch choice within a scope explains ``W = P * I * V_scope / V`` of the variance (P the
        scope's probability, I the branch variable's index and V_scope the variance when the
        integration runs over the scope's branches only; for the scope of all branches, the
        main run's index). A switch gets ``W`` of its scope less the ``W`` of the largest
        scopes nested in it, so nested switches share the variance of switching without
        counting it twice. Of several switches with the same scope, the one that tells the
        most pairs apart takes it.
        """
        col = -1
        pick = result.total if index == "total" else result.first
        scopes: dict[tuple[int, ...], tuple[int, int]] = {}  # scope -> (pairs told apart, j)
        for j in range(self.d):
            on = [i for i in range(self.count) if self.patterns[i, j]]
            pairs = self._separates(j, on)
            if pairs and len(on) > 1 and pairs > scopes.get(tuple(on), (0, -1))[0]:
                scopes[tuple(on)] = (pairs, j)
        shares: dict[tuple[int, ...], F64] = {}
        for scope in scopes:
            if len(scope) == self.count:
                shares[scope] = np.array(pick[:, col])
            else:
                sub = run(self.inputs(np.array(scope, dtype=np.intp)))
                sub_pick = sub.total if index == "total" else sub.first
                p = float(self.weights[list(scope)].sum())
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(result.variance > 0, sub.variance / result.variance, 0.0)
                shares[scope] = p * sub_pick[:, col] * ratio
        out: dict[int, F64] = {}
        for scope, (_, j) in scopes.items():
            inner = [c for c in scopes if c != scope and set(c) < set(scope)]
            largest = [c for c in inner if not any(set(c) < set(o) for o in inner)]
            out[j] = shares[scope] - sum(
                (shares[c] for c in largest), np.zeros_like(shares[scope])
            )
        return out
