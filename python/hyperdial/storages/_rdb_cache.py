"""What an :class:`~hyperdial.storages.RDBStorage` remembers between calls, so that reads do
not go back to the database for what this process already knows.

:class:`TrialCache` holds four things, each safe to keep for the reason given:

* **each study's trials, synced by change number**: a copy of every trial by number and the
  ``change_seq`` mark it is synced to; :meth:`TrialCache.sync` fetches only the rows changed
  after the mark (the incremental change feed, ``WHERE change_seq > mark``), so
  ``get_all_trials`` costs the changes since the last call, not the study's history;
* **live records**: the trials this process created or started, kept up to date by the
  storage's own writes (one writer per running trial is how studies work), so ``get_trial``
  of a running trial needs no query; a finished record never changes again, so a few are kept
  for the reads that follow a tell and the rest dropped;
* **trial -> study**: a trial never changes study and ids are never reused;
* **each study's registered distributions**: ``hd_study_params`` rows are insert-once.

The storage owns one cache; the cache never talks to the database itself (the storage passes
the change-feed query to :meth:`TrialCache.sync`).
"""

from __future__ import annotations

import collections
import copy
import threading
from collections.abc import Callable
from typing import Any

from hyperdial.distributions import BaseDistribution
from hyperdial.trial._frozen import FrozenTrial

__all__ = ["TrialCache"]

#: Finished live records kept for the reads that follow a tell.
_FINISHED_KEPT = 64


class _StudyCache:
    """A process's copy of a study's trials, indexed by number, and the mark it is synced to."""

    __slots__ = ("mark", "seqs", "trials")

    def __init__(self) -> None:
        self.mark = 0
        self.trials: list[FrozenTrial | None] = []
        self.seqs: list[int] = []


class TrialCache:
    """This process's copies of trials and study facts for one storage (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, _StudyCache] = {}
        self._trial_study: dict[int, int] = {}
        self._study_dists: dict[int, dict[str, BaseDistribution]] = {}
        # Records of the trials this process created or started, with the change_seq they
        # were read at.
        self._live: dict[int, tuple[FrozenTrial, int]] = {}
        self._finished_live: collections.deque[int] = collections.deque()

    # -- trial -> study ---------------------------------------------------------------------
    def study_of(self, trial_id: int) -> int | None:
        return self._trial_study.get(trial_id)

    def set_study_of(self, trial_id: int, study_id: int) -> None:
        self._trial_study[trial_id] = study_id

    # -- distributions ------------------------------------------------------------------------
    def known_dists(self, study_id: int) -> dict[str, BaseDistribution]:
        """A copy of the study's distributions known to be registered."""
        with self._lock:
            return dict(self._study_dists.get(study_id, {}))

    def add_dists(self, study_id: int, dists: dict[str, BaseDistribution]) -> None:
        with self._lock:
            self._study_dists.setdefault(study_id, {}).update(dists)

    # -- live records -------------------------------------------------------------------------
    def live(self, trial_id: int) -> FrozenTrial | None:
        """A copy of the live record of the trial, None when this process holds none."""
        with self._lock:
            held = self._live.get(trial_id)
            return None if held is None else copy.deepcopy(held[0])

    def holds(self, trial_id: int) -> bool:
        with self._lock:
            return trial_id in self._live

    def put(self, rec: FrozenTrial, seq: int) -> None:
        """Keeps ``rec`` (read at change number ``seq``) unless a newer record is held."""
        with self._lock:
            held = self._live.get(rec._trial_id)
            if held is None or held[1] < seq:
                self._live[rec._trial_id] = (rec, seq)

    def apply(self, trial_id: int, seq: int, fn: Callable[[FrozenTrial], None]) -> None:
        """Applies the storage's own (idempotent) write to the trial's live record, if any."""
        with self._lock:
            held = self._live.get(trial_id)
            if held is not None:
                fn(held[0])
                self._live[trial_id] = (held[0], max(held[1], seq))
                if held[0].state.is_finished():
                    self._finished_live.append(trial_id)
                    while len(self._finished_live) > _FINISHED_KEPT:
                        self._live.pop(self._finished_live.popleft(), None)

    def drop(self, trial_id: int) -> None:
        with self._lock:
            self._live.pop(trial_id, None)

    # -- studies ------------------------------------------------------------------------------
    def forget_study(self, study_id: int) -> None:
        """Drops everything held about a deleted study."""
        with self._lock:
            self._studies.pop(study_id, None)
            self._study_dists.pop(study_id, None)
            for tid in [t for t, sid in self._trial_study.items() if sid == study_id]:
                self._live.pop(tid, None)

    def sync(
        self,
        study_id: int,
        changes: Callable[[int, int], tuple[list[Any], int]],
        to_trial: Callable[[Any], FrozenTrial | None],
    ) -> list[FrozenTrial]:
        """Every trial of the study by number, from the cache brought up to date.

        ``changes(study_id, mark)`` returns the rows with ``mark < change_seq <= new mark`` and
        the new mark; ``to_trial`` turns a row into a record, or None for a row to leave out.
        """
        with self._lock:
            cache = self._studies.get(study_id) or _StudyCache()
            mark = cache.mark
        rows, new_mark = changes(study_id, mark)
        with self._lock:
            cache = self._studies.setdefault(study_id, cache)
            for r in rows:
                n = int(r.number)
                if n >= len(cache.trials):
                    cache.trials.extend([None] * (n + 1 - len(cache.trials)))
                    cache.seqs.extend([-1] * (n + 1 - len(cache.seqs)))
                if r.change_seq > cache.seqs[n]:  # a concurrent reader may be ahead
                    cache.trials[n] = to_trial(r)
                    cache.seqs[n] = int(r.change_seq)
            cache.mark = max(cache.mark, new_mark)
            return [t for t in cache.trials if t is not None]
