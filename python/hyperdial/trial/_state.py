from __future__ import annotations

import enum

__all__ = ["TrialState"]


class TrialState(enum.IntEnum):
    """Where a trial is in its life.

    ``WAITING`` (enqueued, not started) → ``RUNNING`` → one of the finished states
    ``COMPLETE``, ``PRUNED`` or ``FAIL``. A finished trial never changes again.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """True for COMPLETE, PRUNED and FAIL."""
        return self not in (TrialState.RUNNING, TrialState.WAITING)
