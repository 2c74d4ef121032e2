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


def _states(include_pruned: bool) -> tuple[TrialState, ...]:
    return (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)


def intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, BaseDistribution]:
    """The parameters every finished trial has with the same distribution, sorted by name.

    Only COMPLETE trials count (and PRUNED ones with ``include_pruned``); a parameter whose
    distribution changed between trials (a dynamic range) is left out.

    Example:
        >>> from hyperdial.distributions import FloatDistribution, IntDistribution
        >>> from hyperdial.trial import create_trial
        >>> a = create_trial(params={"x": 0.5, "n": 1}, value=0.0, distributions={
        ...     "x": FloatDistribution(0, 1), "n": IntDistribution(0, 3)})
        >>> b = create_trial(params={"x": 0.2}, value=1.0,
        ...                  distributions={"x": FloatDistribution(0, 1)})
        >>> intersection_search_space([a, b])
        {'x': FloatDistribution(low=0.0, high=1.0, log=False, step=None)}
    """
    states = _states(include_pruned)
    space: dict[str, BaseDistribution] | None = None
    for t in trials:
        if t.state in states:
            space = _intersect(space, t)
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """Incrementally maintained intersection over a study's finished trials.

    What :func:`intersection_search_space` returns for the study's trials. Only trials changed
    since the last call are read (``get_trials_changed_since``), so the cost per trial does not
    grow with the study. Given another study, the object starts over for that one.

    Args:
        include_pruned: Count PRUNED trials as well as COMPLETE ones.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._states = _states(include_pruned)
        self._mark = 0
        self._space: dict[str, BaseDistribution] | None = None
        self._study_key: tuple[int, int] | None = None

    def calculate(self, study: Study, use_cache: bool = False) -> dict[str, BaseDistribution]:
        """The intersection over the study's finished trials, sorted by name.

        ``use_cache`` is accepted for compatibility with Optuna; the result is always
        maintained incrementally.
        """
        key = (id(study._storage), study._study_id)
        if key != self._study_key:
            self._study_key, self._mark, self._space = key, 0, None
        changed, self._mark = study._storage.get_trials_changed_since(study._study_id, self._mark)
        for t in changed:
            if t.state in self._states:
                self._space = _intersect(self._space, t)
        return dict(sorted((self._space or {}).items()))
