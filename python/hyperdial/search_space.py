"""Search spaces inferred from a study's history, for samplers that sample jointly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hyperdial.distributions import BaseDistribution
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]


def _intersect(
    space: dict[str, BaseDistribution] | None, trial: FrozenTrial
) -> dict[str, BaseDistribution]:
    if space is None:
        return dict(trial.distributions)
    return {name: dist for name, dist in space.items() if trial.distributions.get(name) == dist}


def intersection_search_space(
    trials: Iterable[FrozenTrial],
) -> dict[str, BaseDistribution]:
    """Parameters that every given trial has, with the same distribution, sorted by name."""
    space: dict[str, BaseDistribution] | None = None
    for t in trials:
        space = _intersect(space, t)
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """Incrementally maintained intersection over a study's finished trials.

    Only trials changed since the last call are read (``get_trials_changed_since``), so the
    cost per trial does not grow with the study.

    Args:
        include_pruned: Count PRUNED trials as well as COMPLETE ones.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._states = (
            (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
        )
        self._mark = 0
        self._space: dict[str, BaseDistribution] | None = None
        self._study_key: tuple[int, int] | None = None

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        key = (id(study._storage), study._study_id)
        if key != self._study_key:
            self._study_key, self._mark, self._space = key, 0, None
        changed, self._mark = study._storage.get_trials_changed_since(study._study_id, self._mark)
        for t in changed:
            if t.state in self._states:
                self._space = _intersect(self._space, t)
        return dict(sorted((self._space or {}).items()))
