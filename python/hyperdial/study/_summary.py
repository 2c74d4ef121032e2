"""``get_all_study_summaries``: what a storage holds, one summary per study."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial._direction import StudyDirection
from hyperdial.storages import get_storage
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import StorageArg
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["StudySummary", "get_all_study_summaries"]


class StudySummary:
    """A study's attributes and aggregated results, as :func:`get_all_study_summaries` lists.

    Attributes:
        study_name: The study's name.
        direction: The direction of a single-objective study (RuntimeError otherwise).
        directions: One direction per objective.
        best_trial: The best feasible COMPLETE trial of a single-objective study (ties to the
            earliest), None for several objectives, no completed trial, or when not asked for.
        user_attrs / system_attrs: The study's attributes.
        n_trials: Trials in the study, in any state.
        datetime_start: The earliest start of its trials, or None.
        study_id: The study's id in its storage.
    """

    def __init__(
        self,
        study_name: str,
        direction: StudyDirection | None,
        best_trial: FrozenTrial | None,
        user_attrs: dict[str, Any],
        n_trials: int,
        datetime_start: datetime.datetime | None,
        study_id: int,
        *,
        directions: Sequence[StudyDirection] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        if (direction is None) == (directions is None):
            raise ValueError("Give `direction` or `directions`, exactly one of them.")
        self.study_name = study_name
        self._directions = [direction] if direction is not None else list(directions or [])
        self.best_trial = best_trial
        self.user_attrs = user_attrs
        self.system_attrs = dict(system_attrs or {})
        self.n_trials = n_trials
        self.datetime_start = datetime_start
        self._study_id = study_id

    @property
    def study_id(self) -> int:
        return self._study_id

    @property
    def direction(self) -> StudyDirection:
        if len(self._directions) > 1:
            raise RuntimeError(
                "This study has several objectives; use `directions` instead of `direction`."
            )
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StudySummary):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __lt__(self, other: StudySummary) -> bool:
        return self._study_id < other._study_id

    def __le__(self, other: StudySummary) -> bool:
        return self._study_id <= other._study_id

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"StudySummary(study_name={self.study_name!r}, directions={self._directions}, "
            f"n_trials={self.n_trials}, study_id={self._study_id})"
        )


def _best(trials: list[FrozenTrial], direction: StudyDirection) -> FrozenTrial | None:
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
    best: FrozenTrial | None = None
    best_key = 0.0
    for t in trials:  # in number order, so a tie keeps the earlier trial
        if t.state != TrialState.COMPLETE or not t.is_feasible():
            continue
        assert t.values is not None
        if best is None or sign * t.values[0] < best_key:
            best, best_key = t, sign * t.values[0]
    return best


def get_all_study_summaries(
    storage: StorageArg, include_best_trial: bool = True
) -> list[StudySummary]:
    """One :class:`StudySummary` per study in ``storage``.

    Args:
        storage: A storage object or URL.
        include_best_trial: Find each single-objective study's best trial (reads every trial).

    Example:
        >>> import hyperdial
        >>> from hyperdial.storages import InMemoryStorage
        >>> storage = InMemoryStorage()
        >>> study = hyperdial.create_study(study_name="demo", storage=storage)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> [(s.study_name, s.n_trials) for s in hyperdial.get_all_study_summaries(storage)]
        [('demo', 3)]
    """
    storage_obj = get_storage(storage)
    summaries = []
    for info in storage_obj.get_all_studies():
        trials = storage_obj.get_all_trials(info.study_id, deepcopy=False)
        single = len(info.directions) == 1
        best = _best(trials, info.directions[0]) if single and include_best_trial else None
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        summaries.append(
            StudySummary(
                study_name=info.study_name,
                direction=info.directions[0] if single else None,
                directions=None if single else info.directions,
                best_trial=None if best is None else storage_obj.get_trial(best.trial_id),
                user_attrs=storage_obj.get_study_user_attrs(info.study_id),
                system_attrs=storage_obj.get_study_system_attrs(info.study_id),
                n_trials=len(trials),
                datetime_start=min(starts, default=None),
                study_id=info.study_id,
            )
        )
    return summaries
