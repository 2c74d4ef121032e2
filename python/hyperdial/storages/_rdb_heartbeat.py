"""Heartbeats of an :class:`~hyperdial.storages.RDBStorage`: proof that a RUNNING trial's
worker is alive, and the reaper that fails the trials of workers that stopped.

:class:`Heartbeat` is responsible for

* the set of RUNNING trials this process runs (the storage calls :meth:`Heartbeat.own` when it
  creates or starts one, :meth:`Heartbeat.disown` when it finishes one);
* recording a heartbeat (database clock, ``hd_trials.heartbeat_us``) for each of them;
* finding RUNNING trials of any process whose heartbeat is older than the grace period and
  failing them, with an optional retry: the failed trial's parameters enqueued again as a
  WAITING trial (see :meth:`Heartbeat.fail_stale_trials`);
* the background thread that does both every half interval, until the storage is collected.

Staleness is judged by the database clock, so workers with skewed clocks agree. The reaper
finds stale trials with the index ``hd_trials_state_heartbeat`` (see ``_rdb_schema``).
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from typing import Any

import sqlalchemy as sa

from hyperdial.storages import _rdb_schema as schema
from hyperdial.storages._heartbeat_args import check_heartbeat_args
from hyperdial.storages._rdb_cache import TrialCache
from hyperdial.storages._rdb_engine import Database
from hyperdial.storages._rdb_sql import Codec, bump, dumps, insert_trial, lock_study, update_trial
from hyperdial.storages._url import redact
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import (
    FAIL_REASON_KEY,
    FAILED_TRIAL_KEY,
    FIXED_PARAMS_KEY,
    RETRY_HISTORY_KEY,
)

__all__ = ["Heartbeat", "check_heartbeat_args"]

_T_ = schema.trials


class Heartbeat:
    """The heartbeats and the stale-trial reaper of one storage object.

    With ``interval=None`` heartbeats are off: nothing is recorded, nothing is reaped, no
    thread runs (:attr:`enabled` is False).

    Args:
        db: The storage's database.
        codec: The storage's row converter.
        cache: The storage's cache (a failed trial's live record is dropped from it).
        interval: Seconds between heartbeats, or None.
        grace: Seconds without a heartbeat after which a RUNNING trial is failed.
        max_retry: How many times a chain of failed trials is enqueued again.
        label: How log messages name the storage.
    """

    def __init__(
        self,
        db: Database,
        codec: Codec,
        cache: TrialCache,
        interval: float | None,
        grace: float | None,
        max_retry: int,
        label: str,
    ) -> None:
        self._db = db
        self._codec = codec
        self._cache = cache
        self.interval = interval
        self.grace = grace
        self.max_retry = max_retry
        self._label = label
        self._owned_lock = threading.Lock()
        self._owned: set[int] = set()  # RUNNING trials this process beats for
        # Held by the heartbeat thread while it works and by the storage's remove_session:
        # disposing the pool while a beat has a connection checked out would return that
        # connection to the old, disposed pool, where nothing closes it.
        self.lock = threading.Lock()
        self._lazy_owner: weakref.ref[object] | None = None

    @property
    def enabled(self) -> bool:
        return self.interval is not None

    def start(self, owner: object, *, lazily: bool = False) -> None:
        """Starts the background thread, which stops when ``owner`` is garbage-collected.

        ``lazily``: when this process first runs a trial (:meth:`own`), e.g. in a storage
        loaded from a pickle, which may only be read.
        """
        if self.interval is None:
            return
        if lazily:
            self._lazy_owner = weakref.ref(owner)
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_heartbeat_loop,
            args=(weakref.ref(owner), weakref.ref(self), stop, self.interval / 2),
            name="hyperdial-heartbeat",
            daemon=True,
        )
        thread.start()
        weakref.finalize(owner, stop.set)

    def beat_now(self) -> dict[str, Any]:
        """The column values that record a heartbeat in a write that starts a trial."""
        return {} if self.interval is None else {"heartbeat_us": self._db.now}

    def own(self, trial_id: int) -> None:
        if self.interval is not None:
            with self._owned_lock:
                self._owned.add(trial_id)
                lazy, self._lazy_owner = self._lazy_owner, None
            owner = None if lazy is None else lazy()
            if owner is not None:
                self.start(owner)

    def disown(self, trial_id: int) -> None:
        with self._owned_lock:
            self._owned.discard(trial_id)

    def beat(self) -> None:
        """Records a heartbeat (database clock) for every RUNNING trial this process runs."""
        with self._owned_lock:
            owned = sorted(self._owned)
        if not owned:
            return
        now = self._db.now

        def tx(conn: sa.Connection) -> None:
            conn.execute(
                sa.update(_T_)
                .where(_T_.c.trial_id.in_(owned), _T_.c.state == int(TrialState.RUNNING))
                .values(heartbeat_us=now)
            )

        self._db.tx(tx, write=True)

    def fail_stale_trials(self) -> list[int]:
        """Fails RUNNING trials of other processes whose heartbeat is older than the grace
        period; their ids. See ``RDBStorage.fail_stale_trials``."""
        if self.grace is None:
            return []
        grace_us = int(self.grace * 1e6)
        with self._owned_lock:
            owned = set(self._owned)
        now = self._db.now

        def find(conn: sa.Connection) -> list[tuple[int, int]]:
            rows = conn.execute(
                sa.select(_T_.c.trial_id, _T_.c.study_id).where(
                    _T_.c.state == int(TrialState.RUNNING),
                    _T_.c.heartbeat_us.is_not(None),
                    _T_.c.heartbeat_us < now - grace_us,
                )
            )
            return [(int(r.trial_id), int(r.study_id)) for r in rows]

        failed = []
        for trial_id, study_id in self._db.tx(find, write=False):
            if trial_id not in owned and self._fail_if_stale(trial_id, study_id, grace_us):
                failed.append(trial_id)
        return failed

    def _fail_if_stale(self, trial_id: int, study_id: int, grace_us: int) -> bool:
        now = self._db.now

        def tx(conn: sa.Connection) -> bool:
            try:
                study = lock_study(conn, study_id)
            except KeyError:  # the study was deleted meanwhile
                return False
            row = conn.execute(
                sa.select(_T_).where(
                    _T_.c.trial_id == trial_id,
                    _T_.c.state == int(TrialState.RUNNING),
                    _T_.c.heartbeat_us < now - grace_us,
                )
            ).one_or_none()
            if row is None:  # finished, or beat again, or failed by another process
                return False
            attrs = json.loads(row.system_attrs)
            attrs[FAIL_REASON_KEY] = (
                f"no heartbeat for more than {self.grace} s (the worker died or hung)"
            )
            update_trial(
                conn,
                row,
                bump(conn, study),
                state=int(TrialState.FAIL),
                complete_us=now,
                system_attrs=dumps(attrs),
            )
            conn.info.pop("hyperdial_new_row", None)
            history = [*attrs.get(RETRY_HISTORY_KEY, []), int(row.number)]
            if len(history) <= self.max_retry:
                failed = self._codec.to_trial(row)
                retry_attrs = {
                    FIXED_PARAMS_KEY: failed.params,
                    FAILED_TRIAL_KEY: int(row.number),
                    RETRY_HISTORY_KEY: history,
                }
                insert_trial(
                    conn,
                    lock_study(conn, study_id),
                    {
                        "state": int(TrialState.WAITING),
                        "values_json": None,
                        "params_json": "{}",
                        "user_attrs": row.user_attrs,
                        "system_attrs": dumps(retry_attrs),
                        "intermediate_json": "{}",
                        "start_us": None,
                        "complete_us": None,
                    },
                )
            return True

        failed = self._db.tx(tx, write=True)
        if failed:
            self._cache.drop(trial_id)
        return failed

    def __repr__(self) -> str:
        return self._label


def _heartbeat_loop(
    owner_ref: weakref.ref[object],
    ref: weakref.ref[Heartbeat],
    stop: threading.Event,
    tick: float,
) -> None:
    """Beats for this process's RUNNING trials and fails stale ones, until the storage goes.

    The storage is held while a tick works, so its finalizer (which disposes the connection
    pool) cannot run while a beat has a connection checked out.
    """
    logger = logging.getLogger("hyperdial")
    while not stop.wait(tick):
        owner, heartbeat = owner_ref(), ref()
        if owner is None or heartbeat is None:
            return
        try:
            with heartbeat.lock:
                heartbeat.beat()
                stale = heartbeat.fail_stale_trials()
            for tid in stale:
                logger.warning(f"Trial id {tid} failed: its worker stopped sending heartbeats.")
        except Exception as e:
            logger.warning(f"Heartbeat of {heartbeat!r} failed (will retry): {redact(repr(e))}")
        del owner, heartbeat
