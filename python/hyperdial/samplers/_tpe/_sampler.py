from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.distributions import BaseDistribution, CategoricalDistribution, unit_to_internal
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.samplers._tpe._history import History
from hyperdial.samplers._tpe._parzen import ParzenEstimator
from hyperdial.samplers._tpe._space import COARSE_CELL, cells, max_cell_width
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["TPESampler", "default_gamma"]

_COMPLETE = int(TrialState.COMPLETE)
_PRUNED = int(TrialState.PRUNED)
_RUNNING = int(TrialState.RUNNING)


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked trials form the "good" group: ``min(ceil(0.1 n), 25)``.

    The linear rule with a cap is the one Watanabe (2023) finds robust (Sec. 3.1, "splitting
    algorithm"); Hyperopt's original rule is ``ceil(0.25 sqrt(n))``.
    """
    return min(int(math.ceil(0.1 * n)), 25)


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator (Bergstra et al. 2011; Watanabe 2023).

    After ``n_startup_trials`` complete trials, every trial ranks the finished trials, splits
    them into a good group (the best ``gamma(n)``) and a bad group (the rest), fits a Parzen
    estimator ``l(x)`` to the good and ``g(x)`` to the bad, draws ``n_ei_candidates`` points from
    ``l`` and keeps the one with the largest ``log l(x) - log g(x)``. The estimators are
    described (kernels, bandwidth rule and its source) in ``hyperdial.samplers._tpe._parzen``.

    * **multivariate** (default): parameters are modelled jointly with product kernels, so
      their interactions are kept. With ``group=True`` the parameters are split into groups
      that always occur together in finished trials, and each group gets its own joint model:
      a conditional (define-by-run) space is modelled branch by branch. Parameters the model
      does not cover (new ones; ``multivariate=False``) get a one-dimensional TPE.
    * **constant liar**: RUNNING trials (other workers' suggestions) are put in the bad group,
      so parallel workers do not all propose the same point.
    * **constraints** (``trial.set_constraint``): feasible trials rank before infeasible ones,
      which rank by their total violation.
    * **several objectives**: trials are ranked by non-dominated sorting; the front that does
      not fit whole into the good group is cut by the sum of per-objective ranks (MOTPE cuts by
      hypervolume contribution instead).
    * PRUNED trials are always in the bad group; FAIL trials are ignored.

    The history is kept as NumPy columns updated from ``get_trials_changed_since``, and the
    estimators are evaluated with one matrix product per estimator, so the per-trial cost
    grows slowly with the study. Proposals depend only on the seed, the trial number and the
    history, so a seeded study with ``n_jobs=1`` is reproducible.

    Args:
        seed: An integer in ``[0, 2**63)``; None draws one.
        n_startup_trials: Trials sampled by the start-up sampler before TPE starts.
        n_ei_candidates: Candidates drawn from ``l(x)`` per group and trial.
        multivariate: Model parameters jointly (True) or one at a time (False).
        group: Decompose the space into co-occurring groups (only with ``multivariate``).
        constant_liar: Count RUNNING trials as bad observations.
        gamma: ``n -> size of the good group``; None is :func:`default_gamma`.
        prior_weight: Weight of the prior component relative to one observation.
        consider_endpoints: Let the ends of the range count as neighbours of the outermost
            observations when kernel widths are set from neighbour distances.
        max_bad_observations: Above this many bad observations, ``g(x)`` is fitted to the most
            recent half of this number plus an evenly strided subset of the older ones (their
            weights scaled up to keep their total), so the cost per trial stops growing.
        startup: ``"random"`` (independent uniform) or ``"sobol"`` (scrambled Sobol points)
            for the start-up trials and for parameters with no history.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.TPESampler(seed=0)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=30)
        >>> study.best_value < 1.0
        True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        group: bool = True,
        constant_liar: bool = True,
        gamma: Callable[[int], int] | None = None,
        prior_weight: float = 1.0,
        consider_endpoints: bool = False,
        startup: str = "random",
        max_bad_observations: int = 1024,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int):
            raise ValueError(f"`n_startup_trials` must be an int >= 0, got {n_startup_trials!r}.")
        if n_startup_trials < 0:
            raise ValueError(f"`n_startup_trials` must be an int >= 0, got {n_startup_trials!r}.")
        if (
            isinstance(n_ei_candidates, bool)
            or not isinstance(n_ei_candidates, int)
            or n_ei_candidates < 1
        ):
            raise ValueError(f"`n_ei_candidates` must be an int >= 1, got {n_ei_candidates!r}.")
        if not (isinstance(prior_weight, (int, float)) and math.isfinite(prior_weight)) or not (
            prior_weight > 0
        ):
            raise ValueError(f"`prior_weight` must be a finite number > 0, got {prior_weight!r}.")
        if startup not in ("random", "sobol"):
            raise ValueError(f"`startup` must be 'random' or 'sobol', got {startup!r}.")
        self._seed = check_seed(seed)
        self._n_startup = n_startup_trials
        self._n_candidates = n_ei_candidates
        self._multivariate = bool(multivariate)
        self._group = bool(group) and self._multivariate
        self._liar = bool(constant_liar)
        self._gamma = gamma if gamma is not None else default_gamma
        self._prior_weight = float(prior_weight)
        self._consider_endpoints = bool(consider_endpoints)
        self._startup_kind = startup
        if isinstance(max_bad_observations, bool) or not isinstance(max_bad_observations, int):
            raise ValueError(
                f"`max_bad_observations` must be an int >= 2, got {max_bad_observations!r}."
            )
        if max_bad_observations < 2:
            raise ValueError(
                f"`max_bad_observations` must be an int >= 2, got {max_bad_observations!r}."
            )
        self._max_bad = max_bad_observations
        self._startup = self._make_startup()
        self._lock = threading.Lock()
        self._history: dict[tuple[int, int], History] = {}

    def _make_startup(self) -> BaseSampler:
        if self._startup_kind == "sobol":
            from hyperdial.samplers._qmc import QMCSampler

            return QMCSampler(seed=self._seed)
        return RandomSampler(seed=self._seed)

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)
        self._startup = self._make_startup()

    # -- history -----------------------------------------------------------------------------
    def _updated_history(self, study: Study) -> History:
        key = (id(study._storage), study._study_id)
        hist = self._history.get(key)
        if hist is None:
            hist = self._history[key] = History(study)
        hist.update(study)
        return hist

    def _rng(self, number: int, names: tuple[str, ...]) -> np.random.Generator:
        h = blake2b("\x00".join(names).encode("utf-8", "surrogatepass"), digest_size=8)
        return np.random.default_rng([self._seed, number, int.from_bytes(h.digest(), "little")])

    # -- the protocol ------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if not self._multivariate:
            return {}
        with self._lock:
            hist = self._updated_history(study)
            if hist.count(TrialState.COMPLETE) < self._n_startup:
                return {}
            if self._group:
                names: set[str] = set().union(*hist.groups) if hist.groups else set()
            else:
                names = set(hist.intersection or ())
            return {n: hist.dists[n] for n in sorted(names) if not hist.dists[n].single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            hist = self._updated_history(study)
            if self._group:
                groups = [sorted(n for n in g if n in search_space) for g in hist.groups]
            else:
                groups = [sorted(search_space)]
            out: dict[str, Any] = {}
            for names in sorted(g for g in groups if g):
                dists = [search_space[n] for n in names]
                out.update(self._sample_group(hist, trial.number, names, dists) or {})
            return out

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            hist = self._updated_history(study)
            result = None
            if hist.count(TrialState.COMPLETE) >= self._n_startup:
                result = self._sample_group(hist, trial.number, [param_name], [param_distribution])
        if result is None:
            return self._startup.sample_independent(study, trial, param_name, param_distribution)
        return result[param_name]

    # -- the model ---------------------------------------------------------------------------
    def _sample_group(
        self, hist: History, number: int, names: list[str], dists: list[BaseDistribution]
    ) -> dict[str, Any] | None:
        """Joint TPE proposal for ``names``; None when there is nothing to learn from."""
        n = hist.n
        state = hist.state[:n]
        ok = (state == _COMPLETE) | (state == _PRUNED)
        if self._liar:
            ok |= state == _RUNNING
            if number < n:
                ok[number] = False
        num_idx = [i for i, d in enumerate(dists) if not isinstance(d, CategoricalDistribution)]
        cat_idx = [i for i, d in enumerate(dists) if isinstance(d, CategoricalDistribution)]
        units = []
        for i in num_idx:
            if names[i] not in hist.params:
                return None
            u = hist.units(names[i], dists[i])
            ok &= ~np.isnan(u)
            units.append(u)
        cats = []
        for i in cat_idx:
            col = hist.params.get(names[i])
            if col is None:
                return None
            c = col[:n]
            ok &= ~np.isnan(c)
            cats.append(c)
        rows = np.flatnonzero(ok)
        complete = rows[state[rows] == _COMPLETE]
        if complete.size == 0:
            return None
        below = self._below(hist, complete)
        is_below = np.zeros(n, dtype=bool)
        is_below[below] = True
        above = rows[~is_below[rows]]

        mu = np.stack(units, axis=1) if units else np.empty((n, 0))
        cat = (
            np.nan_to_num(np.stack(cats, axis=1)).astype(np.int64)
            if cats
            else np.empty((n, 0), dtype=np.int64)
        )
        n_choices = np.array(
            [len(d.choices) for d in dists if isinstance(d, CategoricalDistribution)],
            dtype=np.float64,
        )
        coarse = np.array([max_cell_width(dists[i]) >= COARSE_CELL for i in num_idx], dtype=bool)
        pw, ends = self._prior_weight, self._consider_endpoints
        above, g_weights = self._thin(above)
        l_est = ParzenEstimator(mu[below], cat[below], n_choices, coarse, pw, None, ends)
        g_est = ParzenEstimator(mu[above], cat[above], n_choices, coarse, pw, g_weights, ends)

        rng = self._rng(number, tuple(names))
        x, xc = l_est.sample(rng, self._n_candidates)
        centre = np.empty_like(x)
        lo = np.empty_like(x)
        hi = np.empty_like(x)
        for k, i in enumerate(num_idx):
            centre[:, k], lo[:, k], hi[:, k] = cells(dists[i], x[:, k])
        score = l_est.log_pdf(centre, lo, hi, xc) - g_est.log_pdf(centre, lo, hi, xc)
        best = int(np.argmax(np.where(np.isnan(score), -np.inf, score)))

        out: dict[str, Any] = {}
        for k, i in enumerate(num_idx):
            internal = unit_to_internal(dists[i], float(centre[best, k]))
            out[names[i]] = dists[i].to_external_repr(internal)
        for k, i in enumerate(cat_idx):
            out[names[i]] = dists[i].to_external_repr(float(xc[best, k]))
        return out

    def _thin(self, above: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bad rows (by trial number) and their weights.

        Weights ramp up linearly from ``1/n`` for the oldest to 1 for the 25 newest, as in
        Optuna's TPE; beyond ``max_bad_observations`` rows, the newest half is kept and the
        older rows are strided, each kept row standing for the ones it skips.
        """
        n = above.size
        w = np.ones(n)
        if n >= 25:
            w[: n - 25] = np.linspace(1.0 / n, 1.0, n - 25)
        if n <= self._max_bad:
            return above, w
        recent = self._max_bad // 2
        old = n - recent
        stride = int(math.ceil(old / (self._max_bad - recent)))
        keep_old = np.arange(0, old, stride)
        idx = np.concatenate([keep_old, np.arange(old, n)])
        w_old = np.add.reduceat(w[:old], keep_old)
        weights = np.concatenate([w_old, w[old:]])
        return above[idx], weights

    def _below(self, hist: History, complete: np.ndarray) -> np.ndarray:
        """Rows of the good group among the COMPLETE rows ``complete``."""
        n_below = min(max(int(self._gamma(complete.size)), 1), complete.size)
        loss = hist.values[complete]
        viol = hist.violation[complete] if hist.has_constraints else np.zeros(complete.size)
        if loss.shape[1] == 1:
            if not hist.has_constraints:
                if n_below < complete.size:
                    part = np.argpartition(loss[:, 0], n_below - 1)[:n_below]
                    return complete[part[np.argsort(loss[part, 0], kind="stable")]]
                return complete[np.argsort(loss[:, 0], kind="stable")]
            order = np.lexsort((loss[:, 0], viol))
            return complete[order[:n_below]]
        feasible = np.flatnonzero(viol == 0)
        chosen = _pareto_pick(loss[feasible], n_below)
        picked = list(feasible[chosen])
        if len(picked) < n_below:
            infeasible = np.flatnonzero(viol > 0)
            infeasible = infeasible[np.argsort(viol[infeasible], kind="stable")]
            picked.extend(infeasible[: n_below - len(picked)])
        return complete[np.asarray(picked, dtype=np.int64)]


def _pareto_pick(loss: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` rows taken front by front (non-dominated sorting) from ``loss``.

    The last front that does not fit whole is cut by the sum of per-objective ranks.
    """
    remaining = np.arange(loss.shape[0])
    picked: list[np.ndarray] = []
    count = 0
    while count < k and remaining.size:
        sub = loss[remaining]
        le = (sub[:, None, :] <= sub[None, :, :]).all(axis=2)
        lt = (sub[:, None, :] < sub[None, :, :]).any(axis=2)
        dominated = (le & lt).any(axis=0)
        front = remaining[~dominated]
        if count + front.size > k:
            ranks = np.argsort(np.argsort(loss[front], axis=0), axis=0).sum(axis=1)
            front = front[np.argsort(ranks, kind="stable")[: k - count]]
        picked.append(front)
        count += front.size
        remaining = remaining[dominated]
    return np.concatenate(picked) if picked else np.empty(0, dtype=np.int64)
