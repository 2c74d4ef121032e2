"""Callbacks for ``Study.optimize``."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["MaxTrialsCallback"]


class MaxTrialsCallback:
    """Stops the study once it has ``n_trials`` trials in ``states``.

    Unlike ``optimize(n_trials=...)``, which counts the trials of one call, this counts every
    trial the storage holds, so several workers (threads, processes, machines) sharing one study
    stop together at a total.

    Args:
        n_trials: The number of trials at which to stop.
        states: The states to count (default: COMPLETE only); None counts every trial.

    Example:
        >>> import hyperdial
        >>> from hyperdial.study import MaxTrialsCallback
        >>> study = hyperdial.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100,
        ...                callbacks=[MaxTrialsCallback(10)])
        >>> len(study.trials)
        10
    """

    def __init__(
        self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)
    ) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, int):
            raise TypeError(f"`n_trials` must be an int, got {n_trials!r}.")
        self._n_trials = n_trials
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if study._storage.get_n_trials(study._study_id, states=self._states) >= self._n_trials:
            study.stop()
