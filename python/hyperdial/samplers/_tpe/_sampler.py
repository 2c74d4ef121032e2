"""TPESampler: the tree-structured Parzen estimator (Bergstra et al. 2011; Watanabe 2023).

The sampler glue lives here: the history split into good and bad groups, their weights, the
group decomposition and the start-up. The estimators themselves are built, drawn from and
scored in ``hyperdial._core`` (``cpp/include/hyperdial/tpe.hpp``), whose NumPy mirror is
:mod:`hyperdial._reference.tpe`.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial import _core
from hyperdial._transient import transient_attrs
from hyperdial.distributions import BaseDistribution, CategoricalDistribution, unit_to_internal
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._batch import BatchDriver, check_batch_size
from hyperdial.samplers._constraints import check_constraints_func, record_constraints
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.samplers._tpe._history import History, same_distributions
from hyperdial.samplers._tpe._parzen import sample_mixture
from hyperdial.samplers._unit_cube import cells, max_cell_width
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["TPESampler", "default_gamma"]

_COMPLETE = int(TrialState.COMPLETE)
_PRUNED = int(TrialState.PRUNED)
_RUNNING = int(TrialState.RUNNING)
# The core draws from the Parzen estimator itself when it was built with NumPy's libnpyrandom.
_HAVE_CORE_DRAW = hasattr(_core, "tpe_sample")
#: A discrete dimension whose widest cell is at least this wide (in unit scale) is scored by
#: kernel mass over the cell; narrower cells are scored by the density at their centre.
COARSE_CELL = 0.02
#: A group with both numeric and categorical parameters gets this many times ``prior_weight``.
#: The estimators (``_core``) take one prior weight for the prior component and for the
#: categorical smoothing ``eps = prior_weight / (n + 1)``. In a mixed group a candidate's score
#: is mostly its numeric kernels', so with the plain smoothing a choice that the good group has
#: settled on is seldom left again, even when another choice is better. Chosen on the tuning
#: split of ``bench/quality_split.py``; measured in docs/design/tpe.md.
MIXED_PRIOR_SCALE = 2.0


#: :func:`default_gamma`'s share of the ranked trials and its cap. The share is twice the 0.1
#: of Watanabe (2023) and Optuna: at small budgets a tenth leaves ``l(x)`` two or three
#: kernels, each at least ``1 / (k + 2)`` wide for ``k`` good trials (the magic clip), while a
#: fifth gives it more and narrower kernels near the best trials; the improvement weights
#: (``good_weights="ei"``) keep the best of them the heaviest. Chosen on the tuning split of
#: ``bench/quality_split.py`` (one objective, 20 to 100 trials; it helped with uniform weights
#: too; several objectives were not measured); measured in docs/design/tpe.md.
GAMMA_SHARE = 0.2
GAMMA_CAP = 25


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked trials form the "good" group: ``min(ceil(0.2 n), 25)``
    (``GAMMA_SHARE`` and ``GAMMA_CAP``; why a fifth: ``GAMMA_SHARE``).

    The linear rule with a cap is the one Watanabe (2023) finds robust (Sec. 3.1, "splitting
    algorithm", with a share of 0.1); Hyperopt's original rule is ``ceil(0.25 sqrt(n))``.
    """
    return min(int(math.ceil(GAMMA_SHARE * n)), GAMMA_CAP)


