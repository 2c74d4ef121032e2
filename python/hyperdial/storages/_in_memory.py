from __future__ import annotations

import copy
import datetime
import operator
import os
import threading
from collections.abc import Container, Sequence
from typing import Any

from hyperdial._direction import StudyDirection
from hyperdial._transient import transient_attrs
from hyperdial.distributions import BaseDistribution, check_distribution_compatibility
from hyperdial.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from hyperdial.storages._base import BaseStorage, StudyInfo, check_study_name
from hyperdial.trial._checks import json_copy
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

__all__ = ["InMemoryStorage"]

_FINISHED = frozenset(s for s in TrialState if s.is_finished())
_number = operator.attrgetter("number")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class _Study:
    __slots__ = (
        "changed",
        "claims",
        "directions",
        "name",
        "param_distributions",
        "system_attrs",
        "trial_ids",
        "user_attrs",
        "version",
        "waiting",
    )

    def __init__(self, name: str, directions: Sequence[StudyDirection]) -> None:
        self.name = name
        self.directions = list(directions)
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.trial_ids: list[int] = []  # index = trial number
        self.param_distributions: dict[str, BaseDistribution] = {}
        self.claims: dict[str, str] = {}
        self.version = 0
        # trial_id -> version of its last change, ordered from oldest to newest change.
        self.changed: dict[int, int] = {}
        self.waiting: dict[int, None] = {}  # WAITING trial ids in number order

    def snapshot(self) -> _Study:
        """A copy whose containers are its own (their values are replaced, never changed)."""
        twin = copy.copy(self)
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, (dict, list)):
                setattr(twin, name, copy.copy(value))
        return twin


