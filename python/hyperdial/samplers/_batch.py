"""Synchronous batches: the same trials whatever the number of threads, processes or machines.

A sampler with ``batch_size=B`` proposes trial ``t`` (batch ``b = t // B``, position
``k = t - b * B``) from the results of every trial numbered below ``b * B`` and from the
parameters, not the results, of trials ``b * B .. t - 1``. A worker that asks for a trial of
batch ``b`` first waits, polling the storage, until every trial of the earlier batches has
finished (COMPLETE, PRUNED or FAIL).

How: the proposals of batch ``b`` are a pure function of the finished trials below ``b * B``,
which every worker sees alike once they have all finished. Each worker replays the batch in a
private in-memory study (:class:`_Replay`): a copy of those trials and a fresh copy of the
sampler in ordinary (asynchronous) mode; it asks the replay's trials ``b * B, b * B + 1, ...``
in order and records their jointly sampled ("relative") parameters, which leaves them RUNNING
there, so each one is a pending point for the next (the GP's constant liar, TPE's
``constant_liar``). Trial ``t`` of the real study takes replay trial ``t``'s parameters;
a parameter outside the relative space is sampled by the replay's sampler for replay trial
``t``, with only the earlier trials of the batch as pending points. A sampler's own randomness
depends only on its seed, the trial number and the parameter names, so every worker replays
the same trials, however many there are and in whatever order they ask.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hyperdial._transient import Transient, transient_attrs
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.distributions import BaseDistribution
    from hyperdial.samplers._base import BaseSampler
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._trial import Trial

__all__ = ["BatchDriver", "check_batch_size"]

_UNFINISHED = (TrialState.RUNNING, TrialState.WAITING)
#: Polling of the storage while earlier batches run: the first wait and the longest one.
_POLL_FIRST = 0.01
_POLL_MAX = 0.5


def check_batch_size(batch_size: int | None) -> int | None:
    """``batch_size`` checked: None (asynchronous) or an int >= 1."""
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be None or an int >= 1, got {batch_size!r}.")
    return batch_size


class _Replay:
    """Batch ``batch`` of one study, replayed in a private in-memory study."""

    def __init__(self, batch: int, study: Study, sampler: BaseSampler) -> None:
        self.batch = batch
        self.study = study
        self.sampler = sampler
        self.trials: list[Trial] = []


class BatchDriver(Transient):
    """Answers a sampler's protocol calls in batch mode (see the module docstring).

    Pickled and deep-copied without its replays: a replay is a pure function of the finished
    trials, made again when it is next needed.

    Args:
        batch_size: Trials per batch.
        make_sampler: A fresh copy of the sampler in asynchronous mode, same seed and settings
            (picklable, e.g. a ``functools.partial`` of the class, for the sampler to pickle).
        before_only: Called on each replay sampler: make RUNNING trials numbered after the
            trial being sampled no pending points (they are later trials of the batch).
    """

    _transient = transient_attrs(Transient, _lock=threading.Lock, _replays=dict)

    def __init__(
        self,
        batch_size: int,
        make_sampler: Callable[[], BaseSampler],
        before_only: Callable[[BaseSampler], None],
    ) -> None:
        self.batch_size = batch_size
        self._make = make_sampler
        self._before_only = before_only
        self._lock = threading.Lock()
        self._replays: dict[tuple[int, int], _Replay] = {}

    # -- the protocol ------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        replay_trial = self._replayed(study, trial.number)
        return dict(replay_trial.relative_search_space)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        replay_trial = self._replayed(study, trial.number)
        params = replay_trial._cached.params
        return {name: params[name] for name in search_space if name in params}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, dist: BaseDistribution
    ) -> Any:
        replay_trial = self._replayed(study, trial.number)
        with self._lock:
            replay = self._replays[_key(study)]
            frozen = replay.study._storage.get_trial(replay_trial._trial_id)
            return replay.sampler.sample_independent(replay.study, frozen, name, dist)

    # -- the replay --------------------------------------------------------------------------
    def _replayed(self, study: Study, number: int) -> Trial:
        """Replay trial ``number`` of ``study`` (its batch replayed up to it)."""
        batch, k = divmod(number, self.batch_size)
        key = _key(study)
        with self._lock:
            replay = self._replays.get(key)
            if replay is not None and replay.batch == batch and k < len(replay.trials):
                return replay.trials[k]
        first = batch * self.batch_size
        finished = _wait_for(study, first) if replay is None or replay.batch != batch else None
        with self._lock:
            replay = self._replays.get(key)
            if replay is None or replay.batch != batch:
                assert finished is not None
                replay = self._replays[key] = self._new_replay(study, batch, finished)
            while len(replay.trials) <= k:
                trial = replay.study.ask()
                for name, dist in sorted(trial.relative_search_space.items()):
                    trial._suggest(name, dist)
                replay.trials.append(trial)
            return replay.trials[k]

    def _new_replay(self, study: Study, batch: int, finished: Sequence[FrozenTrial]) -> _Replay:
        from hyperdial.study._study import create_study

        sampler = self._make()
        self._before_only(sampler)
        replay = create_study(directions=list(study.directions), sampler=sampler)
        replay.add_trials(finished)
        numbers = [t.number for t in replay._get_trials(deepcopy=False)]
        if numbers != list(range(batch * self.batch_size)):
            raise RuntimeError(
                f"batch {batch}: the study's trials below {batch * self.batch_size} are not "
                "numbered 0, 1, ... (were trials added out of order?)"
            )
        return _Replay(batch, replay, sampler)


def _key(study: Study) -> tuple[int, int]:
    return (id(study._storage), study._study_id)


def _wait_for(study: Study, first: int) -> list[FrozenTrial]:
    """Waits until every trial numbered below ``first`` has finished; returns them in order."""
    storage, study_id = study._storage, study._study_id
    pause = _POLL_FIRST
    while True:
        unfinished = storage.get_all_trials(study_id, deepcopy=False, states=_UNFINISHED)
        if not any(t.number < first for t in unfinished):
            break
        time.sleep(pause)
        pause = min(_POLL_MAX, pause * 1.5)
    trials = storage.get_all_trials(study_id, deepcopy=False)
    return sorted((t for t in trials if t.number < first), key=lambda t: t.number)
