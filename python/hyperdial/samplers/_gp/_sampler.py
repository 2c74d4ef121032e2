from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial import logging as _logging
from hyperdial._transient import study_key
from hyperdial.distributions import BaseDistribution, distribution_to_json
from hyperdial.exceptions import NumericalError
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._batch import BatchDriver, check_batch_size
from hyperdial.samplers._constraints import check_constraints_func, record_constraints
from hyperdial.samplers._gp import _targets
from hyperdial.samplers._gp._encoding import SpaceCoder
from hyperdial.samplers._gp._history import GPHistory
from hyperdial.samplers._gp._targets import Warp, parego
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import GP_FIT_KEY

if TYPE_CHECKING:
    from numpy.typing import NDArray

    F64 = NDArray[np.float64]
    from hyperdial.gp import GaussianProcess
    from hyperdial.samplers._gp._incumbent import Model
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["GPSampler"]

_logger = _logging.get_logger(__name__)

_ACQUISITIONS = {"logei": "log_ei", "ucb": "ucb", "pi": "log_pi"}
_PRUNED_MODES = ("penalize", "exclude")
_COMPLETE = int(TrialState.COMPLETE)
_PRUNED = int(TrialState.PRUNED)
_FAIL = int(TrialState.FAIL)
_RUNNING = int(TrialState.RUNNING)
#: With ``n_threads=None``, models with fewer points than this run on one thread: for them the
#: work per call is too small to share, and on a busy machine threads that wait for each other at
#: every barrier cost more than they save (measured in docs/design/gp_sampler.md).
_SERIAL_BELOW = 256
#: Restarts of each full hyperparameter fit besides the warm start (the first at the prior's
#: centre, the others drawn from the prior: hyperfit.hpp). The marginal likelihood is multimodal
#: when points are few; without restarts the fit can settle on "all noise" (long lengthscales,
#: most of the variance as noise) and, warm-started, stay there. From ``_RESTARTS_BELOW`` points
#: on only the start at the prior's centre is kept (one cold run per full refit, and full refits
#: come every n/16 trials there): a warm start alone can stay on a poor local maximum, with
#: lengthscales far beyond the unit cube on relevant inputs, for good. Measured in
#: docs/design/gp_sampler.md.
_FIT_RESTARTS = 3
_RESTARTS_BELOW = 100
_RESTARTS_ABOVE = 1
_MAX_FIT_ITER = 200
#: Conditional spaces: activity patterns searched per suggestion (the best ones first).
_MAX_PATTERNS = 8
#: Moves per polishing round of a conditional space's best candidate (_maximize_by_pattern).
_POLISH = 64
#: Conditional spaces: 1/_UNTRIED_SHARE of each pattern's random pool tries a branch choice no
#: complete trial has used (0: never).
_UNTRIED_SHARE = 4
#: Noise variance (standardised units) for ``deterministic_objective=True``.
_DETERMINISTIC_NOISE = 1e-6
#: Whether the trials' reported standard errors (``STDERR_ATTR``) set the noise prior.
#: Measured in docs/design/gp_sampler.md.
USE_STDERR = True
#: Trials that must report a standard error before it sets the noise prior.
_MIN_STDERR_TRIALS = 3


def _discrete_neighbours(
    top: F64, choices: dict[int, np.ndarray], grid_dims: np.ndarray, n_choices: F64
) -> F64:
    """Points that differ from a row of ``top`` in one discrete coordinate: categorical
    coordinate ``j`` set to each value in ``choices[j]``, or a grid coordinate in
    ``grid_dims`` moved one cell up or down.

    The random perturbations of the best trials move every grid coordinate at once and
    redraw a category with probability 1/d, so "the best trial with one other category" or
    "one cell deeper" was rarely among the candidates of a conditional space.
    """
    rows = []
    for j, values in choices.items():
        for v in values:
            moved = top.copy()
            moved[:, j] = v
            rows.append(moved)
    for j in grid_dims:
        c = n_choices[j]
        for step in (-1.0, 1.0):
            moved = top.copy()
            moved[:, j] = np.clip(top[:, j] + step / c, 0.5 / c, 1 - 0.5 / c)
            rows.append(moved)
    return np.vstack(rows) if rows else np.empty((0, top.shape[1]))


