"""The storage interface: every piece of study and trial state lives behind it.

A :class:`hyperdial.Study` keeps nothing of its own; many studies, threads, processes or
machines may share one storage. Every operation below is one a SQL database can make atomic:

* ``create_new_trial`` allocates the next trial number of a study (0, 1, 2, … with no gaps
  and no duplicates, whatever the concurrency);
* ``set_trial_state_values`` is a compare-and-set: a finished trial never changes again, and
  WAITING → RUNNING succeeds for exactly one caller (so ``pop_waiting_trial`` hands each enqueued
  trial to one worker only);
* ``claim`` is an insert-if-absent on a per-study key, used for work that must be done once
  (grid points, shared sampler settings);
* ``get_trials_changed_since`` returns only what changed after a mark, so samplers can keep
  incremental state instead of re-reading a long history every trial.

Parameters are passed to storages in their *internal* float form with their distribution;
storages return :class:`~hyperdial.trial.FrozenTrial` records with external values.
"""

from __future__ import annotations

import abc
from collections.abc import Container, Sequence
from typing import Any, NamedTuple

from hyperdial._direction import StudyDirection
from hyperdial._transient import Transient
from hyperdial.distributions import BaseDistribution
from hyperdial.exceptions import UpdateFinishedTrialError
from hyperdial.trial._checks import check_storable_name
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

__all__ = ["BaseStorage", "StudyInfo", "check_study_name"]


#: The longest study name: the SQL storages' column holds this many characters.
MAX_STUDY_NAME = 512


def check_study_name(study_name: Any) -> str | None:
    """``study_name`` if it is None or a name every storage can keep; else TypeError (not a
    str) or ValueError (longer than :data:`MAX_STUDY_NAME` characters, or holding a lone
    surrogate or NUL, which no database can store)."""
    if study_name is None:
        return None
    if not isinstance(study_name, str):
        raise TypeError(f"A study name must be a str, got {study_name!r}.")
    if len(study_name) > MAX_STUDY_NAME:
        raise ValueError(
            f"Study name {study_name[:20]!r}... cannot be stored: it has {len(study_name)} "
            f"characters, more than the {MAX_STUDY_NAME} every storage can keep."
        )
    check_storable_name("Study name", study_name)
    return study_name


class StudyInfo(NamedTuple):
    """A study as ``BaseStorage.get_all_studies`` lists it."""

    study_id: int
    study_name: str
    directions: tuple[StudyDirection, ...]


class BaseStorage(Transient, abc.ABC):
    """The contract every storage fulfils (checked by ``hyperdial.testing.StorageContract``).

    Unknown ids raise ``KeyError``; writes to a finished trial raise
    :class:`~hyperdial.exceptions.UpdateFinishedTrialError`. Every method is safe to call from
    several threads at once. A storage pickles and deep-copies: an in-memory one as an
    independent copy of its studies, one backed by a database or a file as a new connection
    to the same data. Attributes of one process (locks, connections, threads) are named in
    ``_transient`` or left out by the storage's own ``__getstate__``.
    """

    # -- studies ------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """Creates a study and returns its id.

        A name is generated when ``study_name`` is None.

        Raises:
            DuplicatedStudyError: a study with that name exists.
        """

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Deletes a study with all its trials and claims."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Raises ``KeyError`` when there is no such study."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str: ...

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]: ...

    @abc.abstractmethod
    def get_all_studies(self) -> list[StudyInfo]: ...

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def claim(self, study_id: int, key: str, value: str) -> str:
        """Atomically stores ``value`` under ``key`` unless the key is taken.

        Returns the value that holds after the call: ``value`` itself when this caller won,
        otherwise the earlier holder's. Claims are permanent for the life of the study.
        """

    @abc.abstractmethod
    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        """All claims of a study whose key starts with ``prefix``."""

    # -- trials -------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Creates a trial with the next free number and returns its id.

        Without a template the trial is RUNNING and starts now. A template gives the state
        (WAITING for enqueued trials, any state for ``Study.add_trial``), params, values,
        attributes, intermediate values and timestamps; its number and id are ignored.
        """

    @abc.abstractmethod
    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """Records a parameter of an unfinished trial.

        Raises:
            ValueError: the study already uses ``param_name`` with an incompatible distribution
                (see ``check_distribution_compatibility``), or the trial already has this
                parameter.
        """

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Compare-and-set of a trial's state.

        * to RUNNING: succeeds (returns True) only if the trial is WAITING; returns False if it
          is already RUNNING (another worker took it).
        * to a finished state: records ``values`` and the completion time.

        Raises:
            UpdateFinishedTrialError: the trial is already finished.
            ValueError: the transition is not allowed (e.g. back to WAITING).
        """

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None: ...

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """A snapshot of the trial; later writes do not change it."""

    @abc.abstractmethod
    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """Trials of a study ordered by number, optionally only those in ``states``.

        With ``deepcopy=False`` the records may be shared with the storage's cache: callers
        must not modify them.
        """

    @abc.abstractmethod
    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        """Trials created or changed after ``mark``, and the mark to pass next time.

        ``mark=0`` returns every trial. The records are read-only snapshots (as with
        ``deepcopy=False``), ordered by number.
        """

    # -- derived operations (a storage may override them with something faster) -------------
    def pop_waiting_trial(self, study_id: int) -> int | None:
        """Moves one WAITING trial to RUNNING and returns its id; None when there is none.

        Each WAITING trial is handed out once, whatever the number of concurrent callers.
        """
        for t in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.WAITING,)):
            try:
                if self.set_trial_state_values(t._trial_id, TrialState.RUNNING):
                    return t._trial_id
            except UpdateFinishedTrialError:
                continue
        return None

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        for t in self.get_all_trials(study_id, deepcopy=False):
            if t.number == trial_number:
                return t._trial_id
        raise KeyError(f"No trial number {trial_number} in study {study_id}.")

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self.get_trial(trial_id).number

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raises ``UpdateFinishedTrialError`` when ``trial_state`` is a finished state."""
        if trial_state.is_finished():
            number = self.get_trial(trial_id).number
            raise UpdateFinishedTrialError(
                f"Trial {number} is already finished ({trial_state.name}) and cannot be changed."
            )

    def remove_session(self) -> None:
        """Releases connections held by this process (a no-op for in-memory storage)."""
