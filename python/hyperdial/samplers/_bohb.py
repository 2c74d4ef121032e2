"""BOHB-style multi-fidelity sampling: a model-based sampler fitted at one budget.

BOHB (Falkner, Klein & Hutter 2018) runs Hyperband for the budgets and replaces its random
proposals with a model (a TPE-like density ratio) fitted on the results of the *highest budget
that has enough of them*. Here Hyperband is :class:`~hyperdial.pruners.HyperbandPruner` (or
:class:`~hyperdial.pruners.SuccessiveHalvingPruner`), and the model is any sampler passed as
``base`` — :class:`~hyperdial.samplers.TPESampler` by default.

How the base sampler is shown one budget
----------------------------------------
The base sampler is not changed. It is handed a read-only *view* of the study in which every
trial is replaced by its result at the chosen budget ``b`` (a step of ``trial.report``):

* a trial that reported at a step ``≥ b`` — running, pruned or complete — appears COMPLETE with
  its value at the first such step (a NaN value appears PRUNED);
* a COMPLETE trial that never reported that far appears with its final value;
* a trial that has not reached ``b`` is shown as it is: RUNNING (another worker's trial still
  training, which TPE's constant liar counts as bad) or PRUNED (stopped at a lower budget).
  TPE ranks PRUNED trials after every COMPLETE one — here, after every result at ``b`` — by
  how far they got and then by their last value, never against a value at ``b``.

So the model compares the trials that reached ``b`` on equal training, as in BOHB, and learns
from the trials stopped below ``b`` only that they were stopped. The view is a read-only
:class:`~hyperdial.storages._view.TrialView` of the study's storage that shows each trial
through :func:`result_at_budget`; it follows the storage's change feed
(``get_trials_changed_since``), so a TPE base keeps its incremental history per budget.
"""

from __future__ import annotations

import bisect
import copy
import functools
import math
import numbers
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial._transient import transient_attrs
from hyperdial.distributions import BaseDistribution
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._seeding import check_seed, hash_to_unit
from hyperdial.storages._view import TrialView
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import BOHB_BUDGET_KEY, BOHB_MODE_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["BOHBSampler"]

_COUNTED = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED)
_FINAL = -1  # "budget" meaning: the study's own final values (no intermediate values at all)


def result_at_budget(t: FrozenTrial, budget: int) -> FrozenTrial:
    """``t`` as the view at ``budget`` shows it (see the module docstring): a modified copy
    when ``t`` has a result at the budget, else ``t`` itself. Never modifies ``t``."""
    if t.state not in _COUNTED:
        return t
    later = [s for s in t.intermediate_values if s >= budget]
    if later:
        step = min(later)
        value: float | None = t.intermediate_values[step]
        kept = {s: v for s, v in t.intermediate_values.items() if s <= step}
    elif t.state == TrialState.COMPLETE:
        value, kept = t.value, t.intermediate_values
    else:  # not (yet) at the budget: as it is
        return t
    new = copy.copy(t)
    new.intermediate_values = kept
    if value is None or math.isnan(value):
        new.state, new.values = TrialState.PRUNED, None
    else:
        new.state, new.values = TrialState.COMPLETE, [value]
        if new.datetime_complete is None:
            new.datetime_complete = new.datetime_start
    return new


def _check_fraction(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) <= 1.0
    ):
        raise ValueError(f"`random_fraction` must be a number in [0, 1], got {value!r}.")
    return float(value)


