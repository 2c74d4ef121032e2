from __future__ import annotations

import math
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Union

from hyperdial import logging as _logging
from hyperdial._direction import StudyDirection, parse_direction
from hyperdial._transient import Transient, transient_attrs
from hyperdial.distributions import BaseDistribution, CategoricalDistribution
from hyperdial.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from hyperdial.pruners._base import BasePruner, NopPruner
from hyperdial.samplers._base import BaseSampler
from hyperdial.storages import BaseStorage, get_storage
from hyperdial.study._values import check_values, pareto_front
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import FAIL_REASON_KEY, FIXED_PARAMS_KEY, METRIC_NAMES_KEY
from hyperdial.trial._trial import Trial, _check_json

if TYPE_CHECKING:
    import os
    import pathlib

    import pandas as pd

    from hyperdial.study._optimize import ObjectiveFuncType

__all__ = [
    "Study",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "load_study",
]

_logger = _logging.get_logger(__name__)

StorageArg = Union[None, str, BaseStorage]  # noqa: UP007 (a runtime alias on Python 3.10)

#: ``trials_dataframe``'s default columns: Optuna's, and the constraints before the state.
_DATAFRAME_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "constraints",
    "state",
)


def _default_sampler() -> BaseSampler:
    """The sampler a study gets when none is given: :class:`~hyperdial.samplers.GPSampler`,
    handing off to TPE beyond 1000 finished trials or 32 parameters (see GPSampler's
    ``max_trials``/``max_dims``): past that an exact GP costs more per trial than it gains."""
    from hyperdial.samplers import GPSampler

    return GPSampler(max_trials=1000, max_dims=32)


def _better(t: FrozenTrial, b: FrozenTrial, sign: float) -> bool:
    """True when COMPLETE trial ``t`` beats ``b`` (ties go to the earlier trial)."""
    assert t.values is not None and b.values is not None
    if sign * t.values[0] != sign * b.values[0]:
        return sign * t.values[0] < sign * b.values[0]
    return t.number < b.number