class InMemoryStorage(BaseStorage):
    """Keeps studies in this process's memory; shared safely by the threads of ``n_jobs``.

    User attributes are kept as the SQL storages keep them, as copies through JSON (a tuple
    comes back as a list), so a study reads the same in every storage.

    Records are copy-on-write snapshots: a write replaces the trial's record, so a reader that
    holds a record (e.g. a sampler with ``deepcopy=False``) never sees it change underneath.

    Example:
        >>> import hyperdial
        >>> storage = hyperdial.storages.InMemoryStorage()
        >>> study = hyperdial.create_study(storage=storage, study_name="demo")
        >>> hyperdial.get_all_study_names(storage)
        ['demo']

    A pickled or deep-copied storage holds copies of the studies, independent of the original.
    """

    _transient = transient_attrs(BaseStorage, _lock=threading.RLock)

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._name_to_id: dict[str, int] = {}
        self._trials: dict[int, FrozenTrial] = {}
        self._trial_study: dict[int, int] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    def __getstate__(self) -> dict[str, Any]:
        # Pickle walks the state after this returns, so it gets containers no other thread
        # changes: a consistent snapshot even while trials run. Records are copy-on-write.
        with self._lock:
            state = super().__getstate__()
            state["_studies"] = {sid: s.snapshot() for sid, s in self._studies.items()}
            for name in ("_name_to_id", "_trials", "_trial_study"):
                state[name] = dict(state[name])
        return state

    # -- helpers ------------------------------------------------------------------------------
    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise KeyError(f"No study with id {study_id}.") from None

    def _trial(self, trial_id: int) -> FrozenTrial:
        try:
            return self._trials[trial_id]
        except KeyError:
            raise KeyError(f"No trial with id {trial_id}.") from None

    def _updatable(self, trial_id: int) -> FrozenTrial:
        t = self._trials.get(trial_id)
        if t is None:
            raise KeyError(f"No trial with id {trial_id}.")
        if t.state in _FINISHED:
            raise UpdateFinishedTrialError(
                f"Trial {t.number} is already finished ({t.state.name}) and cannot be changed."
            )
        return t

    def _commit(self, new: FrozenTrial, state_changed: bool = True) -> None:
        """Replaces a trial's record and marks it changed.

        ``state_changed=False`` says the new record has the old one's state (the WAITING
        index then needs no update).
        """
        tid = new._trial_id
        s = self._studies[self._trial_study[tid]]
        self._trials[tid] = new
        s.version += 1
        changed = s.changed
        changed.pop(tid, None)  # re-inserted at the end: the newest change comes last
        changed[tid] = s.version
        if state_changed:
            if new.state == TrialState.WAITING:
                s.waiting[tid] = None
            else:
                s.waiting.pop(tid, None)

    # -- studies ------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        study_name = check_study_name(study_name)
        directions = [StudyDirection(d) for d in directions]
        if not directions or any(d == StudyDirection.NOT_SET for d in directions):
            raise ValueError(f"`directions` must be MINIMIZE or MAXIMIZE, got {directions}.")
        with self._lock:
            if study_name is None:
                study_name = f"no-name-{os.urandom(16).hex()}"
            if study_name in self._name_to_id:
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
            sid = self._next_study_id
            self._next_study_id += 1
            self._studies[sid] = _Study(study_name, directions)
            self._name_to_id[study_name] = sid
            return sid

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            s = self._study(study_id)
            for tid in s.trial_ids:
                del self._trials[tid]
                del self._trial_study[tid]
            del self._name_to_id[s.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            try:
                return self._name_to_id[study_name]
            except KeyError:
                raise KeyError(f"No study named {study_name!r}.") from None

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        with self._lock:
            return list(self._study(study_id).directions)

    def get_all_studies(self) -> list[StudyInfo]:
        with self._lock:
            return [
                StudyInfo(sid, s.name, tuple(s.directions)) for sid, s in self._studies.items()
            ]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = json_copy(value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = copy.deepcopy(value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    def claim(self, study_id: int, key: str, value: str) -> str:
        with self._lock:
            return self._study(study_id).claims.setdefault(key, value)

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        with self._lock:
            return {k: v for k, v in self._study(study_id).claims.items() if k.startswith(prefix)}

    # -- trials -------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        with self._lock:
            s = self._study(study_id)
            tid = self._next_trial_id
            number = len(s.trial_ids)
            if template_trial is None:
                t = FrozenTrial(number=number, state=TrialState.RUNNING, trial_id=tid)
                t.datetime_start = _now()
            else:
                for name, dist in template_trial.distributions.items():
                    self._check_param_distribution(s, name, dist)
                t = copy.deepcopy(template_trial)
                t.user_attrs = json_copy(t.user_attrs)  # as the SQL storages keep them
                t.number = number
                t._trial_id = tid
                if t.state == TrialState.RUNNING and t.datetime_start is None:
                    t.datetime_start = _now()
                if t.state.is_finished():
                    t.datetime_start = t.datetime_start or _now()
                    t.datetime_complete = t.datetime_complete or _now()
            for name, dist in t.distributions.items():
                s.param_distributions.setdefault(name, dist)
            self._next_trial_id += 1
            s.trial_ids.append(tid)
            self._trial_study[tid] = study_id
            self._commit(t)
            return tid

    @staticmethod
    def _check_param_distribution(s: _Study, name: str, dist: BaseDistribution) -> None:
        old = s.param_distributions.get(name)
        if old is not None and old is not dist:
            check_distribution_compatibility(old, dist, name=name)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        with self._lock:
            t = self._updatable(trial_id)
            s = self._studies[self._trial_study[trial_id]]
            known = s.param_distributions.get(param_name)
            if known is not None and known is not distribution:
                check_distribution_compatibility(known, distribution, name=param_name)
            params = t._params
            if param_name in params:
                raise ValueError(f"Trial {t.number} already has parameter {param_name!r}.")
            if not distribution._contains(param_value_internal):
                raise ValueError(
                    f"Parameter {param_name!r}: internal value {param_value_internal!r} is not "
                    f"in {distribution!r}."
                )
            new = t.__copy__()
            new._params = {
                **params,
                param_name: distribution.to_external_repr(param_value_internal),
            }
            new._distributions = {**t._distributions, param_name: distribution}
            if known is None:
                s.param_distributions[param_name] = distribution
            self._commit(new, state_changed=False)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        state = TrialState(state)
        with self._lock:
            t = self._updatable(trial_id)
            if state == TrialState.WAITING:
                raise ValueError(f"Trial {t.number} cannot go back to WAITING.")
            if state == TrialState.RUNNING:
                if t.state != TrialState.WAITING:
                    return False
                new = t.__copy__()
                new.state = TrialState.RUNNING
                new.datetime_start = _now()
                self._commit(new)
                return True
            new = t.__copy__()
            new.state = state
            new.values = values
            new.datetime_complete = _now()
            if new.datetime_start is None:
                new.datetime_start = new.datetime_complete
            self._commit(new)
            return True

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            t = self._updatable(trial_id)
            new = t.__copy__()
            new.intermediate_values = {**t.intermediate_values, int(step): float(value)}
            self._commit(new, state_changed=False)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            t = self._updatable(trial_id)
            new = t.__copy__()
            new.user_attrs = {**t.user_attrs, key: json_copy(value)}
            self._commit(new, state_changed=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            t = self._updatable(trial_id)
            new = t.__copy__()
            new.system_attrs = {**t.system_attrs, key: copy.deepcopy(value)}
            self._commit(new, state_changed=False)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trial(trial_id).__deepcopy__({})  # records are plain FrozenTrials

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._lock:
            s = self._study(study_id)
            trials = [self._trials[tid] for tid in s.trial_ids]
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            s = self._study(study_id)
            if s.version <= mark:  # nothing changed (samplers ask several times per trial)
                return [], s.version
            trials: list[FrozenTrial] = []
            for tid, version in reversed(s.changed.items()):
                if version <= mark:
                    break
                trials.append(self._trials[tid])
            trials.sort(key=_number)
            return trials, s.version

    def pop_waiting_trial(self, study_id: int) -> int | None:
        with self._lock:
            s = self._study(study_id)
            for tid in s.waiting:
                self.set_trial_state_values(tid, TrialState.RUNNING)
                return tid
            return None

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            s = self._study(study_id)
            if states is None:
                return len(s.trial_ids)
            return sum(1 for tid in s.trial_ids if self._trials[tid].state in states)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        with self._lock:
            s = self._study(study_id)
            if not 0 <= trial_number < len(s.trial_ids):
                raise KeyError(f"No trial number {trial_number} in study {study_id}.")
            return s.trial_ids[trial_number]

    def get_trial_number_from_id(self, trial_id: int) -> int:
        with self._lock:
            return self._trial(trial_id).number