class BOHBSampler(BaseSampler):
    """Model-based proposals for multi-fidelity studies, fitted at the highest budget with
    enough results (BOHB, Falkner et al. 2018).

    Use it with a Hyperband or successive-halving pruner; the budgets are the pruner's rung
    resources (plus the full budget), read from ``study.pruner`` when a trial starts:

        >>> import hyperdial
        >>> study = hyperdial.create_study(
        ...     sampler=hyperdial.samplers.BOHBSampler(seed=0),
        ...     pruner=hyperdial.pruners.HyperbandPruner(min_resource=1, max_resource=9),
        ... )
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -3, 3)
        ...     for step in range(1, 10):
        ...         trial.report((x - 1) ** 2 + 1 / step, step)
        ...         if trial.should_prune():
        ...             raise hyperdial.TrialPruned()
        ...     return (x - 1) ** 2
        >>> study.optimize(objective, n_trials=40)
        >>> study.best_value < 0.1
        True

    For each new trial:

    1. With probability ``random_fraction`` (a hash of the seed and the trial number, so every
       worker agrees) its parameters are drawn uniformly at random, as in BOHB, which keeps
       Hyperband's guarantee that good regions the model misses are still found.
    2. Otherwise the budget is the largest candidate budget at which at least
       ``min_points_in_model`` trials have a result (other workers' running trials count as
       soon as they report that far). The base sampler proposes the parameters from the study
       as seen at that budget (see :mod:`hyperdial.samplers._bohb`).
    3. When no budget has enough results, the parameters are random (start-up).

    Candidate budgets: ``budgets`` when given; else the rungs of ``study.pruner`` (a
    :class:`~hyperdial.pruners.HyperbandPruner` or
    :class:`~hyperdial.pruners.SuccessiveHalvingPruner`) up to the full budget (the pruner's
    ``max_resource``, or the last step of the longest COMPLETE trial); for any other pruner,
    every step some trial reported. A study that reports no intermediate values at all is
    handed to the base sampler as it is, once ``min_points_in_model`` trials are COMPLETE.

    The chosen budget and the mode (``"model"``, ``"random"``, ``"startup"``) are stored in
    each trial's system attributes ``"bohb:budget"`` and ``"bohb:mode"``. The base sampler's
    own start-up rule applies to the results at the chosen budget; the default base has none.

    Args:
        base: The model-based sampler; default ``TPESampler(seed=seed, n_startup_trials=0)``.
        seed: An integer in ``[0, 2**63)`` for the random proposals; None draws one.
        min_points_in_model: Results a budget needs before the model is fitted there; None
            means BOHB's rule, ``N_min + 2`` results with ``N_min = d + 1`` for ``d``
            parameters (Falkner et al. 2018, Sec. 4.1: the model is built after ``N_min + 2``
            random configurations), i.e. ``d + 3``.
        random_fraction: Share of trials proposed at random, in ``[0, 1]`` (BOHB: 1/3).
        budgets: Explicit candidate budgets (steps ≥ 0), instead of the pruner's rungs.
    """

    #: The budget views are made again when next needed.
    _transient = transient_attrs(BaseSampler, _views=dict)

    def __init__(
        self,
        base: BaseSampler | None = None,
        *,
        seed: int | None = None,
        min_points_in_model: int | None = None,
        random_fraction: float = 1.0 / 3.0,
        budgets: Sequence[int] | None = None,
    ) -> None:
        if base is not None and not isinstance(base, BaseSampler):
            raise TypeError(f"`base` must be a BaseSampler or None, got {base!r}.")
        if isinstance(base, BOHBSampler):
            raise TypeError("`base` must be a model-based sampler, not another BOHBSampler.")
        self._seed = check_seed(seed)
        if base is None:
            from hyperdial.samplers._tpe import TPESampler

            base = TPESampler(seed=self._seed, n_startup_trials=0)
        self._base = base
        if min_points_in_model is not None and (
            isinstance(min_points_in_model, bool)
            or not isinstance(min_points_in_model, numbers.Integral)
            or min_points_in_model < 1
        ):
            raise ValueError(
                "`min_points_in_model` must be None or an integer >= 1, "
                f"got {min_points_in_model!r}."
            )
        self._n_min = None if min_points_in_model is None else int(min_points_in_model)
        self._random_fraction = _check_fraction(random_fraction)
        if budgets is not None:
            checked: list[int] = []
            for b in budgets:
                if isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 0:
                    raise ValueError(
                        f"`budgets` must hold integers >= 0 (steps), got {list(budgets)!r}."
                    )
                checked.append(int(b))
            if not checked:
                raise ValueError("`budgets` must not be empty; give None for automatic ones.")
            self._budgets: list[int] | None = sorted(set(checked))
        else:
            self._budgets = None
        self._random = RandomSampler(seed=self._seed)
        self._lock = threading.Lock()
        self._views: dict[tuple[int, int, int], Study] = {}

    @property
    def base(self) -> BaseSampler:
        """The model-based sampler."""
        return self._base

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)
        self._random = RandomSampler(seed=self._seed)
        self._base.reseed_rng()

    # -- the budget --------------------------------------------------------------------------
    def _candidates(self, study: Study, trials: list[FrozenTrial]) -> list[int]:
        if self._budgets is not None:
            return self._budgets
        from hyperdial.pruners import HyperbandPruner, SuccessiveHalvingPruner

        last = [t.last_step for t in trials if t.last_step is not None]
        if not last:
            return []
        pruner = study.pruner
        if isinstance(pruner, (HyperbandPruner, SuccessiveHalvingPruner)):
            full = pruner.max_resource
            if full is None:
                done = [
                    t.last_step
                    for t in trials
                    if t.state == TrialState.COMPLETE and t.last_step is not None
                ]
                full = max(done) if done else None
            rungs = pruner._rungs(max(last) if full is None else max(full, max(last)))
            if rungs is not None:
                return sorted(set(rungs) | ({full} if full is not None else set()))
        return sorted({s for t in trials for s in t.intermediate_values})

    def choose_budget(self, study: Study) -> int | None:
        """The budget the model would be fitted at now: the largest candidate budget with at
        least ``min_points_in_model`` results, ``-1`` for "the study's final values" (a study
        without intermediate values), or None when no budget has enough results."""
        trials = study._get_trials(deepcopy=False, states=_COUNTED)
        n_min = self._n_min
        if n_min is None:
            names = {n for t in trials if t.state != TrialState.RUNNING for n in t.params}
            n_min = len(names) + 3  # BOHB: N_min + 2 with N_min = d + 1
        candidates = self._candidates(study, trials)
        if not candidates:
            complete = sum(t.state == TrialState.COMPLETE for t in trials)
            return _FINAL if complete >= n_min and complete > 0 else None
        reports = []
        for t in trials:
            steps = sorted(t.intermediate_values)
            reports.append((t, steps))
        for b in reversed(candidates):
            count = 0
            for t, steps in reports:
                i = bisect.bisect_left(steps, b)
                if i < len(steps):
                    ok = not math.isnan(t.intermediate_values[steps[i]])
                else:
                    ok = t.state == TrialState.COMPLETE and not math.isnan(t.value or math.nan)
                count += ok
                if count >= n_min:
                    return b
        return None

    def _decision(self, study: Study, trial: FrozenTrial) -> tuple[str, int | None]:
        mode = trial.system_attrs.get(BOHB_MODE_KEY)
        if mode is not None:
            return str(mode), trial.system_attrs.get(BOHB_BUDGET_KEY)
        return self._decide(study, trial)

    def _decide(self, study: Study, trial: FrozenTrial) -> tuple[str, int | None]:
        if hash_to_unit(self._seed, trial.number, "bohb:random") < self._random_fraction:
            return "random", None
        budget = self.choose_budget(study)
        return ("startup", None) if budget is None else ("model", budget)

    def _view(self, study: Study, budget: int | None) -> Study:
        """The study the base sampler sees at ``budget``."""
        if budget is None or budget == _FINAL:
            return study
        from hyperdial.study._study import Study

        key = (id(study._storage), study._study_id, budget)
        with self._lock:
            view = self._views.get(key)
            if view is None:
                view = Study(
                    study.study_name,
                    TrialView(
                        study._storage,
                        functools.partial(result_at_budget, budget=budget),
                        what="The BOHB budget view of a study",
                    ),
                    sampler=self._base,
                )
                self._views[key] = view  # the view holds the storage: its id stays unique
            return view

    # -- the protocol ------------------------------------------------------------------------
    def reserve(self, study: Study) -> dict[str, Any] | None:
        return self._base.reserve(study)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        mode, budget = self._decide(study, trial)
        study._storage.set_trial_system_attr(trial._trial_id, BOHB_MODE_KEY, mode)
        study._storage.set_trial_system_attr(trial._trial_id, BOHB_BUDGET_KEY, budget)
        self._base.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        mode, budget = self._decision(study, trial)
        if mode != "model":
            return {}
        return self._base.infer_relative_search_space(self._view(study, budget), trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        mode, budget = self._decision(study, trial)
        if mode != "model" or not search_space:
            return {}
        return self._base.sample_relative(self._view(study, budget), trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        mode, budget = self._decision(study, trial)
        if mode != "model":
            return self._random.sample_independent(study, trial, param_name, param_distribution)
        return self._base.sample_independent(
            self._view(study, budget), trial, param_name, param_distribution
        )

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._base.after_trial(study, trial, state, values)