class _BestTracker:
    """The best feasible COMPLETE trial of a single-objective study, updated incrementally.

    A cache derived from storage (it reads only trials changed since its mark), so it is
    correct whatever other threads or processes write. COMPLETE trials never change again,
    so the best can only improve.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mark = 0
        self._best: FrozenTrial | None = None
        self._n_complete = 0

    def get(self, study: Study) -> tuple[FrozenTrial | None, int]:
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        with self._lock:
            changed, self._mark = study._storage.get_trials_changed_since(
                study._study_id, self._mark
            )
            for t in changed:
                if t.state != TrialState.COMPLETE:
                    continue
                self._n_complete += 1
                if not t.is_feasible():
                    continue
                if self._best is None or _better(t, self._best, sign):
                    self._best = t
            return self._best, self._n_complete


class Study(Transient):
    """An optimisation task: an objective's trials, held in a storage.

    Create one with :func:`create_study` or :func:`load_study`. The study object keeps no
    trial state of its own: everything is read from and written to its storage, so several
    study objects (threads, processes, machines) can work on one study at once.

    A study pickles and deep-copies with its storage, sampler and pruner, and the copy goes on
    where the original was (a seeded sampler proposes what the original would next). With an
    in-memory storage the copy is independent of the original; with a database it is a new
    connection to the same study, which sees what other workers add.

    Attributes:
        study_name: The study's unique name in its storage.
        sampler: The :class:`~hyperdial.samplers.BaseSampler` proposing parameters.
        pruner: The :class:`~hyperdial.pruners.BasePruner` deciding ``should_prune``.
    """

    _transient = transient_attrs(
        Transient,
        _best=_BestTracker,
        _optimize_lock=threading.Lock,
        _stop_event=lambda: None,
    )

    def __init__(
        self,
        study_name: str,
        storage: StorageArg,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self.study_name = study_name
        self._directions = tuple(self._storage.get_study_directions(self._study_id))
        if sampler is not None and not isinstance(sampler, BaseSampler):
            raise TypeError(f"`sampler` must be a BaseSampler, got {type(sampler).__name__}.")
        if pruner is not None and not isinstance(pruner, BasePruner):
            raise TypeError(f"`pruner` must be a BasePruner, got {type(pruner).__name__}.")
        self.sampler: BaseSampler = sampler if sampler is not None else _default_sampler()
        self.pruner: BasePruner = pruner if pruner is not None else NopPruner()
        self._best = _BestTracker()
        self._optimize_lock = threading.Lock()
        self._stop_event: threading.Event | None = None

    # -- directions and results ---------------------------------------------------------------
    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study (RuntimeError for several objectives)."""
        if len(self._directions) != 1:
            raise RuntimeError(
                "This study has several objectives; use `directions` instead of `direction`."
            )
        return self._directions[0]

    def _is_multi_objective(self) -> bool:
        return len(self._directions) > 1

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value.

        When trials carry constraints (``Trial.set_constraint``), only feasible trials (all
        constraints ≤ 0) are considered. Ties go to the earliest trial.

        Raises:
            RuntimeError: the study has several objectives (use ``best_trials``).
            ValueError: no trial is COMPLETE, or none of them is feasible.
        """
        if self._is_multi_objective():
            raise RuntimeError(
                "A multi-objective study has no single best trial; use `best_trials`."
            )
        best, n_complete = self._best.get(self)
        if best is None:
            if n_complete == 0:
                raise ValueError("No trial is completed yet.")
            raise ValueError(f"None of the {n_complete} completed trials is feasible.")
        return self._storage.get_trial(best._trial_id)

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of COMPLETE (and, with constraints, feasible) trials.

        For one objective: every trial tied at the best value.
        """
        complete = self._get_trials(states=(TrialState.COMPLETE,))
        feasible = [t for t in complete if t.is_feasible()]
        return [
            self._storage.get_trial(t._trial_id) for t in pareto_front(feasible, self._directions)
        ]

    # -- trials -------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, ordered by number (deep copies: safe to modify)."""
        return self.get_trials(deepcopy=True)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those whose state is in ``states``.

        With ``deepcopy=False`` the records may be shared with the storage; do not modify them.
        """
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    def _get_trials(
        self, deepcopy: bool = False, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Stores a JSON-serialisable attribute with the study."""
        _check_json("Study user attribute", key, value)
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        _check_json("Study system attribute", key, value)
        self._storage.set_study_system_attr(self._study_id, key, value)

    # -- running trials -----------------------------------------------------------------------
    def optimize(
        self,
        func: ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Runs trials of ``func`` until ``n_trials`` are done, ``timeout`` passes, the sampler
        is exhausted or :meth:`stop` is called.

        Outcomes: a returned real number (or one per objective) → COMPLETE (±inf included;
        Python and NumPy numbers, 0-d arrays, ``Decimal``, torch scalars, anything ``float()``
        converts without overflow; a bool counts as 0 or 1); NaN, None, a wrong number of
        values, a string or a complex number → FAIL with a logged reason, and the study goes
        on; :class:`~hyperdial.TrialPruned` → PRUNED; any other exception →
        FAIL, then re-raised unless its type is in ``catch``. On Ctrl-C every running trial is
        marked FAIL before the interrupt propagates, with any ``n_jobs``. So it is on SIGTERM
        (what Kubernetes and batch schedulers send to stop a job) when ``optimize`` runs in
        the main thread; the trials are enqueued again if the storage retries failed trials
        (``RDBStorage(max_retry=...)``), then the signal goes to the handler installed before
        (by default it ends the process), which is restored when ``optimize`` returns. A
        trial is left RUNNING only when the process dies without unwinding (SIGKILL, a
        crash, ``os._exit``, SIGTERM while ``optimize`` runs in another thread);
        ``RDBStorage(heartbeat_interval=...)`` fails such trials.

        Args:
            func: The objective, ``func(trial) -> float | Sequence[float]``.
            n_trials: Number of trials this call runs (None: no limit).
            timeout: Seconds after which no new trial starts (None: no limit).
            n_jobs: Threads running trials at once; ``-1`` means one per CPU.
            catch: Exception types that fail a trial without stopping the study.
            callbacks: ``callback(study, frozen_trial)`` after each finished trial.
            gc_after_trial: Run ``gc.collect()`` after each trial.
            show_progress_bar: Show a tqdm progress bar (when tqdm is installed).

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
            >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2, n_trials=20)
            >>> abs(study.best_params["x"] - 2) < 2
            True
        """
        from hyperdial.study._optimize import optimize

        optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
        )

    def stop(self) -> None:
        """Ends ``optimize`` after the trials that are running now.

        Raises:
            RuntimeError: called outside ``optimize`` (e.g. from another thread when no
                optimisation runs).
        """
        if self._stop_event is None:
            raise RuntimeError("`Study.stop` can only be called while `optimize` runs.")
        self._stop_event.set()

    def ask(self, fixed_distributions: dict[str, BaseDistribution] | None = None) -> Trial:
        """Starts a trial for the ask-and-tell interface.

        An enqueued (WAITING) trial is taken first; otherwise a new trial is created. Parameters
        in ``fixed_distributions`` are suggested right away.

        Raises:
            StudyExhausted: the sampler has nothing left to propose (e.g. a finished grid).
            TypeError: ``fixed_distributions`` is not a dict of names to distribution objects
                (checked before a trial is started).

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study()
            >>> trial = study.ask()
            >>> x = trial.suggest_float("x", 0, 1)
            >>> frozen = study.tell(trial, x ** 2)
            >>> frozen.state
            TrialState.COMPLETE
        """
        if fixed_distributions is not None:
            _check_fixed_distributions(fixed_distributions)
        return self._ask(fixed_distributions, None)

    def _ask(
        self,
        fixed_distributions: dict[str, BaseDistribution] | None,
        register: Callable[[int], None] | None,
    ) -> Trial:
        storage = self._storage
        trial_id = storage.pop_waiting_trial(self._study_id)
        if trial_id is None:
            attrs = self.sampler.reserve(self)
            template = None
            if attrs:
                template = FrozenTrial(state=TrialState.RUNNING, system_attrs=attrs)
            trial_id = storage.create_new_trial(self._study_id, template)
        try:
            if register is not None:
                register(trial_id)
            trial = Trial(self, trial_id)
            for name, dist in (fixed_distributions or {}).items():
                trial._suggest(name, dist)
        except BaseException as e:
            self._fail_trial(trial_id, f"the trial could not start: {e!r}")
            raise
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finishes a trial started with :meth:`ask` (or any RUNNING trial, by number).

        With ``state=None`` the trial becomes COMPLETE if ``values`` is valid, else FAIL with
        a logged reason. ``state=PRUNED`` stores the last finite intermediate value as the value
        (single objective); ``state=FAIL`` stores no value.

        Raises:
            UpdateFinishedTrialError: the trial is already finished and ``skip_if_finished`` is
                false.
            ValueError: ``state`` is not COMPLETE, PRUNED, FAIL or None, or the trial number
                does not exist or names a WAITING (enqueued, not started) trial.
        """
        if isinstance(trial, Trial):
            if (
                trial.study._study_id != self._study_id
                or trial.study._storage is not self._storage
            ):
                raise ValueError("The trial belongs to another study.")
            trial_id = trial._trial_id
        elif isinstance(trial, int) and not isinstance(trial, bool):
            try:
                trial_id = self._storage.get_trial_id_from_study_id_trial_number(
                    self._study_id, trial
                )
            except KeyError:
                raise ValueError(
                    f"Study {self.study_name!r} has no trial number {trial}."
                ) from None
            if self._storage.get_trial(trial_id).state == TrialState.WAITING:
                raise ValueError(
                    f"Trial {trial} is WAITING (enqueued, not started); `ask` starts it."
                )
        else:
            raise TypeError(f"`trial` must be a Trial or a trial number, got {trial!r}.")
        if state is not None:
            state = TrialState(state)
            if not state.is_finished():
                raise ValueError(
                    f"`state` must be COMPLETE, PRUNED, FAIL or None, got {state.name}."
                )
        return self._tell(trial_id, values, state, skip_if_finished)

    def _tell(
        self,
        trial_id: int,
        values: Any,
        state: TrialState | None,
        skip_if_finished: bool,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        storage = self._storage
        frozen = storage.get_trial(trial_id)
        if frozen.state.is_finished():
            if skip_if_finished:
                _logger.info(f"Trial {frozen.number} is already finished ({frozen.state.name}).")
                return frozen
            raise UpdateFinishedTrialError(
                f"Trial {frozen.number} is already finished ({frozen.state.name})."
            )
        n_obj = len(self._directions)
        out: list[float] | None = None
        reason = fail_reason
        if state == TrialState.PRUNED:
            if n_obj == 1:
                if values is not None:
                    out, _ = check_values(values, 1)
                else:
                    steps = [s for s, v in frozen.intermediate_values.items() if math.isfinite(v)]
                    if steps:
                        out = [frozen.intermediate_values[max(steps)]]
        elif state == TrialState.FAIL:
            out = None
        else:
            out, reason = check_values(values, n_obj)
            state = TrialState.FAIL if reason is not None else TrialState.COMPLETE
        try:
            self.sampler.after_trial(self, frozen, state, out)
        except BaseException as e:
            self._fail_trial(trial_id, f"the sampler's after_trial raised {e!r}")
            raise
        if reason is not None:
            storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
        storage.set_trial_state_values(trial_id, state, out)
        frozen = storage.get_trial(trial_id)
        self._log_finished(frozen, reason)
        return frozen

    def _fail_trial(self, trial_id: int, reason: str) -> None:
        """Marks an unfinished trial FAIL, best effort (never raises for a finished trial)."""
        for attempt in range(3):
            try:
                self._storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
                self._storage.set_trial_state_values(trial_id, TrialState.FAIL)
                number = self._storage.get_trial_number_from_id(trial_id)
                _logger.warning(f"Trial {number} failed: {reason}.")
                return
            except UpdateFinishedTrialError:
                return
            except Exception:  # storage trouble: retry, then report
                if attempt == 2:
                    _logger.exception(f"Could not mark trial id {trial_id} as FAIL.")

    def _log_finished(self, frozen: FrozenTrial, reason: str | None) -> None:
        if frozen.state == TrialState.FAIL:
            if reason is not None:
                _logger.warning(
                    f"Trial {frozen.number} failed with parameters {frozen.params}: {reason}."
                )
            return
        if not _logger.isEnabledFor(20):
            return
        if frozen.state == TrialState.PRUNED:
            _logger.info(f"Trial {frozen.number} pruned at step {frozen.last_step}.")
            return
        if self._is_multi_objective():
            _logger.info(
                f"Trial {frozen.number} finished with values {frozen.values} and parameters "
                f"{frozen.params}."
            )
            return
        msg = (
            f"Trial {frozen.number} finished with value {frozen.value} and parameters "
            f"{frozen.params}."
        )
        best, _ = self._best.get(self)
        if best is not None:
            msg += f" Best is trial {best.number} with value {best.value}."
        _logger.info(msg)

    # -- queue and history --------------------------------------------------------------------
    def enqueue_trial(
        self,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queues a trial whose suggestions return ``params``; each queued trial runs once.

        Parameters missing from ``params`` are sampled as usual; a value outside the
        distribution the objective asks for is ignored with a warning and sampled instead.

        Args:
            params: ``{name: value}`` (None/bool/int/float/str values).
            user_attrs: Attributes stored with the trial.
            skip_if_exists: Do nothing if a trial with the same parameters is already queued,
                running or finished (NaN equals NaN here).

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study()
            >>> study.enqueue_trial({"x": 0.5})
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            >>> study.trials[0].params
            {'x': 0.5}
        """
        if not isinstance(params, dict):
            raise TypeError(f"`params` must be a dict, got {type(params).__name__}.")
        # NumPy scalars (np.int64(3), np.str_("a")) stand for the Python value they hold.
        params = {
            k: v.item() if type(v).__module__ == "numpy" and hasattr(v, "item") else v
            for k, v in params.items()
        }
        for k, v in params.items():
            _check_json("Enqueued parameter", k, v)
        for k, v in (user_attrs or {}).items():
            _check_json("User attribute", k, v)
        if skip_if_exists:
            for t in self._get_trials():
                existing = t.system_attrs.get(FIXED_PARAMS_KEY, t.params)
                if _same_params(existing, params, t.distributions):
                    _logger.info(
                        f"Trial {t.number} already has parameters {params}; not enqueued again."
                    )
                    return
        import json

        template = FrozenTrial(
            state=TrialState.WAITING,
            user_attrs=user_attrs,
            system_attrs={FIXED_PARAMS_KEY: json.loads(json.dumps(params))},
        )
        self._storage.create_new_trial(self._study_id, template)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Adds a finished (or WAITING) trial made elsewhere, e.g. from earlier experiments.

        The trial is checked as a live trial checks what it records, so that every storage
        keeps it and every pruner can read it: values and intermediate values are real numbers
        (as an objective returns and ``Trial.report`` takes), steps non-negative integers,
        attributes JSON with str keys, distributions distribution objects holding their
        parameter's value, ``datetime_complete`` not before ``datetime_start``.

        Raises:
            ValueError: the trial is inconsistent (values vs state, params vs distributions,
                wrong number of values, a step that is no integer, times out of order).
            TypeError: a field holds the wrong kind of object (a string value, an attribute
                JSON cannot hold, a distribution given as text); the message names the field.
        """
        if not isinstance(trial, FrozenTrial):
            raise TypeError(f"`trial` must be a FrozenTrial, got {type(trial).__name__}.")
        trial._validate()
        if trial.values is not None and len(trial.values) != len(self._directions):
            raise ValueError(
                f"The trial has {len(trial.values)} values but the study has "
                f"{len(self._directions)} objectives."
            )
        if trial.state == TrialState.RUNNING:
            raise ValueError("A RUNNING trial cannot be added; use `ask` instead.")
        self._storage.create_new_trial(self._study_id, trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        for t in trials:
            self.add_trial(t)

    def trials_dataframe(
        self,
        attrs: tuple[str, ...] = _DATAFRAME_ATTRS,
        multi_index: bool = False,
    ) -> pd.DataFrame:
        """The trials as a pandas DataFrame, one row per trial (needs pandas).

        Args:
            attrs: ``FrozenTrial`` attributes to include, in column order: ``number``,
                ``value``/``values`` (one column per objective, named by
                :meth:`set_metric_names` when set), ``datetime_start``, ``datetime_complete``,
                ``duration``, ``params``, ``user_attrs``, ``system_attrs``, ``constraints``,
                ``intermediate_values``, ``distributions`` (one column per key), ``state``
                (its name), ``trial_id``, ``last_step``.
            multi_index: Columns as ``(attribute, key)`` pairs instead of ``params_x`` names.

        Raises:
            ImportError: pandas is not installed.
            ValueError: a name in ``attrs`` is not a trial attribute.

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study()
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
            >>> list(study.trials_dataframe(attrs=("number", "params", "state")).columns)
            ['number', 'params_x', 'state']
        """
        from hyperdial.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs=attrs, multi_index=multi_index)

    def report(self, path: str | os.PathLike[str], **kwargs: Any) -> pathlib.Path:
        """Writes a self-contained HTML report of the study to ``path``: summary, best trial or
        Pareto set, importances and figures (:func:`hyperdial.visualization.report`, which
        takes the keyword arguments).

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study()
            >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
            >>> study.report("report.html")  # doctest: +SKIP
        """
        from hyperdial.visualization._report import report

        return report(self, path, **kwargs)

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names set with :meth:`set_metric_names`, or None."""
        names = self._storage.get_study_system_attrs(self._study_id).get(METRIC_NAMES_KEY)
        return None if names is None else list(names)

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Names the objectives, one name per direction, for data frames and plots.

        Raises:
            ValueError: not one name per objective, or names repeated.
            TypeError: a name is not a str.

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study(directions=["minimize", "maximize"])
            >>> study.set_metric_names(["loss", "accuracy"])
            >>> study.metric_names
            ['loss', 'accuracy']
        """
        names = list(metric_names)
        if len(names) != len(self._directions):
            raise ValueError(
                f"`metric_names` needs one name per objective ({len(self._directions)}), "
                f"got {names!r}."
            )
        for n in names:
            if not isinstance(n, str):
                raise TypeError(f"`metric_names` must hold str names, got {n!r}.")
        if len(set(names)) != len(names):
            raise ValueError(f"`metric_names` must be distinct, got {names!r}.")
        self._storage.set_study_system_attr(self._study_id, METRIC_NAMES_KEY, names)


def _check_fixed_distributions(fixed: Any) -> None:
    if not isinstance(fixed, dict):
        raise TypeError(
            "`fixed_distributions` must be a dict {name: distribution}, got "
            f"{type(fixed).__name__}."
        )
    for name, dist in fixed.items():
        if not isinstance(name, str):
            raise TypeError(f"`fixed_distributions`: a name must be a str, got {name!r}.")
        if not isinstance(dist, BaseDistribution):
            raise TypeError(
                f"`fixed_distributions`: {name!r} must map to a distribution object such as "
                f"FloatDistribution(0, 1), got {dist!r}."
            )


def _same_params(
    a: dict[str, Any], b: dict[str, Any], distributions: dict[str, BaseDistribution]
) -> bool:
    """Same names and values; NaN equals NaN, and True is not 1 (nor 1.0 a categorical 1)."""
    if set(a) != set(b):
        return False
    for k, va in a.items():
        vb = b[k]
        dist = distributions.get(k)
        if isinstance(dist, CategoricalDistribution):
            try:
                if dist.to_internal_repr(va) != dist.to_internal_repr(vb):
                    return False
                continue
            except ValueError:  # not a choice: compare as plain values below
                pass
        if isinstance(va, float) and isinstance(vb, float) and math.isnan(va) and math.isnan(vb):
            continue
        if va != vb or isinstance(va, bool) != isinstance(vb, bool):
            return False
    return True


def _directions_from_args(
    direction: str | StudyDirection | None,
    directions: Sequence[str | StudyDirection] | None,
) -> list[StudyDirection]:
    if direction is not None and directions is not None:
        raise ValueError("Give `direction` or `directions`, not both.")
    if directions is not None:
        if isinstance(directions, (str, StudyDirection)) or len(directions) == 0:
            raise ValueError(
                f"`directions` must be a non-empty list such as ['minimize', 'maximize'], "
                f"got {directions!r}."
            )
        return [parse_direction(d) for d in directions]
    return [parse_direction(direction if direction is not None else "minimize")]


def create_study(
    *,
    storage: StorageArg = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Creates a study (or loads it, with ``load_if_exists``).

    Args:
        storage: None (in memory), or a storage object.
        sampler: Default: Bayesian optimisation with a Gaussian process
            (:class:`~hyperdial.samplers.GPSampler`), which hands the study over to
            :class:`~hyperdial.samplers.TPESampler` (saying so once in the log) when it has more
            than 1000 finished trials or more than 32 parameters.
        pruner: Default: :class:`~hyperdial.pruners.NopPruner`.
        study_name: Unique within the storage; generated when None.
        direction: ``"minimize"`` (default) or ``"maximize"``.
        directions: One direction per objective, for multi-objective studies.
        load_if_exists: Load the study if one with ``study_name`` exists instead of raising.

    Raises:
        DuplicatedStudyError: the name exists and ``load_if_exists`` is false.
        ValueError: bad directions, or the existing study has other directions.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(direction="maximize")
        >>> study.optimize(lambda t: -t.suggest_float("x", -1, 1) ** 2, n_trials=10)
        >>> study.best_value <= 0
        True
    """
    dirs = _directions_from_args(direction, directions)
    storage_obj = get_storage(storage)
    try:
        study_id = storage_obj.create_new_study(dirs, study_name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        assert study_name is not None
        existing = storage_obj.get_study_directions(storage_obj.get_study_id_from_name(study_name))
        if (direction is not None or directions is not None) and existing != dirs:
            raise ValueError(
                f"Study {study_name!r} exists with directions {existing}, not {dirs}."
            ) from None
        _logger.info(f"Using the existing study {study_name!r}.")
        study_id = storage_obj.get_study_id_from_name(study_name)
    name = storage_obj.get_study_name_from_id(study_id)
    return Study(name, storage_obj, sampler=sampler, pruner=pruner)


def load_study(
    *,
    study_name: str | None,
    storage: StorageArg,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Loads an existing study. With ``study_name=None`` the storage must hold exactly one.

    Raises:
        KeyError: no study has that name.
        ValueError: ``study_name`` is None and the storage holds zero or several studies.
    """
    if storage is None:
        raise ValueError("`storage` is required to load a study (a new in-memory one is empty).")
    storage_obj = get_storage(storage)
    if study_name is None:
        names = [s.study_name for s in storage_obj.get_all_studies()]
        if len(names) != 1:
            raise ValueError(f"`study_name` is required: the storage holds {len(names)} studies.")
        study_name = names[0]
    return Study(study_name, storage_obj, sampler=sampler, pruner=pruner)


def delete_study(*, study_name: str, storage: StorageArg) -> None:
    """Deletes a study and all its trials.

    Raises:
        KeyError: no study has that name.
    """
    storage_obj = get_storage(storage)
    storage_obj.delete_study(storage_obj.get_study_id_from_name(study_name))


def get_all_study_names(storage: StorageArg) -> list[str]:
    """Names of every study in the storage."""
    return [s.study_name for s in get_storage(storage).get_all_studies()]


def copy_study(
    *,
    from_study_name: str,
    from_storage: StorageArg,
    to_storage: StorageArg,
    to_study_name: str | None = None,
) -> None:
    """Copies a study (directions, attributes, every trial) into another storage.

    Trials keep their states, numbers, parameters, values, intermediate values, attributes
    and times; a study that is running is copied as it is at the moment, RUNNING trials
    included.

    Args:
        from_study_name: The study to copy.
        from_storage: The storage holding it (a storage object or URL).
        to_storage: Where the copy goes.
        to_study_name: The copy's name (default: ``from_study_name``).

    Raises:
        KeyError: ``from_study_name`` is not in ``from_storage``.
        DuplicatedStudyError: ``to_storage`` already has a study of that name.

    Example:
        >>> import hyperdial
        >>> from hyperdial.storages import InMemoryStorage
        >>> src, dst = InMemoryStorage(), InMemoryStorage()
        >>> study = hyperdial.create_study(study_name="s", storage=src)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> hyperdial.copy_study(from_study_name="s", from_storage=src, to_storage=dst)
        >>> len(hyperdial.load_study(study_name="s", storage=dst).trials)
        3
    """
    src = get_storage(from_storage)
    src_id = src.get_study_id_from_name(from_study_name)
    dst = get_storage(to_storage)
    dst_id = dst.create_new_study(
        src.get_study_directions(src_id), to_study_name or from_study_name
    )
    for key, value in src.get_study_system_attrs(src_id).items():
        dst.set_study_system_attr(dst_id, key, value)
    for key, value in src.get_study_user_attrs(src_id).items():
        dst.set_study_user_attr(dst_id, key, value)
    for trial in src.get_all_trials(src_id, deepcopy=False):
        dst.create_new_trial(dst_id, trial)
