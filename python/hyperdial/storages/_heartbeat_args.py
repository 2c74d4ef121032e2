"""The heartbeat arguments every storage with heartbeats takes, checked in one place.

``RDBStorage`` and ``JournalStorage`` take the same ``heartbeat_interval``, ``grace_period`` and
``max_retry``; this module has no database dependency, so the journal need not import
SQLAlchemy to check them.
"""

from __future__ import annotations

import math

__all__ = ["MIN_HEARTBEAT_INTERVAL", "check_heartbeat_args"]

# The shortest heartbeat interval accepted. A beat is a write to the storage from a
# background thread; with a grace period of a fraction of a second, a live worker that is merely
# paused by the scheduler, a garbage collection or a held GIL looks dead to the reaper.
MIN_HEARTBEAT_INTERVAL = 0.1


def check_heartbeat_args(
    heartbeat_interval: float | None, grace_period: float | None, max_retry: int
) -> float | None:
    """Validates a storage's heartbeat arguments; the grace period to use (its default is
    ``1.5 * heartbeat_interval``, so a dead worker's trial is failed within about two
    intervals: the thread checks every half interval)."""
    if heartbeat_interval is not None and not (
        MIN_HEARTBEAT_INTERVAL <= heartbeat_interval < math.inf
    ):
        raise ValueError(
            f"`heartbeat_interval` must be None or a number of seconds >= "
            f"{MIN_HEARTBEAT_INTERVAL} (shorter beats make live workers look dead), got "
            f"{heartbeat_interval}."
        )
    if grace_period is not None and heartbeat_interval is None:
        raise ValueError("`grace_period` needs `heartbeat_interval`.")
    if heartbeat_interval is not None and grace_period is None:
        grace_period = 1.5 * heartbeat_interval
    if (
        grace_period is not None
        and heartbeat_interval is not None
        and not heartbeat_interval <= grace_period < math.inf
    ):
        raise ValueError(
            f"`grace_period` must be >= heartbeat_interval ({heartbeat_interval}), "
            f"got {grace_period}."
        )
    if max_retry < 0 or (max_retry > 0 and heartbeat_interval is None):
        raise ValueError(
            f"`max_retry` must be >= 0 and needs `heartbeat_interval`, got {max_retry}."
        )
    return grace_period