def _set_pending_before_only(sampler: BaseSampler) -> None:
    assert isinstance(sampler, TPESampler)
    sampler._pending_before_only = True


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator (Bergstra et al. 2011; Watanabe 2023).

    After ``n_startup_trials`` complete trials, every trial ranks the finished trials, splits
    them into a good group (the best ``gamma(n)``) and a bad group (the rest), fits a Parzen
    estimator ``l(x)`` to the good and ``g(x)`` to the bad, draws ``n_ei_candidates`` points from
    ``l`` and keeps the one with the largest ``log l(x) - log g(x)``. The estimators are
    described (kernels, bandwidth rule and its source) in :mod:`hyperdial._reference.tpe`, the
    NumPy mirror of the C++ estimators.

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
    * **pruned trials** are used, not dropped: they count as finished trials for the start-up
      and for ``gamma(n)``, and they are ranked after the COMPLETE trials (see
      :func:`rank_rows`): first those that got further (larger last reported step), ties by
      the value they last reported. A pruned trial is never compared with a complete one,
      since an intermediate value is not a final one. So they fill the good group only when
      there are too few complete trials (aggressive pruning), and otherwise sit in the bad
      group, which steers new proposals away from regions the pruner has already rejected
      (measured in ``docs/design/tpe.md``). FAIL trials are ignored.
    * **good-group weights** (``good_weights="ei"``, the default): each good observation is
      weighted by how much it improves on the best value outside the good group,
      ``w_i = y_threshold - y_i``, and the prior gets ``prior_weight`` times their mean, so
      ``l(x)`` concentrates on the best of the good trials (the "EI" weighting of Watanabe
      2023, Sec. 3.2, which beat uniform weights in that paper's ablation; measured here in
      ``docs/design/tpe.md``). It needs one objective, no constraints and only COMPLETE
      trials in the good group; otherwise the weights are uniform. The bad group's weights
      ramp up from old to new trials, as in Optuna.

    The history is kept as NumPy columns updated from ``get_trials_changed_since``
    (:mod:`hyperdial.samplers._trial_columns`). The numerics run in C++: the candidates are
    drawn from ``l`` by ``hyperdial._core.tpe_sample``, with NumPy's own distribution code
    (libnpyrandom) on the trial's ``numpy.random.Generator``, and both estimators of a group
    are built and all candidates scored in one call without the GIL
    (``hyperdial._core.tpe_log_ratio``). A core built without libnpyrandom lacks
    ``tpe_sample``; the candidates are then drawn in NumPy with the same numbers
    (``hyperdial.samplers._tpe._parzen``). Proposals depend only on the seed, the trial number
    and the history, so a seeded study with ``n_jobs=1`` is reproducible.

    Args:
        seed: An integer in ``[0, 2**63)``; None draws one.
        n_startup_trials: Finished (COMPLETE or PRUNED) trials sampled by the start-up sampler
            before TPE starts.
        n_ei_candidates: Candidates drawn from ``l(x)`` per group and trial.
        multivariate: Model parameters jointly (True) or one at a time (False).
        group: Decompose the space into co-occurring groups (only with ``multivariate``).
        constant_liar: Count RUNNING trials as bad observations.
        gamma: ``n -> size of the good group``; None is :func:`default_gamma`.
        prior_weight: Weight of the prior component relative to one observation (times
            ``MIXED_PRIOR_SCALE`` in a group with numeric and categorical parameters).
        consider_endpoints: Let the ends of the range count as neighbours of the outermost
            observations when kernel widths are set from neighbour distances.
        max_bad_observations: Above this many bad observations, ``g(x)`` is fitted to the most
            recent half of this number plus an evenly strided subset of the older ones (their
            weights scaled up to keep their total), so the cost per trial stops growing.
        startup: ``"random"`` (independent uniform) or ``"sobol"`` (scrambled Sobol points)
            for the start-up trials and for parameters with no history.
        good_weights: ``"ei"`` (weights by improvement, see above) or ``"uniform"``.
        batch_size: None (default): asynchronous (running trials are liars with
            ``constant_liar``). An int ``B``: synchronous batches of ``B`` trials, reproducible
            with any number of threads, processes or machines: trial ``t`` of batch
            ``b = t // B`` uses the results of every trial of earlier batches and the
            parameters (not the results) of the earlier trials of its batch, as liars when
            ``constant_liar``; a worker that asks for it first waits, polling the storage,
            until the earlier batches have finished (``hyperdial/samplers/_batch.py``). The
            cost: trials learn from results up to ``B - 1`` trials later, and a worker idles
            while the slowest trial of the previous batch runs. A crashed worker's RUNNING
            trial holds the next batch back until it is failed. Measured in
            docs/design/parallel.md.
        constraints_func: Optuna's ``trial -> constraint values`` (<= 0: feasible), called
            after each COMPLETE or PRUNED trial; the values are stored as the trial's
            constraints, as ``trial.set_constraint`` stores them
            (``hyperdial/samplers/_constraints.py``). None: only ``set_constraint``.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.TPESampler(seed=0)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=30)
        >>> study.best_value < 1.0
        True
    """

    #: Each study's history is a cache of its storage, read again after pickling.
    _transient = transient_attrs(BaseSampler, _history=dict)

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
        good_weights: str = "ei",
        batch_size: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
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
        if good_weights not in ("ei", "uniform"):
            raise ValueError(f"`good_weights` must be 'ei' or 'uniform', got {good_weights!r}.")
        self._good_weights = good_weights
        self._specs: dict[tuple[str, ...], _GroupSpec] = {}
        self._startup = self._make_startup()
        self._lock = threading.Lock()
        self._gen = np.random.Generator(np.random.PCG64(0))
        self._history: dict[tuple[int, int], History] = {}
        #: Batch replays only: RUNNING trials numbered after the one sampled are not liars.
        self._pending_before_only = False
        self._batch: BatchDriver | None = None
        self._constraints_func = check_constraints_func(constraints_func)
        size = check_batch_size(batch_size)
        if size is not None:
            settings: dict[str, Any] = {
                "seed": self._seed,
                "n_startup_trials": n_startup_trials,
                "n_ei_candidates": n_ei_candidates,
                "multivariate": multivariate,
                "group": group,
                "constant_liar": constant_liar,
                "gamma": gamma,
                "prior_weight": prior_weight,
                "consider_endpoints": consider_endpoints,
                "startup": startup,
                "max_bad_observations": max_bad_observations,
                "good_weights": good_weights,
            }
            self._batch = BatchDriver(
                size, functools.partial(TPESampler, **settings), _set_pending_before_only
            )

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        record_constraints(self._constraints_func, study, trial, state)

    def _make_startup(self) -> BaseSampler:
        if self._startup_kind == "sobol":
            from hyperdial.samplers._qmc import QMCSampler

            return QMCSampler(seed=self._seed)
        return RandomSampler(seed=self._seed)

    def reseed_rng(self) -> None:
        if self._batch is not None:
            return  # batches are reproducible by design; workers get distinct trials anyway
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

    def _rng(self, number: int, names: list[str]) -> np.random.Generator:
        """A generator that depends only on the seed, the trial number and the group.

        One PCG64 generator is re-keyed for each call, which is cheaper than creating one
        (``docs/design/tpe.md``); called under ``self._lock``.
        """
        h = blake2b(digest_size=32)
        h.update(self._seed.to_bytes(8, "little") + number.to_bytes(8, "little", signed=True))
        h.update("\x00".join(names).encode("utf-8", "surrogatepass"))
        d = h.digest()
        self._gen.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(d[:16], "little"),
                "inc": int.from_bytes(d[16:], "little") | 1,
            },
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._gen

    # -- the protocol ------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._batch is not None:
            return self._batch.infer_relative_search_space(study, trial)
        if not self._multivariate:
            return {}
        with self._lock:
            hist = self._updated_history(study)
            if hist.n_finished() < self._n_startup:
                return {}
            if self._group:
                names: set[str] = set().union(*hist.groups) if hist.groups else set()
            else:
                names = set(hist.intersection or ())
            return {n: hist.dists[n] for n in sorted(names) if not hist.dists[n].single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if self._batch is not None:
            return self._batch.sample_relative(study, trial, search_space)
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
        if self._batch is not None:
            return self._batch.sample_independent(study, trial, param_name, param_distribution)
        with self._lock:
            hist = self._updated_history(study)
            result = None
            if hist.n_finished() >= self._n_startup:
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
        mat = hist.matrix(tuple(names), tuple(dists))
        finished = (state == _COMPLETE) | (state == _PRUNED)
        # Rows without a missing value: NaN propagates through the row sums (entries are unit
        # positions or choice indices), which einsum computes faster than isnan().any(1).
        usable = ~np.isnan(np.einsum("ij->i", mat) if mat.shape[1] > 1 else mat[:, 0])
        keep = finished & usable
        rows = np.flatnonzero(keep)
        if rows.size == 0:
            return None
        below, l_w = self._split(hist, rows)
        if below.size == 0:
            return None
        if self._liar:
            running = (state == _RUNNING) & usable
            if number < n:
                running[number] = False
            if self._pending_before_only:
                running[max(number, 0) :] = False
            keep |= running
        keep[below] = False
        above, g_w = self._thin(np.flatnonzero(keep))  # the rest, in trial order

        key = tuple(names)
        spec = self._specs.get(key)
        if spec is None or not same_distributions(spec.dists, tuple(dists)):
            spec = self._specs[key] = _GroupSpec(dists)
        pw, ends = self._prior_weight, self._consider_endpoints
        if spec.cat and spec.num:
            pw *= MIXED_PRIOR_SCALE
        l_mu, l_cat = spec.columns(mat[below])
        g_mu, g_cat = spec.columns(mat[above])
        rng = self._rng(number, names)
        # Drawn in C++ when the core has libnpyrandom, else in NumPy with the same numbers
        # (_tpe/_parzen.py); both are tested against hyperdial._reference.tpe.
        if _HAVE_CORE_DRAW:
            x, xc = _core.tpe_sample(
                generator=rng,
                mu=l_mu,
                cat=l_cat,
                weights=l_w,
                n_choices=spec.n_choices_i64,
                coarse=spec.coarse,
                m=self._n_candidates,
                prior_weight=pw,
                consider_endpoints=ends,
                prior_relative_to_mean=True,
            )
        else:
            p, mu_all, sig_all = _core.tpe_mixture(
                mu=l_mu,
                weights=l_w,
                prior_weight=pw,
                consider_endpoints=ends,
                prior_relative_to_mean=True,
            )
            eps = pw / (l_mu.shape[0] + 1)
            x, xc = sample_mixture(
                rng, self._n_candidates, p, mu_all, sig_all, l_cat, spec.n_choices, eps
            )
        lo = hi = x
        if spec.discrete:
            lo = x.copy()
            hi = x.copy()
            for k in spec.discrete:
                x[:, k], lo[:, k], hi[:, k] = cells(dists[spec.num[k]], x[:, k])
        score = _core.tpe_log_ratio(
            good_mu=l_mu,
            good_cat=l_cat,
            good_weights=l_w,
            bad_mu=g_mu,
            bad_cat=g_cat,
            bad_weights=g_w,
            n_choices=spec.n_choices_i64,
            coarse=spec.coarse,
            x=x,
            lo=lo,
            hi=hi,
            xc=xc,
            prior_weight=pw,
            consider_endpoints=ends,
            # One thread: a call is short even at the max_bad_observations cap, and a parallel
            # region on a busy machine can wait a scheduler tick for its second thread.
            n_threads=1,
        )
        best = int(np.argmax(np.where(np.isnan(score), -np.inf, score)))
        num, cat = spec.num, spec.cat

        out: dict[str, Any] = {}
        for i, u in zip(num, x[best].tolist(), strict=True):
            out[names[i]] = dists[i].to_external_repr(unit_to_internal(dists[i], u))
        for i, code in zip(cat, xc[best].tolist(), strict=True):
            out[names[i]] = dists[i].to_external_repr(float(code))
        return out

    def _thin(self, above: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bad rows (by trial number) and their weights.

        Weights ramp up linearly from ``1/n`` for the oldest to 1 for the 25 newest, as in
        Optuna's TPE; beyond ``max_bad_observations`` rows, the newest half is kept and the
        older rows are strided, each kept row standing for the ones it skips.
        """
        n = above.size
        w = np.ones(n)
        if n > 26:  # np.linspace(1 / n, 1, n - 25), bit for bit, without its overhead
            ramp = w[: n - 25]
            ramp[:] = np.arange(n - 25)
            ramp *= (1.0 - 1.0 / n) / (n - 26)
            ramp += 1.0 / n
            ramp[-1] = 1.0
        elif n == 26:
            w[0] = 1.0 / n
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

    def _split(self, hist: History, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The good group among the finished ``rows`` and its weights (None: uniform).

        The good group has ``gamma(len(rows))`` rows taken in the order of :func:`rank_rows`.
        With one objective, no constraints and only COMPLETE rows in it, the weights are
        the improvements ``y_threshold - y_i`` over the best loss outside the group
        (``good_weights="ei"``).
        """
        n_below = min(max(int(self._gamma(rows.size)), 1), rows.size)
        if (
            self._good_weights == "ei"
            and hist.values.shape[1] == 1
            and not hist.has_constraints
            and n_below < rows.size
        ):
            loss = hist.values[rows, 0]
            if np.all(hist.state[rows] == _COMPLETE):
                # Every row complete and feasible: rank_rows's first branch and the weights
                # below, from one gather of the losses.
                part = _smallest(loss, n_below)
                below = rows[part]
                loss_below = loss[part]
                if not np.isfinite(loss_below).all():
                    return below, None
                loss[part] = np.inf  # a copy: the best loss outside the group
                return below, self._ei_weights(float(loss.min()), loss_below)
        below = rank_rows(hist, rows, n_below)
        if (
            self._good_weights != "ei"
            or hist.values.shape[1] != 1
            or hist.has_constraints
            or below.size == 0
        ):
            return below, None
        loss = hist.values[below, 0]
        if not np.isfinite(loss).all() or np.any(hist.state[below] != _COMPLETE):
            return below, None
        is_below = np.zeros(hist.n, dtype=bool)
        is_below[below] = True
        rest = rows[~is_below[rows] & (hist.state[rows] == _COMPLETE)]
        if rest.size == 0:
            return below, None
        return below, self._ei_weights(float(np.min(hist.values[rest, 0])), loss)

    @staticmethod
    def _ei_weights(threshold: float, loss: np.ndarray) -> np.ndarray | None:
        """The good group's weights ``threshold - loss`` (None: uniform)."""
        if not math.isfinite(threshold):
            return None
        w = threshold - loss
        top = float(w.max())
        if not top > 0:
            return None
        # Ties with the threshold keep a small weight rather than none.
        return np.maximum(w, 1e-3 * top)


class _GroupSpec:
    """What the sampler needs to know about a group's distributions, computed once."""

    def __init__(self, dists: list[BaseDistribution]) -> None:
        self.dists = tuple(dists)
        self.num = [i for i, d in enumerate(dists) if not isinstance(d, CategoricalDistribution)]
        self.cat = [i for i, d in enumerate(dists) if isinstance(d, CategoricalDistribution)]
        self.n_choices = np.array(
            [len(dists[i].choices) for i in self.cat],  # type: ignore[attr-defined]
            dtype=np.float64,
        )
        self.n_choices_i64 = self.n_choices.astype(np.int64)
        widths = [max_cell_width(dists[i]) for i in self.num]
        self.coarse = np.array([w >= COARSE_CELL for w in widths], dtype=bool)
        #: numeric columns whose candidates must be snapped to cells
        self.discrete = [k for k, w in enumerate(widths) if w > 0]
        #: the group is numeric, so history rows are the estimators' positions as they are
        self._plain = not self.cat

    def columns(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """History ``rows`` (k, d) of this group's columns as the estimators take them:
        (k, dn) unit positions and (k, dc) int64 choice indices."""
        if self._plain:
            return rows, np.empty((rows.shape[0], 0), dtype=np.int64)
        return rows[:, self.num], rows[:, self.cat].astype(np.int64)


def rank_rows(hist: History, rows: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` of the finished ``rows``, best first, in TPE's ranking.

    1. COMPLETE feasible trials by loss (one objective) or by non-dominated sorting (several;
       see :func:`_pareto_pick`);
    2. PRUNED trials: those that got further first (larger last reported step), ties by
       the loss they last reported; trials that reported nothing come last. A pruned trial
       is thus compared only with trials pruned at the same step or later, never with a
       complete one, whose final value is not comparable with an intermediate value;
    3. COMPLETE infeasible trials by their total constraint violation.
    """
    if k <= 0 or rows.size == 0:
        return np.empty(0, dtype=np.int64)
    state = hist.state[rows]
    complete = state == _COMPLETE
    viol = hist.violation[rows] if hist.has_constraints else None
    feasible = complete if viol is None else complete & (viol <= 0)
    good = rows[feasible]
    multi = hist.values.shape[1] > 1
    if good.size >= k and not multi:
        loss = hist.values[good, 0]
        if k < good.size:
            top: np.ndarray = good[_smallest(loss, k)]
            return top
        ranked: np.ndarray = good[np.argsort(loss, kind="stable")]
        return ranked
    if multi:
        picked = good[_pareto_pick(hist.values[good], k)]
    else:
        picked = good[np.argsort(hist.values[good, 0], kind="stable")]
    out = [picked]
    need = k - picked.size
    if need > 0:
        pruned = rows[state == _PRUNED]
        step = np.nan_to_num(hist.last_step[pruned], nan=-np.inf)
        loss = np.nan_to_num(hist.last_loss[pruned], nan=np.inf)
        order = np.lexsort((pruned, loss, -step))
        out.append(pruned[order[:need]])
        need -= min(need, pruned.size)
    if need > 0 and viol is not None:
        bad = rows[complete & (viol > 0)]
        out.append(bad[np.argsort(hist.violation[bad], kind="stable")[:need]])
    return np.concatenate(out).astype(np.int64)


def _smallest(loss: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k < len(loss)`` smallest losses, smallest first (ties within the
    selection by position; which of tied values at the boundary are selected is
    argpartition's choice)."""
    part = np.argpartition(loss, k - 1)[:k]
    out: np.ndarray = part[np.argsort(loss[part], kind="stable")]
    return out


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