def _refit_due(n_fitted: int, n_now: int) -> bool:
    """Whether to refit the hyperparameters rather than append the new points.

    Below 100 points a warm-started fit is cheap, so every trial refits; above, the
    hyperparameters are refitted once the model has grown by 1/16 since its last fit, and the
    trials in between are added by O(n^2) rank-1 appends.
    """
    return n_now < 100 or n_now - n_fitted >= max(1, n_fitted // 16)


class _Data:
    """The training set of one suggestion: rows (trial numbers), inputs, masks, targets."""

    def __init__(self, rows: np.ndarray, x: F64, mask: F64 | None, y: F64) -> None:
        self.rows, self.x, self.mask, self.y = rows, x, mask, y


class _StudyState:
    def __init__(self, study: Study) -> None:
        self.history = GPHistory(study)
        self.coder: SpaceCoder | None = None
        self.gp: Model | None = None
        self.constraint_gps: dict[str, Model] = {}
        #: Trial numbers in the objective model, in the model's row order.
        self.model_rows: np.ndarray = np.empty(0, dtype=np.int64)
        #: Their targets (caller units, before the facade's standardisation).
        self.model_y: F64 = np.empty(0)
        self.n_fitted = 0
        self.history_version = -1
        self.warp: Warp | None = None
        self.fail_target = 0.0
        #: Encoded points handed out to trials not yet finished: number -> (coder, x).
        self.proposals: dict[int, tuple[SpaceCoder, F64]] = {}
        #: Conditional spaces: proposals by trial number with the activity pattern they were
        #: proposed in, until the trial finishes (see ``_maximize_by_pattern``).
        self.pattern_proposals: dict[int, tuple[SpaceCoder, F64, np.ndarray]] = {}
        #: Proposed points whose trials turned out to use another activity pattern.
        self.redirected: list[tuple[SpaceCoder, F64]] = []
        self.handed_off = False
        self.gp_failed_logged = False
        #: Encoded inputs and activity of finished trials by trial number, valid for
        #: ``encoded_for`` (the coder and the history version they were encoded under); a
        #: finished trial's parameters do not change, so each is encoded once.
        self.encoded_for: tuple[SpaceCoder, int] | None = None
        self.encoded_x: F64 = np.empty(0)
        self.encoded_active: F64 = np.empty(0)
        self.encoded: np.ndarray = np.zeros(0, dtype=bool)


def _set_pending_before_only(sampler: BaseSampler) -> None:
    assert isinstance(sampler, GPSampler)
    sampler._pending_before_only = True


class GPSampler(BaseSampler):
    """Bayesian optimisation with a Gaussian process (``hyperdial.gp``, C++ core).

    Each trial after the first ``n_startup_trials`` fits a GP (Matern-5/2 ARD with a
    categorical overlap kernel; hyperparameters by maximum a posteriori, Rasmussen & Williams
    2006, Alg. 2.1 and eq. 5.9) to the finished trials and suggests the point that maximises
    the acquisition function: log expected improvement by default (Ament et al. 2023,
    "Unexpected Improvements to Expected Improvement for Bayesian Optimization"), searched from
    a scrambled Sobol' pool and the best trials by bounded L-BFGS on the continuous
    coordinates and neighbour moves on the discrete ones (``hyperdial.gp``).

    * **Spaces**: every distribution is mapped onto the core's normalised space and back
      (``hyperdial.samplers._gp._encoding``): log scales are modelled in log, small grids as
      integer dimensions, categoricals by their own kernel; a suggestion is always a valid
      value of its distribution.
    * **Define-by-run**: the model covers every parameter seen in a finished trial; a trial
      that did not use a parameter marks it inactive (the core's activity masks), so
      conditional parameters are modelled, not sampled at random. The acquisition is then
      searched per activity pattern of the finished trials (each branch with its own
      parameters; see ``_maximize_by_pattern``). A parameter never seen before is sampled by
      ``independent_sampler``. Modelling the conditional parameters, rather than only those
      common to all trials, is what lets the GP tell the branches apart
      (docs/design/gp_sampler.md).
    * **Targets**: losses are robustly warped (median/MAD, outliers and ``±inf`` squashed while
      keeping their order), then power-transformed (Yeo-Johnson, exponent by maximum
      likelihood, as HEBO does) so that skewed losses reach the GP closer to normal; see
      ``_targets.py``. FAIL trials (an exception or NaN) that have
      parameters enter the model at the worst target seen, so the GP learns to avoid regions
      that crash rather than proposing them again. PRUNED trials enter at their last reported
      value, but never better than the median of completed trials (``pruned_trials=
      "penalize"``, the default; a pruned trial was stopped because it looked worse than
      others), or are left out (``"exclude"``); left out, pruned regions are proposed again.
    * **Noise the objective knows**: an objective that can say how noisy its value is reports
      the value's standard error as the user attribute ``"value_stderr"``
      (``trial.set_user_attr("value_stderr", s)``; for a cross-validated score whose folds are
      drawn anew at each evaluation, the folds' standard deviation over ``sqrt(k)``). Once
      three complete trials have reported one, the prior on the GP's log noise variance is
      centred on the noise they imply (each standard error carried through the target warp;
      the median over the trials) with sd 1, instead of the broad default prior, under which a
      few noisy points may be fitted as signal. Anything but a finite number >= 0 is ignored;
      ``deterministic_objective=True`` takes precedence. The spread of folds that are the same
      for every trial (a fixed ``cv`` splitter) is not noise between trials and should not be
      reported.
    * **Parallel workers**: RUNNING trials (threads of ``n_jobs``, other processes sharing
      the storage) are pending points: a copy of the GP is conditioned on each with the value
      ``min(posterior mean, median target)`` (a constant liar, Ginsbourger et al. 2010), so
      k workers get k distinct points. (With the posterior mean alone, a pending point whose
      mean beats the best trial keeps an expected improvement of about noise-sd x phi(0), and
      parallel workers pile onto it.)
    * **Constraints** (``trial.set_constraint``, feasible when <= 0): one GP per constraint,
      constrained log-EI with the best *feasible* value as incumbent; before any trial is
      feasible the incumbent is the worst target, so the search is led by the probability
      of feasibility.
    * **Several objectives**: random-weight ParEGO scalarisation (Knowles 2006): one GP on
      the augmented Chebyshev scalarisation with weights drawn per trial. The core has no
      hypervolume acquisition, and ParEGO costs one GP fit per trial whatever the number of
      objectives (log-EHVI needs Monte-Carlo over box decompositions that grow with the
      Pareto front). Between full refits the scalarised model keeps its hyperparameters (one
      warm L-BFGS step) and is refactorised.
    * **Refits**: the model is kept between trials; below 100 trials the hyperparameters are
      refitted every trial from the previous fit (warm start) plus 3 restarts (the first at
      the prior's centre); above, new trials are added by O(n^2) rank-1 updates and the
      hyperparameters refitted (warm, plus one run from the prior's centre) each time the
      study has grown by 1/16.
    * **Hand-off**: with ``max_trials`` / ``max_dims`` set, a study with more finished trials
      or more modelled parameters is handed to ``hand_off_sampler`` (TPE by default), said once
      in the log: an exact GP costs O(n^3) per full refit, and a GP over many dimensions learns
      little from few trials. :func:`hyperdial.create_study` uses this for its default sampler.
      A trial whose model cannot be fitted (:class:`hyperdial.NumericalError`) is sampled by
      ``independent_sampler``, said once in the log; other errors propagate.

    * **Cold starts**: each full refit of 100 or more trials is saved in the study (system
      attribute ``"gp:fit"``: the hyperparameters, the number of trials and a fingerprint of
      the search space and settings). A process whose first model of the study would need a
      full fit (a new worker, a resumed study) uses the saved one instead when it is fresh
      (same fingerprint, and the study has not grown enough since that a refit would be due):
      one factorisation instead of a fit. Otherwise, and at the next due refit, it fits.

    Proposals depend only on the seed, the trial number and the history (not on ``n_threads``),
    so a seeded study with ``n_jobs=1`` is reproducible.

    Args:
        seed: An integer in ``[0, 2**63)``; None draws one.
        n_startup_trials: Complete trials sampled by ``independent_sampler`` before the GP.
        acquisition: ``"logei"`` (log expected improvement, default), ``"ucb"`` (upper
            confidence bound with ``beta``) or ``"pi"`` (log probability of improvement).
        independent_sampler: Samples the start-up trials and parameters the GP does not model
            yet; default: scrambled Sobol (:class:`~hyperdial.samplers.QMCSampler`).
        deterministic_objective: The objective has no noise: the GP's noise is fixed tiny
            (and reported standard errors are not read).
        n_threads: Threads of the GP core; None: one below 256 trials, automatic above (the
            CPUs this process may use less those other tasks keep busy; see
            ``cpp/include/hyperdial/parallel.hpp``). Results do not depend on it.
        beta: Exploration weight of ``"ucb"``.
        pruned_trials: ``"penalize"`` or ``"exclude"`` (see above).
        max_trials: Hand off once the study has more finished trials than this (None: never).
        max_dims: Hand off when more parameters than this are modelled (None: never).
        hand_off_sampler: Sampler to hand off to; default ``TPESampler(seed=seed)``.
        batch_size: None (default): asynchronous, each trial sees every finished trial and
            the running ones as pending points. An int ``B``: synchronous batches of ``B``
            trials, reproducible with any number of threads, processes or machines: trial
            ``t`` of batch ``b = t // B`` uses the results of every trial of earlier batches
            and the parameters (not the results) of the earlier trials of its batch, and a
            worker that asks for it first waits, polling the storage, until the earlier
            batches have finished (``hyperdial/samplers/_batch.py``). The cost: trials learn
            from results up to ``B - 1`` trials later than asynchronous ones, and a worker
            idles while the slowest trial of the previous batch runs; each worker also makes
            one full hyperparameter fit per batch. A crashed worker's RUNNING trial holds the
            next batch back until it is failed (``RDBStorage(heartbeat_interval=)``). A
            user-given ``independent_sampler`` or ``hand_off_sampler`` must itself depend only
            on the seed, the trial number and the history (the built-in ones do). Measured in
            docs/design/parallel.md.
        constraints_func: Optuna's ``trial -> constraint values`` (<= 0: feasible), called
            after each COMPLETE or PRUNED trial; the values are stored as the trial's
            constraints, as ``trial.set_constraint`` stores them
            (``hyperdial/samplers/_constraints.py``). None: only ``set_constraint``.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.GPSampler(seed=0, n_startup_trials=5)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
        >>> study.best_value < 0.1
        True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        acquisition: str = "logei",
        independent_sampler: BaseSampler | None = None,
        deterministic_objective: bool = False,
        n_threads: int | None = None,
        beta: float = 2.0,
        pruned_trials: str = "penalize",
        max_trials: int | None = None,
        max_dims: int | None = None,
        hand_off_sampler: BaseSampler | None = None,
        batch_size: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int):
            raise ValueError(f"`n_startup_trials` must be an int >= 0, got {n_startup_trials!r}.")
        if n_startup_trials < 0:
            raise ValueError(f"`n_startup_trials` must be an int >= 0, got {n_startup_trials!r}.")
        if acquisition not in _ACQUISITIONS:
            raise ValueError(
                f"`acquisition` must be one of {sorted(_ACQUISITIONS)}, got {acquisition!r}."
            )
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(
                "`independent_sampler` must be a BaseSampler, got "
                f"{type(independent_sampler).__name__}."
            )
        if n_threads is not None and (
            isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1
        ):
            raise ValueError(f"`n_threads` must be None or an int >= 1, got {n_threads!r}.")
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta >= 0):
            raise ValueError(f"`beta` must be a finite number >= 0, got {beta!r}.")
        if pruned_trials not in _PRUNED_MODES:
            raise ValueError(
                f"`pruned_trials` must be one of {list(_PRUNED_MODES)}, got {pruned_trials!r}."
            )
        for name, value in (("max_trials", max_trials), ("max_dims", max_dims)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"`{name}` must be None or an int >= 1, got {value!r}.")
        self._seed = check_seed(seed)
        self._n_startup = n_startup_trials
        self._acq = _ACQUISITIONS[acquisition]
        self._user_independent = independent_sampler
        self._independent = independent_sampler or self._default_independent()
        self._fixed_noise = _DETERMINISTIC_NOISE if deterministic_objective else None
        self._user_threads = n_threads
        self._beta = float(beta)
        self._pruned_mode = pruned_trials
        self._max_trials = max_trials
        self._max_dims = max_dims
        self._user_hand_off = hand_off_sampler
        self._hand_off: BaseSampler | None = hand_off_sampler
        self._lock = threading.Lock()
        self._states: dict[tuple[object, int], _StudyState] = {}
        #: Batch replays only: RUNNING trials numbered after the one sampled are not pending.
        self._pending_before_only = False
        self._batch: BatchDriver | None = None
        self._constraints_func = check_constraints_func(constraints_func)
        size = check_batch_size(batch_size)
        if size is not None:
            settings: dict[str, Any] = {
                "seed": self._seed,
                "n_startup_trials": n_startup_trials,
                "acquisition": acquisition,
                "independent_sampler": independent_sampler,
                "deterministic_objective": deterministic_objective,
                "n_threads": n_threads,
                "beta": beta,
                "pruned_trials": pruned_trials,
                "max_trials": max_trials,
                "max_dims": max_dims,
                "hand_off_sampler": hand_off_sampler,
            }
            self._batch = BatchDriver(
                size, functools.partial(GPSampler, **settings), _set_pending_before_only
            )

    def _default_independent(self) -> BaseSampler:
        from hyperdial.samplers._qmc import QMCSampler

        return QMCSampler(seed=self._seed)

    def _hand_off_sampler(self) -> BaseSampler:
        if self._hand_off is None:
            from hyperdial.samplers._tpe import TPESampler

            self._hand_off = TPESampler(seed=self._seed)
        return self._hand_off

    def reseed_rng(self) -> None:
        if self._batch is not None:
            return  # batches are reproducible by design; workers get distinct trials anyway
        self._seed = check_seed(None)
        if self._user_independent is None:
            self._independent = self._default_independent()
        else:
            self._independent.reseed_rng()
        if self._user_hand_off is None:
            self._hand_off = None
        else:
            self._user_hand_off.reseed_rng()

    # -- state -------------------------------------------------------------------------------
    def _state(self, study: Study) -> _StudyState:
        key = study_key(study)
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _StudyState(study)
        return state

    def _handed_off(self, study: Study) -> bool:
        state = self._states.get(study_key(study))
        return state is not None and state.handed_off

    def _threads(self, n: int) -> int:
        """Threads for a model of ``n`` points (0: all available)."""
        if self._user_threads is not None:
            return self._user_threads
        return 1 if n < _SERIAL_BELOW else 0

    def _trial_seed(self, number: int, what: bytes) -> int:
        h = blake2b(self._seed.to_bytes(8, "little") + number.to_bytes(8, "little"), digest_size=8)
        h.update(what)
        return int.from_bytes(h.digest(), "little") >> 1

    # -- the protocol ------------------------------------------------------------------------
    def reserve(self, study: Study) -> dict[str, Any] | None:
        if self._batch is not None:
            return None
        if self._handed_off(study):
            return self._hand_off_sampler().reserve(study)
        return None

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self._batch is not None:
            return
        if self._handed_off(study):
            self._hand_off_sampler().before_trial(study, trial)
        else:
            self._independent.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        record_constraints(self._constraints_func, study, trial, state)
        if self._batch is not None:
            return
        if self._handed_off(study):
            self._hand_off_sampler().after_trial(study, trial, state, values)
        else:
            self._independent.after_trial(study, trial, state, values)
        with self._lock:
            st = self._states.get(study_key(study))
            if st is not None:
                st.proposals.pop(trial.number, None)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._batch is not None:
            return self._batch.infer_relative_search_space(study, trial)
        with self._lock:
            state = self._state(study)
            if state.handed_off:
                space = None
            else:
                hist = state.history
                hist.update(study)
                n_complete = hist.count(TrialState.COMPLETE)
                space = {n: d for n, d in sorted(hist.dists.items()) if not d.single()}
                finished = n_complete + hist.count(TrialState.PRUNED) + hist.count(TrialState.FAIL)
                reason = None
                if self._max_trials is not None and finished > self._max_trials:
                    reason = f"it has {finished} finished trials (> max_trials={self._max_trials})"
                elif self._max_dims is not None and len(space) > self._max_dims:
                    reason = f"it has {len(space)} parameters (> max_dims={self._max_dims})"
                if reason is not None:
                    state.handed_off = True
                    name = type(self._hand_off_sampler()).__name__
                    _logger.info(
                        f"GPSampler hands study {study.study_name!r} over to {name}: {reason}."
                    )
                    space = None
                elif n_complete < self._n_startup:
                    return {}
        if space is None:
            return self._hand_off_sampler().infer_relative_search_space(study, trial)
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if self._batch is not None:
            return self._batch.sample_relative(study, trial, search_space)
        if self._handed_off(study):
            return self._hand_off_sampler().sample_relative(study, trial, search_space)
        if not search_space:
            return {}
        with self._lock:
            state = self._state(study)
            try:
                return self._suggest(study, state, trial.number, search_space)
            except NumericalError as e:
                if not state.gp_failed_logged:
                    state.gp_failed_logged = True
                    _logger.warning(
                        f"GPSampler could not model study {study.study_name!r} at trial "
                        f"{trial.number} ({e!r}); this trial's parameters are sampled "
                        "independently."
                    )
                state.gp = None
                return {}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._batch is not None:
            return self._batch.sample_independent(study, trial, param_name, param_distribution)
        if self._handed_off(study):
            return self._hand_off_sampler().sample_independent(
                study, trial, param_name, param_distribution
            )
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    # -- the model ---------------------------------------------------------------------------
    def _suggest(
        self, study: Study, state: _StudyState, number: int, space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        hist = state.history
        hist.update(study)
        names = sorted(space)
        dists = [space[n] for n in names]
        if state.coder is None or not state.coder.same_as(names, dists):
            state.coder = SpaceCoder(space)
            state.gp = None
            state.constraint_gps = {}
        coder = state.coder
        multi = len(hist.signs) > 1
        seed = self._trial_seed(number, b"gp")

        data = self._training_data(state, number)
        if data is None:
            return {}
        if multi or hist.constraints:
            self._refit(state, data, number)
        else:
            self._update_objective_model(study, state, data)
        gp = state.gp
        assert gp is not None

        constraint_models: list[GaussianProcess] = []
        incumbent = float(np.max(state.model_y))
        if hist.constraints:
            constraint_models = self._fit_constraints(state, data)
            incumbent = self._incumbent(state)
        gp.incumbent = incumbent
        model = gp
        pending = self._pending(state, number)
        if pending is not None:
            # Constant liar: each pending point is added with the value min(posterior mean,
            # median target). Conditioning on the posterior mean alone (kriging believer, the
            # facade's ``pending=``) leaves a pending point whose mean beats the incumbent with
            # an expected improvement of about noise-sd * phi(0), which can still be the
            # largest, and parallel workers then propose the same point.
            threads = self._threads(data.rows.size)
            mean, _ = gp.predict(pending, n_threads=threads)
            lies = np.minimum(mean, float(np.median(state.model_y)))
            model = gp.with_lies(pending, lies, data.mask is not None, threads)
        d = len(coder)
        if data.mask is not None:
            x = self._maximize_by_pattern(state, data, model, constraint_models, seed, number)
            state.proposals[number] = (coder, x)
            return coder.decode(x)
        from hyperdial.samplers._gp._incumbent import search_options

        x, _ = model.maximize(
            self._acq,
            beta=self._beta,
            constraints=constraint_models,
            options=search_options(d),
            seed=seed,
            n_threads=self._threads(data.rows.size),
        )
        state.proposals[number] = (coder, np.array(x, dtype=np.float64))
        return coder.decode(np.asarray(x, dtype=np.float64))

    def _maximize_by_pattern(
        self,
        state: _StudyState,
        data: _Data,
        model: Model,
        constraint_models: list[GaussianProcess],
        seed: int,
        number: int,
    ) -> F64:
        """Acquisition maximum over points that look like observed trials of a conditional
        space.

        The core's maximiser moves every coordinate, including parameters the proposed trial
        will not use; their values then change the prediction (they are compared with the
        stand-ins of trials that lacked them) and the search wastes itself on them. Here each
        activity pattern seen in COMPLETE trials (up to ``_MAX_PATTERNS``, best first) gets
        its own candidates: inactive coordinates are set to the kernel's stand-ins (0.5;
        category -1), categorical coordinates that are constant over the pattern's trials
        (the branch choice) are kept, the rest is a random pool plus perturbations of the
        pattern's best trials. In a quarter of the pool (``_UNTRIED_SHARE``) a kept branch
        choice is replaced by a choice no complete trial has used: a branch that the start-up
        missed has no pattern of its own, so without this it could never be proposed
        (docs/design/gp_sampler.md). The GP scores such a
        candidate by its categorical kernel (unseen: uncertain), and once proposed the choice
        is used and its pattern observed.
        The best trials' one-coordinate discrete neighbours (:func:`_discrete_neighbours`) are
        candidates too, and points proposed before whose trials used another pattern are
        excluded (:meth:`_redirected`). All candidates are scored in one batched acquisition
        call.
        The best is then polished on its active continuous coordinates by three rounds of
        ``_POLISH`` Gaussian moves (sd 0.02, 0.005, 0.001 of the unit range; a move is kept when
        it scores higher): the pool alone resolves a continuous optimum only to about the
        spacing of its points.
        """
        coder = state.coder
        assert coder is not None and data.mask is not None
        hist = state.history
        rng = np.random.default_rng(seed)
        d = len(coder)
        kinds = coder.kinds
        n_choices = np.array([max(c, 1) for c in coder.n_choices], dtype=np.float64)
        cat = np.array([k == "categorical" for k in kinds])
        grid = np.array([k == "integer" for k in kinds])
        complete = hist.state[data.rows] == _COMPLETE
        y = state.model_y
        y_of_row = dict(zip(state.model_rows.tolist(), y.tolist(), strict=True))
        row_y = np.array([y_of_row.get(int(r), -np.inf) for r in data.rows])
        patterns, inverse = np.unique(data.mask[complete] > 0, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        best_of = [float(row_y[complete][inverse == k].max()) for k in range(len(patterns))]
        order = np.argsort(best_of)[::-1][:_MAX_PATTERNS]
        from hyperdial.samplers._gp._incumbent import search_options

        n_pool = search_options(d).n_pool // max(1, len(order))
        seen = data.x[complete]
        untried_of = {
            j: np.setdiff1d(np.arange(n_choices[j]), seen[:, j]) for j in np.flatnonzero(cat)
        }
        blocks = []
        for k in order:
            active = patterns[k]
            members = np.flatnonzero(complete)[inverse == k]
            xs = data.x[members]
            u = rng.random((n_pool, d))
            pool = np.where(cat, np.floor(u * n_choices), u)
            pool = np.where(grid, (np.floor(u * n_choices) + 0.5) / n_choices, pool)
            top = xs[np.argsort(-row_y[members], kind="stable")[:5]]
            reps = np.repeat(top, 32, axis=0)
            noise = rng.normal(0.0, 0.05, reps.shape)
            step = rng.choice([-1.0, 1.0], reps.shape) / n_choices
            moved = np.where(
                grid, np.clip(reps + step, 0.5 / n_choices, 1 - 0.5 / n_choices), reps
            )
            moved = np.where(~cat & ~grid, np.clip(reps + noise, 0.0, 1.0), moved)
            redraw = cat & (rng.random(reps.shape) < 1.0 / d)
            moved = np.where(redraw, np.floor(rng.random(reps.shape) * n_choices), moved)
            cand = np.vstack([pool, top, moved])
            choices: dict[int, np.ndarray] = {}
            for j in np.flatnonzero(cat & active):
                values = np.unique(xs[:, j])
                if values.size == 1:  # the branch this pattern belongs to
                    cand[:, j] = values[0]
                    # A choice of this branch's parameter that no complete trial has used yet
                    # (an unseen branch, which no observed pattern leads to) replaces it in a
                    # part of the random pool, so the GP can score it and propose it.
                    untried = untried_of[j]
                    if untried.size and _UNTRIED_SHARE > 0:
                        n_untried = n_pool // _UNTRIED_SHARE
                        cand[:n_untried, j] = untried[rng.integers(untried.size, size=n_untried)]
                        choices[int(j)] = untried
                else:
                    choices[int(j)] = np.arange(n_choices[j])
            neighbours = _discrete_neighbours(
                top, choices, np.flatnonzero(grid & active), n_choices
            )
            cand = np.vstack([cand, neighbours])
            cand[:, ~active & cat] = -1.0
            cand[:, ~active & ~cat] = 0.5
            blocks.append(cand)
        cands = np.vstack(blocks)
        # The activity pattern each candidate row was made for.
        pattern_of = np.repeat(order, [len(b) for b in blocks])
        threads = self._threads(data.rows.size)

        def acquisition(points: F64) -> F64:
            score = model.acquisition(
                points, self._acq, beta=self._beta, constraints=constraint_models,
                n_threads=threads,
            )  # fmt: skip
            return np.where(np.isnan(score), -np.inf, score)

        score = acquisition(cands)
        for x_old in self._redirected(state, data):
            score[np.all(cands == x_old, axis=1)] = -np.inf
        best = int(np.argmax(score))
        x: F64 = cands[best].copy()  # code -1 (inactive) decodes to a valid, unused choice
        value = float(score[best])
        active_best = patterns[pattern_of[best]]
        movable = active_best & ~cat & ~grid
        if movable.any() and np.isfinite(value):
            for sd in (0.02, 0.005, 0.001):
                moves = np.repeat(x[None, :], _POLISH, axis=0)
                steps = rng.normal(0.0, sd, (_POLISH, int(movable.sum())))
                moves[:, movable] = np.clip(moves[:, movable] + steps, 0.0, 1.0)
                moved = acquisition(moves)
                k = int(np.argmax(moved))
                if moved[k] > value:
                    x, value = moves[k].copy(), float(moved[k])
        state.pattern_proposals[number] = (coder, x, active_best.copy())
        return x

    def _redirected(self, state: _StudyState, data: _Data) -> list[F64]:
        """Proposed points of finished trials that used another activity pattern than the one
        they were proposed in.

        A candidate of one pattern can decode to values that switch other parameters on (a
        ``depth`` beyond those of its pattern's trials turns on ``split``); those take the
        values their stand-ins decode to, so the trial is observed in another pattern and the
        proposed point itself never is: its acquisition stays as high as before, and it would
        be proposed again and again. The stand-ins decode deterministically, so proposing it again
        gives the same trial: it is excluded.
        """
        coder = state.coder
        hist = state.history
        assert data.mask is not None
        row_of = {int(r): i for i, r in enumerate(data.rows)}
        for number in [k for k in state.pattern_proposals if k < hist.n]:
            if hist.state[number] == _RUNNING:
                continue
            old_coder, x_old, active = state.pattern_proposals.pop(number)
            i = row_of.get(number)
            if (
                old_coder is coder
                and i is not None
                and hist.state[number] == _COMPLETE
                and not np.array_equal(data.mask[i] > 0, active)
            ):
                state.redirected.append((old_coder, x_old))
        return [x for c, x in state.redirected if c is coder]

    def _encode_rows(self, state: _StudyState, rows: np.ndarray) -> tuple[F64, F64]:
        """Inputs and activity masks ``(len(rows), d)`` of the given trial numbers; finished
        trials are encoded once per coder (``_StudyState.encoded``)."""
        coder = state.coder
        assert coder is not None
        hist = state.history
        d = len(coder)
        if state.encoded_for != (coder, hist.version):
            state.encoded_for = (coder, hist.version)
            state.encoded = np.zeros(0, dtype=bool)
            state.encoded_x = state.encoded_active = np.empty((0, d))
        if state.encoded.size < hist.n:
            cap = max(hist.n, 2 * state.encoded.size, 64)
            grow = cap - state.encoded.size
            state.encoded = np.concatenate([state.encoded, np.zeros(grow, dtype=bool)])
            state.encoded_x = np.concatenate([state.encoded_x, np.empty((grow, d))])
            state.encoded_active = np.concatenate([state.encoded_active, np.empty((grow, d))])
        new = rows[~state.encoded[rows]]
        if new.size:
            x = np.empty((new.size, d))
            active = np.empty((new.size, d))
            for j, (name, pc) in enumerate(zip(coder.names, coder.coders, strict=True)):
                col = hist.params.get(name)
                values = col[new] if col is not None else np.full(new.size, np.nan)
                x[:, j], active[:, j] = pc.encode(values)
            state.encoded_x[new] = x
            state.encoded_active[new] = active
            st = hist.state[new]
            state.encoded[new] = (st == _COMPLETE) | (st == _PRUNED) | (st == _FAIL)
        return state.encoded_x[rows], state.encoded_active[rows]

    def _training_data(self, state: _StudyState, number: int) -> _Data | None:
        """Rows, inputs, masks and (unwarped) losses of every trial the model should see."""
        hist = state.history
        st = hist.state[: hist.n]
        use = st == _COMPLETE
        single = len(hist.signs) == 1
        if single:
            use |= st == _FAIL
            if self._pruned_mode == "penalize":
                use |= (st == _PRUNED) & ~np.isnan(hist.last_report[: hist.n])
        rows = np.flatnonzero(use)
        if rows.size == 0:
            return None
        x, active = self._encode_rows(state, rows)
        keep = active.any(axis=1)
        if not keep.all():
            rows, x, active = rows[keep], x[keep], active[keep]
        if rows.size == 0 or not np.any(hist.state[rows] == _COMPLETE):
            return None
        mask = None if active.all() else active
        # Targets are filled in by the model update (they depend on the warp in force).
        return _Data(rows, x, mask, np.empty(0))

    def _targets(self, state: _StudyState, rows: np.ndarray, number: int, fit: bool) -> F64:
        """Targets for ``rows``; with ``fit``, the warp and the FAIL/PRUNED levels are refitted
        to the rows first, otherwise the ones of the last fit are used."""
        hist = state.history
        st = hist.state[rows]
        complete = st == _COMPLETE
        losses = hist.losses[rows]
        if losses.shape[1] > 1:
            weights = np.random.default_rng(self._trial_seed(number, b"parego")).dirichlet(
                np.ones(losses.shape[1])
            )
            y = np.full(rows.size, np.nan)
            y[complete] = parego(losses[complete], weights)
            return y
        loss = losses[:, 0].copy()
        refit = fit or state.warp is None
        warp = state.warp = Warp(loss[complete]) if refit else state.warp
        assert warp is not None
        pruned = st == _PRUNED
        if pruned.any():
            # Never better than the median of the losses the warp was fitted to.
            loss[pruned] = np.maximum(hist.last_report[rows[pruned]], warp.median)
        y = warp(loss)
        if refit:
            state.fail_target = float(y[~(st == _FAIL)].min())
        y[st == _FAIL] = state.fail_target
        return y

    def _new_model(self, state: _StudyState, center: bool = True) -> Model:
        from hyperdial.samplers._gp._incumbent import Model

        coder = state.coder
        assert coder is not None
        return Model(coder.kinds, coder.n_choices, fixed_noise=self._fixed_noise, center=center)

    def _refit(self, state: _StudyState, data: _Data, number: int) -> None:
        """Fits the objective model to ``data`` (targets recomputed).

        A full fit (no model yet, or :func:`_refit_due`) runs L-BFGS to convergence from the
        previous hyperparameters, plus ``_FIT_RESTARTS`` restarts below 100 points (the
        likelihood is multimodal when data are few) and one from the prior's centre above (a
        warm start alone can stay on a poor maximum).
        Otherwise (targets that change every trial: ParEGO weights, constraints) the
        hyperparameters get one warm L-BFGS step and the model is refactorised.
        """
        y = self._targets(state, data.rows, number, fit=True)
        ok = ~np.isnan(y)
        n = int(ok.sum())
        full = state.gp is None or _refit_due(state.n_fitted, n)
        if state.gp is None:
            state.gp = self._new_model(state)
        state.gp.set_noise_prior(self._reported_noise(state, data.rows[ok], y[ok]))
        mask = None if data.mask is None else data.mask[ok]
        state.gp.fit(
            data.x[ok], y[ok], mask,
            n_restarts=(_FIT_RESTARTS if n < _RESTARTS_BELOW else _RESTARTS_ABOVE) if full else 0,
            max_iter=_MAX_FIT_ITER if full else 1,
            seed=self._trial_seed(number, b"fit"), n_threads=self._threads(n),
        )  # fmt: skip
        state.model_rows = data.rows[ok]
        state.model_y = y[ok]
        if full:
            state.n_fitted = n
        state.history_version = state.history.version

    def _reported_noise(self, state: _StudyState, rows: np.ndarray, y: F64) -> float | None:
        """The log noise variance, in the model's standardised units, that the standard errors
        the trials reported (``STDERR_ATTR``) imply; None when the noise is fixed, the study has
        several objectives, or fewer than ``_MIN_STDERR_TRIALS`` complete trials reported one.

        A loss ``f`` with standard error ``s`` becomes a target whose sd is about half the
        spread of the targets of ``f - s`` and ``f + s`` (the warp is monotone and smooth, so
        this is its local slope times ``s``). The median over the trials of the squared sd,
        over the variance of the targets (the model standardises them), is the estimate: the
        GP's noise is one level for all points, and the median is not led by the few trials
        whose folds disagree most.
        """
        hist = state.history
        if not USE_STDERR or self._fixed_noise is not None or len(hist.signs) != 1:
            return None
        se = hist.stderr[rows]
        have = np.isfinite(se) & (hist.state[rows] == _COMPLETE)
        if int(have.sum()) < _MIN_STDERR_TRIALS or state.warp is None:
            return None
        loss = hist.losses[rows[have], 0]
        with np.errstate(invalid="ignore", over="ignore"):
            sd = 0.5 * np.abs(state.warp(loss + se[have]) - state.warp(loss - se[have]))
        var_y = float(np.var(y))
        if not (var_y > 0 and math.isfinite(var_y)):
            return None
        ratio = float(np.median(sd**2)) / var_y
        if not math.isfinite(ratio):
            return None
        return math.log(max(ratio, 1e-300))  # all zero: noiseless (clipped to the noise floor)

    def _update_objective_model(self, study: Study, state: _StudyState, data: _Data) -> None:
        """Appends the trials that finished since the last update, or refits; a new model of
        a large study starts from the fit saved in the study when it is fresh."""
        gp = state.gp
        if gp is None and data.rows.size >= _RESTARTS_BELOW and self._resume(study, state, data):
            return
        old = state.model_rows
        if (
            gp is not None
            and state.history_version == state.history.version
            and not _refit_due(state.n_fitted, data.rows.size)
        ):
            new = np.setdiff1d(data.rows, old, assume_unique=True)
            if np.isin(old, data.rows, assume_unique=True).all():
                if new.size:
                    y = self._targets(state, new, -1, fit=False)
                    pos = np.searchsorted(data.rows, new)
                    threads = self._threads(data.rows.size)
                    for i, p in enumerate(pos):
                        m = None if data.mask is None else data.mask[p]
                        gp.append(data.x[p], float(y[i]), m, n_threads=threads)
                    state.model_rows = np.concatenate([old, new])
                    state.model_y = np.concatenate([state.model_y, y])
                return
        state.n_fitted = 0  # a refit here is always a full one
        self._refit(state, data, int(data.rows[-1]))
        self._save_fit(study, state)

    def _fit_key(self, state: _StudyState) -> str:
        """What a saved fit must have been fitted to: the search space and the settings that
        define the targets and the noise."""
        coder = state.coder
        assert coder is not None
        h = blake2b(digest_size=8)
        for name, dist in zip(coder.names, coder.dists, strict=True):
            h.update(f"{name}\0{distribution_to_json(dist)}\0".encode())
        settings = (self._fixed_noise, self._pruned_mode, _targets.POWER_TRANSFORM, USE_STDERR)
        h.update(repr(settings).encode())
        return h.hexdigest()

    def _save_fit(self, study: Study, state: _StudyState) -> None:
        """Saves the hyperparameters of a full fit of ``_RESTARTS_BELOW`` or more points in the
        study, for processes that start later (``_resume``)."""
        gp = state.gp
        if gp is None or state.n_fitted < _RESTARTS_BELOW:
            return
        value = {
            "space": self._fit_key(state),
            "n": state.n_fitted,
            "log_params": [float(v) for v in gp.log_params],
        }
        study._storage.set_study_system_attr(study._study_id, GP_FIT_KEY, value)

    def _resume(self, study: Study, state: _StudyState, data: _Data) -> bool:
        """Starts the objective model from the fit saved in the study, if it is fresh: same
        search space and settings (``_fit_key``), fitted to no more points than ``data`` has
        and to enough that a process which had made that fit would not refit yet
        (:func:`_refit_due`). The model is then factorised once at the saved hyperparameters
        instead of fitted, and refitted when :func:`_refit_due` says, as if this process had
        made the saved fit. Returns whether it did."""
        saved = study._storage.get_study_system_attrs(study._study_id).get(GP_FIT_KEY)
        if not isinstance(saved, dict) or saved.get("space") != self._fit_key(state):
            return False
        n_saved, n = saved.get("n"), data.rows.size
        if not isinstance(n_saved, int) or n_saved > n or _refit_due(n_saved, n):
            return False
        y = self._targets(state, data.rows, -1, fit=True)
        gp = self._new_model(state)
        try:
            gp.condition_on(
                data.x, y, data.mask, log_params=saved.get("log_params", []),
                n_threads=self._threads(n),
            )  # fmt: skip
        except (NumericalError, ValueError):  # a bad record: fit instead
            return False
        state.gp = gp
        state.model_rows = data.rows
        state.model_y = y
        state.n_fitted = n_saved
        state.history_version = state.history.version
        return True

    def _fit_constraints(self, state: _StudyState, data: _Data) -> list[GaussianProcess]:
        hist = state.history
        models: list[GaussianProcess] = []
        for name in sorted(hist.constraints):
            c = hist.constraints[name][data.rows]
            ok = ~np.isnan(c)
            if not ok.any():
                continue
            values = np.clip(c[ok], -1e300, 1e300)
            big = float(np.abs(values).max())
            if big > 0:
                values = values / big  # keeps 0 at 0; the facade rescales again
            gp = state.constraint_gps.get(name)
            if gp is None:
                gp = state.constraint_gps[name] = self._new_model(state, center=False)
            mask = None if data.mask is None else data.mask[ok]
            full = state.n_fitted == state.model_rows.size  # the objective had a full fit
            gp.fit(
                data.x[ok], values, mask, max_iter=_MAX_FIT_ITER if full else 1,
                seed=self._trial_seed(int(data.rows[-1]), b"c"),
                n_threads=self._threads(data.rows.size),
            )  # fmt: skip
            models.append(gp)
        return models

    def _incumbent(self, state: _StudyState) -> float:
        """Best target among feasible COMPLETE model rows; the worst target when none is."""
        hist = state.history
        rows = state.model_rows
        feasible = hist.state[rows] == _COMPLETE
        for col in hist.constraints.values():
            feasible &= ~(col[rows] > 0)  # a missing constraint value is not a violation
        y = state.model_y
        return float(np.max(y[feasible])) if feasible.any() else float(np.min(y))

    def _pending(self, state: _StudyState, number: int) -> F64 | None:
        """Encoded points of RUNNING trials other than ``number``."""
        hist = state.history
        coder = state.coder
        assert coder is not None
        running = np.flatnonzero(hist.state[: hist.n] == _RUNNING)
        running = running[running < number] if self._pending_before_only else running
        running = running[running != number]
        for done in [k for k in state.proposals if k < hist.n and hist.state[k] != _RUNNING]:
            del state.proposals[done]
        points: list[F64] = []
        unknown = []
        for r in running:
            prop = state.proposals.get(int(r))
            if prop is not None and prop[0] is coder:
                points.append(prop[1])
            else:
                unknown.append(int(r))
        if unknown:
            x, active = self._encode_rows(state, np.asarray(unknown, dtype=np.int64))
            points.extend(x[active.any(axis=1)])
        if not points:
            return None
        return np.stack(points)
