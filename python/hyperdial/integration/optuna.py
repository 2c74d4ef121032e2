"""Two-way interoperation with Optuna: samplers, storages and studies cross the border.

* :func:`to_optuna_sampler` lets an Optuna study use any hyperdial sampler (the C++ GP, TPE,
  QMC, ...) with Optuna's own storages, pruners and tools: nothing else in an Optuna script
  changes.
* :func:`to_optuna_storage` shows a hyperdial storage as an Optuna ``BaseStorage`` (reads and
  writes), so that optuna-dashboard and ``optuna.visualization`` work on hyperdial studies.
* :func:`from_optuna` and :func:`to_optuna` copy whole studies in either direction, for warm
  starts and migration.

The two libraries keep the same records (a trial's number, state, values, parameters in their
external form with their distribution, attributes, intermediate values, timestamps), so the
conversions are field by field. Two fields differ in form: Optuna stores a trial's constraints
as the list ``system_attrs["constraints"]``, hyperdial as ``{name: value}`` (names ``"0"``,
``"1"``, ... for constraints that come from Optuna, values in list order going back); Optuna's
timestamps are naive local times, hyperdial's are aware UTC times.

Optuna is imported by this module only; ``import hyperdial`` never imports it. The design and
what the wrapper costs are in docs/design/optuna_interop.md.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Container, Sequence
from typing import Any

import optuna
from optuna.study._frozen import FrozenStudy

import hyperdial
from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import DuplicatedStudyError, StudyExhausted, UpdateFinishedTrialError
from hyperdial.samplers import BaseSampler
from hyperdial.storages import BaseStorage, StudyInfo, get_storage
from hyperdial.trial import FrozenTrial, TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, FIXED_PARAMS_KEY

__all__ = ["from_optuna", "to_optuna", "to_optuna_sampler", "to_optuna_storage"]

_ODist = optuna.distributions.BaseDistribution
_OTrial = optuna.trial.FrozenTrial

#: Optuna's study system attribute prefix under which a sampler's claims are kept.
_CLAIM_PREFIX = "hyperdial:claim:"


# -- field conversions --------------------------------------------------------------------------
def _dist_from_optuna(d: _ODist) -> BaseDistribution:
    if isinstance(d, optuna.distributions.FloatDistribution):
        return FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, optuna.distributions.IntDistribution):
        return IntDistribution(d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        return CategoricalDistribution(d.choices)
    raise TypeError(f"No hyperdial counterpart of the Optuna distribution {d!r}.")


def _dist_to_optuna(d: BaseDistribution) -> _ODist:
    if isinstance(d, FloatDistribution):
        return optuna.distributions.FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, IntDistribution):
        return optuna.distributions.IntDistribution(d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, CategoricalDistribution):
        return optuna.distributions.CategoricalDistribution(d.choices)
    raise TypeError(f"No Optuna counterpart of the hyperdial distribution {d!r}.")


def _time_from_optuna(t: datetime.datetime | None) -> datetime.datetime | None:
    # A naive datetime is local time to both Optuna and `astimezone`.
    return None if t is None else t.astimezone(datetime.timezone.utc)


def _time_to_optuna(t: datetime.datetime | None) -> datetime.datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        return t
    return t.astimezone().replace(tzinfo=None)


def _attrs_from_optuna(system_attrs: dict[str, Any]) -> dict[str, Any]:
    c = system_attrs.get(CONSTRAINTS_KEY)
    if isinstance(c, (list, tuple)):
        system_attrs = dict(system_attrs)
        system_attrs[CONSTRAINTS_KEY] = {str(i): float(v) for i, v in enumerate(c)}
    return system_attrs


def _attrs_to_optuna(system_attrs: dict[str, Any]) -> dict[str, Any]:
    c = system_attrs.get(CONSTRAINTS_KEY)
    if isinstance(c, dict):
        system_attrs = dict(system_attrs)
        system_attrs[CONSTRAINTS_KEY] = [float(v) for v in c.values()]
    return system_attrs


def _state_from_optuna(s: optuna.trial.TrialState) -> TrialState:
    return TrialState[s.name]


def _state_to_optuna(s: TrialState) -> optuna.trial.TrialState:
    return optuna.trial.TrialState[s.name]


def _trial_from_optuna(t: _OTrial) -> FrozenTrial:
    return FrozenTrial(
        number=t.number,
        trial_id=t._trial_id,
        state=_state_from_optuna(t.state),
        values=t.values,
        datetime_start=_time_from_optuna(t.datetime_start),
        datetime_complete=_time_from_optuna(t.datetime_complete),
        params=t.params,
        distributions={k: _dist_from_optuna(d) for k, d in t.distributions.items()},
        user_attrs=t.user_attrs,
        system_attrs=_attrs_from_optuna(t.system_attrs),
        intermediate_values=t.intermediate_values,
    )


def _trial_to_optuna(t: FrozenTrial) -> _OTrial:
    return optuna.trial.FrozenTrial(
        number=t.number,
        trial_id=t._trial_id,
        state=_state_to_optuna(t.state),
        value=None,
        values=t.values,
        datetime_start=_time_to_optuna(t.datetime_start),
        datetime_complete=_time_to_optuna(t.datetime_complete),
        params=dict(t.params),
        distributions={k: _dist_to_optuna(d) for k, d in t.distributions.items()},
        user_attrs=dict(t.user_attrs),
        system_attrs=_attrs_to_optuna(dict(t.system_attrs)),
        intermediate_values=dict(t.intermediate_values),
    )


def _directions_to_optuna(ds: Sequence[StudyDirection]) -> list[optuna.study.StudyDirection]:
    return [optuna.study.StudyDirection(int(d)) for d in ds]


def _directions_from_optuna(ds: Sequence[optuna.study.StudyDirection]) -> list[StudyDirection]:
    return [StudyDirection(int(d)) for d in ds]


# -- an Optuna storage seen as a hyperdial storage (what a wrapped sampler reads) ---------------
class _StudyMirror:
    """The hyperdial records of one Optuna study's trials, converted once and kept.

    A finished trial never changes, so it is converted once; only the unfinished ones are
    converted again at each sync, and each record carries the mark at which it last changed,
    which is what ``get_trials_changed_since`` hands out.
    """

    def __init__(self) -> None:
        self.records: list[FrozenTrial] = []  # by trial number
        self.stamps: list[int] = []  # the mark at which each record last changed
        self.n_finished_prefix = 0  # trials 0 .. n-1 are all finished and converted
        self.mark = 0


class _FromOptunaStorage(BaseStorage):
    """An Optuna storage as a hyperdial :class:`BaseStorage`, for hyperdial samplers.

    Trial reads come from the converted records of :class:`_StudyMirror`; attribute writes go
    through to the Optuna storage; a sampler's ``claim`` lives in Optuna's study system
    attributes (an insert-if-absent there is atomic within one process, which is where an
    Optuna study's sampler runs its reservations). Creating studies or trials, and writing
    parameters, states or intermediate values, belongs to Optuna and is refused.
    """

    def __init__(self, storage: optuna.storages.BaseStorage) -> None:
        self.optuna_storage = storage
        self._mirrors: dict[int, _StudyMirror] = {}
        self._lock = threading.RLock()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("An Optuna study seen by a hyperdial sampler is read-only for it.")

    create_new_study = delete_study = _read_only
    create_new_trial = set_trial_param = set_trial_state_values = _read_only
    set_trial_intermediate_value = _read_only

    def sync(self, study_id: int) -> _StudyMirror:
        """Brings the study's converted records up to date with the Optuna storage."""
        with self._lock:
            m = self._mirrors.setdefault(study_id, _StudyMirror())
            trials = self.optuna_storage.get_all_trials(study_id, deepcopy=False)
            changed = False
            for ot in trials[m.n_finished_prefix :]:
                n = ot.number
                if n < len(m.records):
                    old = m.records[n]
                    if old.state.is_finished():
                        continue
                    new = _trial_from_optuna(ot)
                    if new == old:  # every field compared
                        continue
                    if not changed:
                        m.mark += 1
                        changed = True
                    m.records[n] = new
                    m.stamps[n] = m.mark
                else:
                    if not changed:
                        m.mark += 1
                        changed = True
                    m.records.append(_trial_from_optuna(ot))
                    m.stamps.append(m.mark)
            k = m.n_finished_prefix
            while k < len(m.records) and m.records[k].state.is_finished():
                k += 1
            m.n_finished_prefix = k
            return m

    # studies
    def get_study_id_from_name(self, study_name: str) -> int:
        return self.optuna_storage.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self.optuna_storage.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return _directions_from_optuna(self.optuna_storage.get_study_directions(study_id))

    def get_all_studies(self) -> list[StudyInfo]:
        return [
            StudyInfo(s._study_id, s.study_name, tuple(_directions_from_optuna(s.directions)))
            for s in self.optuna_storage.get_all_studies()
        ]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self.optuna_storage.set_study_user_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self.optuna_storage.set_study_system_attr(study_id, key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self.optuna_storage.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self.optuna_storage.get_study_system_attrs(study_id)

    def claim(self, study_id: int, key: str, value: str) -> str:
        with self._lock:
            attrs = self.optuna_storage.get_study_system_attrs(study_id)
            held = attrs.get(_CLAIM_PREFIX + key)
            if held is not None:
                return str(held)
            self.optuna_storage.set_study_system_attr(study_id, _CLAIM_PREFIX + key, value)
            return value

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        attrs = self.optuna_storage.get_study_system_attrs(study_id)
        full = _CLAIM_PREFIX + prefix
        return {k[len(_CLAIM_PREFIX) :]: str(v) for k, v in attrs.items() if k.startswith(full)}

    # trials
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.optuna_storage.set_trial_user_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        if key == CONSTRAINTS_KEY and isinstance(value, dict):
            value = [float(v) for v in value.values()]
        self.optuna_storage.set_trial_system_attr(trial_id, key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return _trial_from_optuna(self.optuna_storage.get_trial(trial_id))

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        m = self.sync(study_id)
        with self._lock:
            records = list(m.records)
        if states is not None:
            records = [t for t in records if t.state in states]
        if deepcopy:
            import copy

            records = copy.deepcopy(records)
        return records

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        m = self.sync(study_id)
        with self._lock:
            if mark >= m.mark:
                return [], m.mark
            records, stamps = m.records, m.stamps
            return [records[i] for i in range(len(records)) if stamps[i] > mark], m.mark

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))


# -- a hyperdial sampler as an Optuna sampler ---------------------------------------------------
class _HyperdialSampler(optuna.samplers.BaseSampler):
    """See :func:`to_optuna_sampler`."""

    def __init__(
        self,
        sampler: BaseSampler,
        constraints_func: Callable[[_OTrial], Sequence[float]] | None = None,
    ) -> None:
        if not isinstance(sampler, BaseSampler):
            raise TypeError(
                f"`sampler` must be a hyperdial sampler, got {type(sampler).__name__}; an "
                "Optuna sampler needs no wrapping."
            )
        self.sampler = sampler
        self.constraints_func = constraints_func
        self._studies: dict[tuple[int, int], hyperdial.Study] = {}
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return f"to_optuna_sampler({type(self.sampler).__name__})"

    # Pickled (to ship to workers) without the per-study views, which hold storages and locks;
    # they are rebuilt on first use.
    def __getstate__(self) -> dict[str, Any]:
        return {"sampler": self.sampler, "constraints_func": self.constraints_func}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["sampler"], state["constraints_func"])  # type: ignore[misc]

    def _study(self, study: optuna.Study) -> hyperdial.Study:
        key = (id(study._storage), study._study_id)
        with self._lock:
            hd = self._studies.get(key)
            if hd is None or hd._storage.optuna_storage is not study._storage:  # type: ignore[attr-defined]
                view = _FromOptunaStorage(study._storage)
                hd = hyperdial.Study(study.study_name, storage=view, sampler=self.sampler)
                self._studies[key] = hd
            return hd

    def infer_relative_search_space(
        self, study: optuna.Study, trial: _OTrial
    ) -> dict[str, _ODist]:
        hd = self._study(study)
        space = self.sampler.infer_relative_search_space(hd, _trial_from_optuna(trial))
        return {k: _dist_to_optuna(d) for k, d in space.items()}

    def sample_relative(
        self, study: optuna.Study, trial: _OTrial, search_space: dict[str, _ODist]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        hd = self._study(study)
        space = {k: _dist_from_optuna(d) for k, d in search_space.items()}
        return self.sampler.sample_relative(hd, _trial_from_optuna(trial), space)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: _OTrial,
        param_name: str,
        param_distribution: _ODist,
    ) -> Any:
        hd = self._study(study)
        return self.sampler.sample_independent(
            hd, _trial_from_optuna(trial), param_name, _dist_from_optuna(param_distribution)
        )

    def before_trial(self, study: optuna.Study, trial: _OTrial) -> None:
        hd = self._study(study)
        if FIXED_PARAMS_KEY not in trial.system_attrs:
            # hyperdial reserves work (a grid point) before creating a trial; an Optuna trial
            # exists already, so the reservation's attributes are written onto it.
            try:
                attrs = self.sampler.reserve(hd)
            except StudyExhausted:
                study.stop()
                attrs = None
            if attrs:
                for k, v in attrs.items():
                    study._storage.set_trial_system_attr(trial._trial_id, k, v)
                trial = study._storage.get_trial(trial._trial_id)
        self.sampler.before_trial(hd, _trial_from_optuna(trial))

    def after_trial(
        self,
        study: optuna.Study,
        trial: _OTrial,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self.constraints_func is not None and state in (
            optuna.trial.TrialState.COMPLETE,
            optuna.trial.TrialState.PRUNED,
        ):
            # As Optuna's own samplers do: the constraints of every COMPLETE or PRUNED trial
            # are stored under "constraints"; None when the function fails.
            stored: list[float] | None = None
            try:
                stored = [float(c) for c in self.constraints_func(trial)]
                if any(c != c for c in stored):
                    raise ValueError("Constraint values cannot be NaN.")
            finally:
                study._storage.set_trial_system_attr(trial._trial_id, CONSTRAINTS_KEY, stored)
            trial = study._storage.get_trial(trial._trial_id)
        hd = self._study(study)
        self.sampler.after_trial(hd, _trial_from_optuna(trial), _state_from_optuna(state), values)

    def reseed_rng(self) -> None:
        self.sampler.reseed_rng()


def to_optuna_sampler(
    sampler: BaseSampler,
    *,
    constraints_func: Callable[[_OTrial], Sequence[float]] | None = None,
) -> optuna.samplers.BaseSampler:
    """Wraps a hyperdial sampler as an Optuna sampler.

    The result is an :class:`optuna.samplers.BaseSampler` that runs inside any Optuna study:
    with Optuna's storages, pruners, callbacks and ask-and-tell. Each hook of Optuna's sampler
    protocol is passed to the matching hook of ``sampler``, which sees the Optuna study through
    a read-only hyperdial view of it: the same trials (RUNNING ones included, which samplers
    such as the GP treat as pending points), directions (several for multi-objective studies)
    and constraints. Finished trials are converted once and kept, so the view costs the
    sampler little at any study size (``bench/optuna_interop.py`` measures it).

    Args:
        sampler: Any hyperdial sampler.
        constraints_func: As in Optuna's samplers: called with each COMPLETE or PRUNED trial,
            returns its constraint values (feasible when all ≤ 0), stored under the trial's
            ``"constraints"`` system attribute, which ``sampler`` then reads as constraints.

    Example:
        >>> import optuna
        >>> from hyperdial.samplers import GPSampler
        >>> from hyperdial.integration.optuna import to_optuna_sampler
        >>> study = optuna.create_study(sampler=to_optuna_sampler(GPSampler(seed=0)))
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=12)
        >>> round(study.best_value, 1) < 1.0
        True
    """
    return _HyperdialSampler(sampler, constraints_func)


# -- a hyperdial storage as an Optuna storage ---------------------------------------------------
class _OptunaStorageView(optuna.storages.BaseStorage):
    """See :func:`to_optuna_storage`."""

    def __init__(self, storage: BaseStorage) -> None:
        self.hyperdial_storage = storage
        self._finished: dict[int, _OTrial] = {}  # converted finished trials by trial id
        self._lock = threading.Lock()

    def _convert(self, t: FrozenTrial) -> _OTrial:
        if not t.state.is_finished():
            return _trial_to_optuna(t)
        with self._lock:
            ot = self._finished.get(t._trial_id)
        if ot is None:
            ot = _trial_to_optuna(t)
            with self._lock:
                self._finished[t._trial_id] = ot
        return ot

    # studies
    def create_new_study(
        self, directions: Sequence[optuna.study.StudyDirection], study_name: str | None = None
    ) -> int:
        try:
            return self.hyperdial_storage.create_new_study(
                _directions_from_optuna(directions), study_name
            )
        except DuplicatedStudyError as e:
            raise optuna.exceptions.DuplicatedStudyError(str(e)) from e

    def delete_study(self, study_id: int) -> None:
        self.hyperdial_storage.delete_study(study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self.hyperdial_storage.set_study_user_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self.hyperdial_storage.set_study_system_attr(study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self.hyperdial_storage.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self.hyperdial_storage.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[optuna.study.StudyDirection]:
        return _directions_to_optuna(self.hyperdial_storage.get_study_directions(study_id))

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self.hyperdial_storage.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self.hyperdial_storage.get_study_system_attrs(study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        s = self.hyperdial_storage
        return [
            FrozenStudy(
                study_name=info.study_name,
                direction=None,
                directions=_directions_to_optuna(info.directions),
                user_attrs=s.get_study_user_attrs(info.study_id),
                system_attrs=s.get_study_system_attrs(info.study_id),
                study_id=info.study_id,
            )
            for info in s.get_all_studies()
        ]

    # trials
    def create_new_trial(self, study_id: int, template_trial: _OTrial | None = None) -> int:
        template = None if template_trial is None else _trial_from_optuna(template_trial)
        return self.hyperdial_storage.create_new_trial(study_id, template)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: _ODist,
    ) -> None:
        try:
            self.hyperdial_storage.set_trial_param(
                trial_id, param_name, param_value_internal, _dist_from_optuna(distribution)
            )
        except UpdateFinishedTrialError as e:
            raise optuna.exceptions.UpdateFinishedTrialError(str(e)) from e

    def set_trial_state_values(
        self,
        trial_id: int,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None = None,
    ) -> bool:
        try:
            return self.hyperdial_storage.set_trial_state_values(
                trial_id, _state_from_optuna(state), values
            )
        except UpdateFinishedTrialError as e:
            raise optuna.exceptions.UpdateFinishedTrialError(str(e)) from e

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        try:
            self.hyperdial_storage.set_trial_intermediate_value(trial_id, step, intermediate_value)
        except UpdateFinishedTrialError as e:
            raise optuna.exceptions.UpdateFinishedTrialError(str(e)) from e

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        try:
            self.hyperdial_storage.set_trial_user_attr(trial_id, key, value)
        except UpdateFinishedTrialError as e:
            raise optuna.exceptions.UpdateFinishedTrialError(str(e)) from e

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        if key == CONSTRAINTS_KEY and isinstance(value, (list, tuple)):
            value = {str(i): float(v) for i, v in enumerate(value)}
        try:
            self.hyperdial_storage.set_trial_system_attr(trial_id, key, value)
        except UpdateFinishedTrialError as e:
            raise optuna.exceptions.UpdateFinishedTrialError(str(e)) from e

    def get_trial(self, trial_id: int) -> _OTrial:
        return self._convert(self.hyperdial_storage.get_trial(trial_id))

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[optuna.trial.TrialState] | None = None,
    ) -> list[_OTrial]:
        hd_states = (
            None if states is None else {s for s in TrialState if _state_to_optuna(s) in states}
        )
        trials = [
            self._convert(t)
            for t in self.hyperdial_storage.get_all_trials(
                study_id, deepcopy=False, states=hd_states
            )
        ]
        if deepcopy:
            import copy

            trials = copy.deepcopy(trials)
        return trials

    def remove_session(self) -> None:
        self.hyperdial_storage.remove_session()


def to_optuna_storage(storage: BaseStorage | str) -> optuna.storages.BaseStorage:
    """Shows a hyperdial storage to Optuna as an Optuna storage, for reading and writing.

    Every Optuna tool that takes a storage then works on hyperdial studies: optuna-dashboard,
    ``optuna.visualization`` on ``optuna.load_study(..., storage=...)``, even Optuna's own
    ``study.optimize``. Records are converted field by field (see the module docstring);
    finished trials are converted once and kept.

    Args:
        storage: A hyperdial storage, or a database URL that hyperdial opens.

    Example::

        from optuna_dashboard import run_server
        from hyperdial.integration.optuna import to_optuna_storage

        run_server(to_optuna_storage("sqlite:///study.db"), port=8080)
    """
    return _OptunaStorageView(get_storage(storage))


# -- copying studies ----------------------------------------------------------------------------
def from_optuna(
    optuna_study_or_storage_url: optuna.Study | str,
    *,
    study_name: str | None = None,
    storage: BaseStorage | str | None = None,
) -> hyperdial.Study:
    """Copies an Optuna study into a new hyperdial study and returns it.

    Every trial is copied as it is, whatever its state: number, parameters with their
    distributions, values, intermediate values, user and system attributes, timestamps;
    and the study's directions and attributes.

    Args:
        optuna_study_or_storage_url: An Optuna study, or the URL of an Optuna storage holding
            the study named ``study_name`` (or only one study).
        study_name: The study to read from a URL, and the new study's name (default: the
            Optuna study's name).
        storage: Where the copy is created (default: a new in-memory storage).

    Raises:
        hyperdial.exceptions.DuplicatedStudyError: ``storage`` has a study of that name.

    Example:
        >>> import optuna
        >>> from hyperdial.integration.optuna import from_optuna
        >>> source = optuna.create_study(study_name="warm")
        >>> source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(from_optuna(source).trials)
        3
    """
    if isinstance(optuna_study_or_storage_url, str):
        source = optuna.load_study(study_name=study_name, storage=optuna_study_or_storage_url)
    else:
        source = optuna_study_or_storage_url
    target = get_storage(storage)
    sid = target.create_new_study(
        _directions_from_optuna(source.directions), study_name or source.study_name
    )
    for k, v in source.user_attrs.items():
        target.set_study_user_attr(sid, k, v)
    for k, v in source._storage.get_study_system_attrs(source._study_id).items():
        target.set_study_system_attr(sid, k, v)
    for t in source._storage.get_all_trials(source._study_id, deepcopy=False):
        target.create_new_trial(sid, _trial_from_optuna(t))
    return hyperdial.load_study(study_name=target.get_study_name_from_id(sid), storage=target)


def to_optuna(
    study: hyperdial.Study,
    storage: optuna.storages.BaseStorage | str | None,
    *,
    study_name: str | None = None,
) -> optuna.Study:
    """Copies a hyperdial study into a new Optuna study and returns it.

    The counterpart of :func:`from_optuna`: every trial in every state, with all its fields,
    and the study's directions and attributes.

    Args:
        study: The hyperdial study to copy.
        storage: An Optuna storage or storage URL; None for Optuna's in-memory storage.
        study_name: The new study's name (default: ``study.study_name``).

    Raises:
        optuna.exceptions.DuplicatedStudyError: ``storage`` has a study of that name.

    Example:
        >>> import hyperdial
        >>> from hyperdial.integration.optuna import to_optuna
        >>> source = hyperdial.create_study()
        >>> source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(to_optuna(source, None).trials)
        3
    """
    target = optuna.create_study(
        storage=storage,
        study_name=study_name or study.study_name,
        directions=_directions_to_optuna(study.directions),
    )
    ostorage, sid = target._storage, target._study_id
    for k, v in study.user_attrs.items():
        ostorage.set_study_user_attr(sid, k, v)
    for k, v in study._storage.get_study_system_attrs(study._study_id).items():
        ostorage.set_study_system_attr(sid, k, v)
    for t in study._storage.get_all_trials(study._study_id, deepcopy=False):
        ostorage.create_new_trial(sid, _trial_to_optuna(t))
    return target
