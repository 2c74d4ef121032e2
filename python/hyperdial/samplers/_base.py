"""The sampler protocol.

A sampler decides parameter values. For every trial, the study calls, in this order:

1. ``reserve(study)`` — only when a *new* trial is about to be created (not for an enqueued
   trial popped from the queue). A sampler that hands out finite work (grid points) claims
   one here and returns system attributes for the new trial, or raises
   :class:`~hyperdial.exceptions.StudyExhausted` so that no trial is created at all.
2. ``before_trial(study, trial)`` — the trial exists and is RUNNING.
3. ``infer_relative_search_space(study, trial)`` — the parameters the sampler wants to choose
   *jointly* (e.g. a GP over the parameters every finished trial has).
4. ``sample_relative(study, trial, search_space)`` — called lazily at the first suggestion;
   returns ``{name: external value}`` for (a subset of) that space.
5. ``sample_independent(study, trial, name, distribution)`` — for each suggested parameter
   that the relative step did not cover (new, conditional or dynamic parameters).
6. ``after_trial(study, trial, state, values)`` — the objective has returned; the trial's
   final state is about to be written.

Samplers read history through ``study._get_trials(...)`` or, for incremental state,
``study._storage.get_trials_changed_since``; they must not modify the records they get.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial._transient import Transient, transient_attrs
from hyperdial.distributions import BaseDistribution

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._state import TrialState

__all__ = ["BaseSampler"]


class BaseSampler(Transient, abc.ABC):
    """Base class of every sampler; see the module docstring for the call order.

    Samplers pickle and deep-copy (``hyperdial._transient``): settings, seed and the state
    kept per study travel; ``_lock`` and the attributes a subclass adds to ``_transient``
    (caches read again from storage) are made afresh. A copy proposes what the original
    would: the randomness of the built-in samplers depends only on the seed, the trial
    number and the parameter names.
    """

    _transient = transient_attrs(Transient, _lock=threading.Lock)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Parameters to sample jointly in ``sample_relative``; empty by default."""
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Joint values (external form) for ``search_space``; empty by default."""
        return {}

    @abc.abstractmethod
    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """One value (external form) of ``param_distribution`` for ``param_name``."""

    def reserve(self, study: Study) -> dict[str, Any] | None:
        """Runs before a new trial is created; returns system attributes for it.

        Raises:
            StudyExhausted: the sampler has nothing left to propose.
        """
        return None

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Runs when a trial starts, before any parameter is sampled."""

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Runs after the objective, before the trial's final state is stored."""

    def reseed_rng(self) -> None:
        """Draws a fresh random seed (e.g. in a forked worker)."""
