"""A read-only view of another storage whose trials are shown through a function.

:class:`TrialView` is how a sampler hands a *model* sampler a different picture of the same
study without copying it: every trial the inner storage returns (``get_trial``,
``get_all_trials``, ``get_trials_changed_since``) passes through ``show`` first, so a model
that follows the change feed incrementally keeps doing so through the view. Writes that would
change the study (new studies or trials, parameters, states, intermediate values) are refused;
attributes and claims are the model sampler's own business and pass through to the inner
storage, as do all other reads.

:class:`~hyperdial.samplers.BOHBSampler` uses it to show its base sampler each trial's result
at one budget (``show`` is ``samplers._bohb.result_at_budget``).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import TYPE_CHECKING, Any

from hyperdial.storages._base import BaseStorage, StudyInfo

if TYPE_CHECKING:
    from hyperdial._direction import StudyDirection
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._state import TrialState

__all__ = ["TrialView"]


class TrialView(BaseStorage):
    """``inner``'s studies, with every trial record passed through ``show``.

    Args:
        inner: The storage viewed.
        show: Maps a record to the one the view shows: the record itself, or a modified copy
            (it must never modify its argument, which may be shared with ``inner``'s cache).
        what: How the refusal of a write names the view.
    """

    def __init__(
        self,
        inner: BaseStorage,
        show: Callable[[FrozenTrial], FrozenTrial],
        what: str = "A view of a study",
    ) -> None:
        self.inner = inner
        self.show = show
        self._what = what

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self._what} is read-only for samplers.")

    create_new_study = delete_study = _read_only
    create_new_trial = set_trial_param = set_trial_state_values = _read_only
    set_trial_intermediate_value = _read_only

    # attributes and claims are the sampler's own business: pass them through
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self.inner.set_study_user_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self.inner.set_study_system_attr(study_id, key, value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.inner.set_trial_user_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self.inner.set_trial_system_attr(trial_id, key, value)

    def claim(self, study_id: int, key: str, value: str) -> str:
        return self.inner.claim(study_id, key, value)

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        return self.inner.get_claims(study_id, prefix)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self.inner.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self.inner.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self.inner.get_study_directions(study_id)

    def get_all_studies(self) -> list[StudyInfo]:
        return self.inner.get_all_studies()

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self.inner.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self.inner.get_study_system_attrs(study_id)

    # trial records: through ``show``
    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self.show(self.inner.get_trial(trial_id))

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        shown = [self.show(t) for t in self.inner.get_all_trials(study_id, deepcopy=deepcopy)]
        return shown if states is None else [t for t in shown if t.state in states]

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        changed, new_mark = self.inner.get_trials_changed_since(study_id, mark)
        return [self.show(t) for t in changed], new_mark

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self.inner.get_trial_id_from_study_id_trial_number(study_id, trial_number)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self.inner.get_trial_number_from_id(trial_id)
