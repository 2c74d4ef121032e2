"""A storage in a SQL database (SQLite or PostgreSQL) through SQLAlchemy 2 Core.

How each atomic operation of the contract is made atomic:

* every write is one transaction that first locks the study's row (``SELECT … FOR UPDATE`` on
  PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` takes the database's single write lock), so writes
  to one study are serialised and never deadlock (one study row per transaction, locked first);
* a new trial takes ``hd_studies.next_number`` and increments it in that transaction; the
  ``UNIQUE (study_id, number)`` constraint backs the invariant;
* state compare-and-set and the WAITING pop read the trial's state after the lock;
* each write stores the study's incremented ``change_seq`` on the trial it changed, so
  ``get_trials_changed_since(mark)`` is ``WHERE change_seq > mark``.

Transient errors (SQLite "database is locked", PostgreSQL serialization failures and deadlocks,
dropped connections) re-run the whole transaction after a jittered exponential backoff.

This module imports SQLAlchemy; ``hyperdial.storages`` imports it only when an ``RDBStorage`` is
made.
"""

from __future__ import annotations

import collections
import copy
import datetime
import json
import math
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Container, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from hyperdial.exceptions import (
    DuplicatedStudyError,
    StorageInternalError,
    UpdateFinishedTrialError,
)
from hyperdial.storages import _rdb_schema as schema
from hyperdial.storages._base import BaseStorage, StudyInfo
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

__all__ = ["RDBStorage", "upgrade"]

_T = TypeVar("_T")

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_US = datetime.timedelta(microseconds=1)
_S, _T_, _P, _C = schema.studies, schema.trials, schema.study_params, schema.claims
# Advisory-lock key that serialises schema creation on PostgreSQL ("hyperdial" in ASCII, cut).
_PG_SCHEMA_LOCK = 0x6879706572
_TRANSIENT_PG_CODES = {"40001", "40P01", "55P03"}


def _to_us(dt: datetime.datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return (dt - _EPOCH) // _US


def _from_us(us: int | None) -> datetime.datetime | None:
    return None if us is None else _EPOCH + datetime.timedelta(microseconds=us)


def _dumps(value: Any) -> str:
    return json.dumps(value)


def _is_transient(e: exc.DBAPIError) -> bool:
    if e.connection_invalidated:
        return True
    orig = e.orig
    if getattr(orig, "sqlstate", None) in _TRANSIENT_PG_CODES:
        return True
    msg = str(orig).lower()
    return isinstance(e, exc.OperationalError) and (
        "database is locked" in msg
        or "database table is locked" in msg
        or "database schema is locked" in msg
        or "database schema has changed" in msg
    )


class RDBStorage(BaseStorage):
    """Studies in a SQL database, shared by threads, processes and machines.

    Args:
        url: A SQLAlchemy URL: ``"sqlite:///path/to/study.db"`` (no server; one machine, any
            number of processes) or ``"postgresql+psycopg://user:pass@host/db"`` (many
            machines; needs ``pip install "hyperdial[postgresql]"``).
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine`` (e.g. ``pool_size``).
            No ``pool_pre_ping`` by default: a connection the server dropped fails its
            transaction, which is then re-run on a fresh connection (one round trip less per
            transaction than pinging first).
        busy_timeout: Seconds a SQLite connection waits for the write lock before it reports
            "database is locked" (after which the transaction is retried anyway).
        max_retries: How many times a transaction that hit a transient error (a lock, a
            deadlock, a dropped connection) is re-run before the error is raised.
        heartbeat_interval: Seconds between heartbeats. When set, a background thread of this
            storage records a heartbeat (database clock) for every RUNNING trial this process
            runs, and fails RUNNING trials of any process whose heartbeat is older than
            ``grace_period`` (see :meth:`fail_stale_trials`). None: no heartbeats.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is failed;
            default ``1.5 * heartbeat_interval``, so a dead worker's trial is failed within
            about ``2 * heartbeat_interval`` (the thread checks every half interval).
        max_retry: Enqueue a failed stale trial's parameters again, at most this many times.

    SQLite databases are opened in WAL mode with ``synchronous=NORMAL``: a crash of the
    process or of the machine never corrupts the file, a power loss may lose the last commits.
    Timestamps come from the database server's clock (UTC), so workers with skewed clocks agree.

    Raises:
        SchemaVersionError: the database was written by an older schema (run
            :func:`hyperdial.storages.upgrade`) or by a newer hyperdial (upgrade hyperdial).

    Example:
        >>> import hyperdial, tempfile, os
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "demo.db")
        >>> study = hyperdial.create_study(storage=url, study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(hyperdial.load_study(study_name="demo", storage=url).trials)
        3
    """

    def __init__(
        self,
        url: str,
        *,
        engine_kwargs: dict[str, Any] | None = None,
        busy_timeout: float = 60.0,
        max_retries: int = 20,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        max_retry: int = 0,
    ) -> None:
        if not isinstance(url, str) or not url:
            raise ValueError(f"`url` must be a database URL string, got {url!r}.")
        if busy_timeout < 0 or not math.isfinite(busy_timeout):
            raise ValueError(f"`busy_timeout` must be a finite number >= 0, got {busy_timeout}.")
        if max_retries < 0:
            raise ValueError(f"`max_retries` must be >= 0, got {max_retries}.")
        if heartbeat_interval is not None and not (0 < heartbeat_interval < math.inf):
            raise ValueError(
                f"`heartbeat_interval` must be None or a number of seconds > 0, got "
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
        self.url = url
        self._engine_kwargs = dict(engine_kwargs or {})
        self._busy_timeout = float(busy_timeout)
        self._max_retries = int(max_retries)
        self._heartbeat = None if heartbeat_interval is None else float(heartbeat_interval)
        self._grace = None if grace_period is None else float(grace_period)
        self._max_retry = int(max_retry)
        self._setup()

    # -- engine ---------------------------------------------------------------------------------
    def _setup(self) -> None:
        url = make_url(self.url)
        self._dialect = url.get_backend_name()
        if self._dialect not in ("sqlite", "postgresql"):
            raise ValueError(
                f"url={self.url!r}: RDBStorage supports sqlite:/// and postgresql+psycopg:// URLs."
            )
        kwargs = dict(self._engine_kwargs)
        self._memory = self._dialect == "sqlite" and url.database in (None, "", ":memory:")
        if self._dialect == "sqlite":
            connect_args = {"timeout": self._busy_timeout, "check_same_thread": False}
            connect_args.update(kwargs.pop("connect_args", {}))
            kwargs["connect_args"] = connect_args
            if self._memory:
                kwargs.setdefault("poolclass", StaticPool)
        else:
            # Single statements run in autocommit (one round trip, no BEGIN/COMMIT); a
            # transaction of several statements sends its own BEGIN (see ``_install_hooks``).
            kwargs.setdefault("isolation_level", "AUTOCOMMIT")
        self._engine = sa.create_engine(url, **kwargs)
        # A storage made from a URL string is owned by its Study: close its connections when it
        # is garbage-collected, not when the interpreter happens to collect them.
        weakref.finalize(self, self._engine.dispose)
        self._install_hooks(self._engine)
        self._now = schema.now_us(self._dialect)
        self._now_sql = str(self._now)
        self._sql = _Statements(self._dialect, self._now_sql)
        self._pid = os.getpid()
        # SQLite has one writer at a time; making this process's threads queue here instead of
        # in SQLite's busy loop (which sleeps in steps) keeps them fast and fair. An in-memory
        # database has one shared connection, so every transaction takes the lock.
        self._write_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[int, _StudyCache] = {}
        self._dists: dict[str, BaseDistribution] = {}
        self._trial_study: dict[int, int] = {}
        # Distributions registered in each study (insert-once rows, so safe to keep).
        self._study_dists: dict[int, dict[str, BaseDistribution]] = {}
        # Records of the trials this process created or started, kept up to date by this
        # storage's own writes (see ``get_trial``); with the change_seq they were read at.
        self._live: dict[int, tuple[FrozenTrial, int]] = {}
        self._finished_live: collections.deque[int] = collections.deque()
        self._check_schema()
        self._owned: set[int] = set()  # RUNNING trials this process beats for
        # Held by the heartbeat thread while it works and by remove_session: disposing the pool
        # while a beat has a connection checked out would return that connection to the old,
        # disposed pool, where nothing closes it.
        self._bg_lock = threading.Lock()
        if self._heartbeat is not None:
            stop = threading.Event()
            thread = threading.Thread(
                target=_heartbeat_loop,
                args=(weakref.ref(self), stop, self._heartbeat / 2),
                name="hyperdial-heartbeat",
                daemon=True,
            )
            thread.start()
            weakref.finalize(self, stop.set)

    def _install_hooks(self, engine: sa.Engine) -> None:
        sqlite = self._dialect == "sqlite"
        busy_ms = int(self._busy_timeout * 1000)
        memory = self._memory

        if sqlite:

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                # We emit BEGIN ourselves (pysqlite's own transaction handling is
                # deferred-only); statements outside a BEGIN autocommit.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                if not memory:
                    cur.execute("PRAGMA journal_mode = WAL")
                    cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # ``_tx`` sets ``hyperdial_begin`` for a transaction of several statements; without
            # it (single statements, or SQLAlchemy's autobegin) the driver is in autocommit.
            mode = conn.get_execution_options().get("hyperdial_begin")
            if mode is not None:
                conn.exec_driver_sql(f"BEGIN {mode}" if sqlite else "BEGIN")

    @property
    def engine(self) -> sa.Engine:
        if os.getpid() != self._pid:  # forked: the parent's connections are not ours
            self._engine.dispose(close=False)
            self._pid = os.getpid()
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "engine_kwargs": self._engine_kwargs,
            "busy_timeout": self._busy_timeout,
            "max_retries": self._max_retries,
            "heartbeat": (self._heartbeat, self._grace, self._max_retry),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.url = state["url"]
        self._engine_kwargs = state["engine_kwargs"]
        self._busy_timeout = state["busy_timeout"]
        self._max_retries = state["max_retries"]
        self._heartbeat, self._grace, self._max_retry = state["heartbeat"]
        self._setup()

    def remove_session(self) -> None:
        """Closes this process's pooled connections (they reopen on the next call).

        Call it when no other thread of yours is using this storage: a connection another
        thread has checked out is not closed by it (the heartbeat thread is waited for).
        """
        with self._bg_lock:
            self.engine.dispose()

    def __repr__(self) -> str:
        return f"RDBStorage({make_url(self.url).render_as_string(hide_password=True)!r})"

    # -- transactions ---------------------------------------------------------------------------
    def _tx(self, fn: Callable[[sa.Connection], _T], *, write: bool, atomic: bool = True) -> _T:
        """Runs ``fn`` in one transaction, re-running it after transient errors.

        ``atomic=False`` is for ``fn`` that run a single statement: it then runs in autocommit,
        without the round trips of BEGIN and COMMIT (a statement is atomic by itself).
        """
        serialise = self._dialect == "sqlite" and (write or self._memory)
        sqlite_write = write and self._dialect == "sqlite"
        begin = ("IMMEDIATE" if sqlite_write else "DEFERRED") if atomic else None
        attempt = 0
        while True:
            try:
                if serialise:
                    self._write_lock.acquire()
                try:
                    with self.engine.connect() as conn:
                        if begin is None:
                            out = fn(conn)
                            conn.commit()  # no-op in autocommit; ends SQLAlchemy's autobegin
                            return out
                        conn.execution_options(hyperdial_begin=begin)
                        with conn.begin():
                            return fn(conn)
                finally:
                    if serialise:
                        self._write_lock.release()
            except exc.DBAPIError as e:
                if not _is_transient(e):
                    raise
                if attempt >= self._max_retries:
                    raise StorageInternalError(
                        f"{self!r}: gave up after {attempt + 1} attempts: {e.orig!r}"
                    ) from e
                time.sleep(random.uniform(0.0, min(2.0, 0.01 * 2**attempt)))
                attempt += 1

    def _check_schema(self) -> None:
        def read(conn: sa.Connection) -> int | None:
            if not sa.inspect(conn).has_table(schema.schema_version.name):
                return None
            return conn.execute(sa.select(schema.schema_version.c.version)).scalar()

        version = self._tx(read, write=False)
        if version is None:
            version = self._tx(self._create_schema, write=True)
        _check_version(version, self.url)

    def _create_schema(self, conn: sa.Connection) -> int:
        if self._dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
        if sa.inspect(conn).has_table(schema.schema_version.name):  # another process won
            return int(conn.execute(sa.select(schema.schema_version.c.version)).scalar_one())
        schema.metadata.create_all(conn)
        conn.execute(sa.insert(schema.schema_version).values(id=1, version=schema.SCHEMA_VERSION))
        return schema.SCHEMA_VERSION

    # -- row <-> record -------------------------------------------------------------------------
    def _dist(self, text: str) -> BaseDistribution:
        d = self._dists.get(text)
        if d is None:
            d = self._dists[text] = json_to_distribution(text)
        return d

    def _to_trial(self, row: sa.Row[Any]) -> FrozenTrial:
        params: dict[str, Any] = {}
        dists: dict[str, BaseDistribution] = {}
        for name, (internal, dist_text) in json.loads(row.params_json).items():
            d = self._dist(dist_text)
            dists[name] = d
            params[name] = d.to_external_repr(internal)
        t = FrozenTrial(
            number=row.number,
            state=TrialState(row.state),
            values=None if row.values_json is None else json.loads(row.values_json),
            datetime_start=_from_us(row.start_us),
            datetime_complete=_from_us(row.complete_us),
            user_attrs=json.loads(row.user_attrs),
            system_attrs=json.loads(row.system_attrs),
            intermediate_values={
                int(k): float(v) for k, v in json.loads(row.intermediate_json).items()
            },
            trial_id=row.trial_id,
        )
        t._params = params
        t._distributions = dists
        return t

    # -- locking helpers (inside a write transaction) -------------------------------------------
    def _lock_study(self, conn: sa.Connection, study_id: int) -> Any:
        row = conn.execute(
            sa.select(
                _S.c.study_id,
                _S.c.next_number,
                _S.c.change_seq,
                _S.c.user_attrs,
                _S.c.system_attrs,
            )
            .where(_S.c.study_id == study_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            raise KeyError(f"No study with id {study_id}.")
        return row

    def _bump(self, conn: sa.Connection, study: sa.Row[Any]) -> int:
        seq = int(study.change_seq) + 1
        conn.execute(sa.update(_S).where(_S.c.study_id == study.study_id).values(change_seq=seq))
        return seq

    def _study_of(self, trial_id: int) -> int:
        """The trial's study id (``KeyError`` for an unknown trial)."""
        # A trial never changes study and ids are never reused, so this is cached for good.
        sid = self._trial_study.get(trial_id)
        if sid is None:
            sid = int(self._read_trial(trial_id).study_id)
            self._trial_study[trial_id] = sid
        return sid

    def _write_trial(
        self,
        trial_id: int,
        fn: Callable[[sa.Connection, sa.Row[Any], int], _T],
    ) -> _T:
        """Bumps (and so locks) the trial's study, re-reads the trial and applies
        ``fn(conn, row, seq)``, which writes with ``_update_trial``."""
        study_id = self._study_of(trial_id)

        def tx(conn: sa.Connection) -> tuple[_T, sa.Row[Any] | None]:
            seq = conn.execute(self._sql.bump, {"sid": study_id}).scalar()
            if seq is None:
                raise KeyError(f"No trial with id {trial_id}.")
            row = conn.execute(self._sql.trial, {"tid": trial_id}).one_or_none()
            if row is None:
                raise KeyError(f"No trial with id {trial_id}.")
            self._raise_if_finished(row)
            conn.info.pop("hyperdial_new_row", None)
            out = fn(conn, row, int(seq))
            return out, conn.info.pop("hyperdial_new_row", None)

        out, new = self._tx(tx, write=True)
        if new is not None:
            with self._cache_lock:
                held = self._live.get(trial_id)
            if held is not None:
                self._live_put(self._to_trial(new), int(new.change_seq))
        return out

    # -- heartbeats -----------------------------------------------------------------------------
    def _beat_now(self) -> dict[str, Any]:
        return {} if self._heartbeat is None else {"heartbeat_us": self._now}

    def _own(self, trial_id: int) -> None:
        if self._heartbeat is not None:
            with self._cache_lock:
                self._owned.add(trial_id)

    def _disown(self, trial_id: int) -> None:
        with self._cache_lock:
            self._owned.discard(trial_id)

    def _beat(self) -> None:
        """Records a heartbeat (database clock) for every RUNNING trial this process runs."""
        with self._cache_lock:
            owned = sorted(self._owned)
        if not owned:
            return

        def tx(conn: sa.Connection) -> None:
            conn.execute(
                sa.update(_T_)
                .where(_T_.c.trial_id.in_(owned), _T_.c.state == int(TrialState.RUNNING))
                .values(heartbeat_us=self._now)
            )

        self._tx(tx, write=True)

    def fail_stale_trials(self) -> list[int]:
        """Fails RUNNING trials whose heartbeat is older than ``grace_period``; their ids.

        Runs every ``heartbeat_interval / 2`` seconds in a background thread of every process
        with a heartbeat; callable by hand too. Staleness is judged by the database clock. With
        ``max_retry > 0`` each failed trial's parameters are enqueued again as a WAITING trial
        whose ``system_attrs`` hold ``failed_trial`` (the failed trial's number) and
        ``retry_history`` (all earlier attempts), at most ``max_retry`` times per chain.
        Two processes racing on one trial fail it once (the state is re-checked under the
        study's lock).
        """
        if self._grace is None:
            return []
        grace_us = int(self._grace * 1e6)
        with self._cache_lock:
            owned = set(self._owned)

        def find(conn: sa.Connection) -> list[tuple[int, int]]:
            rows = conn.execute(
                sa.select(_T_.c.trial_id, _T_.c.study_id).where(
                    _T_.c.state == int(TrialState.RUNNING),
                    _T_.c.heartbeat_us.is_not(None),
                    _T_.c.heartbeat_us < self._now - grace_us,
                )
            )
            return [(int(r.trial_id), int(r.study_id)) for r in rows]

        failed = []
        for trial_id, study_id in self._tx(find, write=False):
            if trial_id not in owned and self._fail_if_stale(trial_id, study_id, grace_us):
                failed.append(trial_id)
        return failed

    def _fail_if_stale(self, trial_id: int, study_id: int, grace_us: int) -> bool:
        from hyperdial.trial._frozen import FAIL_REASON_KEY
        from hyperdial.trial._trial import FIXED_PARAMS_KEY

        def tx(conn: sa.Connection) -> bool:
            try:
                study = self._lock_study(conn, study_id)
            except KeyError:  # the study was deleted meanwhile
                return False
            row = conn.execute(
                sa.select(_T_).where(
                    _T_.c.trial_id == trial_id,
                    _T_.c.state == int(TrialState.RUNNING),
                    _T_.c.heartbeat_us < self._now - grace_us,
                )
            ).one_or_none()
            if row is None:  # finished, or beat again, or failed by another process
                return False
            attrs = json.loads(row.system_attrs)
            attrs[FAIL_REASON_KEY] = (
                f"no heartbeat for more than {self._grace} s (the worker died or hung)"
            )
            self._update_trial(
                conn,
                row,
                self._bump(conn, study),
                state=int(TrialState.FAIL),
                complete_us=self._now,
                system_attrs=_dumps(attrs),
            )
            conn.info.pop("hyperdial_new_row", None)
            history = [*attrs.get("retry_history", []), int(row.number)]
            if len(history) <= self._max_retry:
                failed = self._to_trial(row)
                retry_attrs = {
                    FIXED_PARAMS_KEY: failed.params,
                    "failed_trial": int(row.number),
                    "retry_history": history,
                }
                self._insert_trial(
                    conn,
                    self._lock_study(conn, study_id),
                    {
                        "state": int(TrialState.WAITING),
                        "values_json": None,
                        "params_json": "{}",
                        "user_attrs": row.user_attrs,
                        "system_attrs": _dumps(retry_attrs),
                        "intermediate_json": "{}",
                        "start_us": None,
                        "complete_us": None,
                    },
                )
            return True

        failed = self._tx(tx, write=True)
        if failed:
            self._live_drop(trial_id)
        return failed

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        directions = [StudyDirection(d) for d in directions]
        if not directions or any(d == StudyDirection.NOT_SET for d in directions):
            raise ValueError(f"`directions` must be MINIMIZE or MAXIMIZE, got {directions}.")
        if study_name is None:
            study_name = f"no-name-{os.urandom(16).hex()}"
        name = study_name

        def tx(conn: sa.Connection) -> int:
            result = conn.execute(
                sa.insert(_S).values(
                    study_name=name,
                    directions=_dumps([int(d) for d in directions]),
                    user_attrs="{}",
                    system_attrs="{}",
                    next_number=0,
                    change_seq=0,
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

        try:
            return self._tx(tx, write=True)
        except exc.IntegrityError:
            raise DuplicatedStudyError(f"A study named {name!r} already exists.") from None

    def delete_study(self, study_id: int) -> None:
        def tx(conn: sa.Connection) -> None:
            self._lock_study(conn, study_id)
            for table in (_C, _P, _T_):
                conn.execute(sa.delete(table).where(table.c.study_id == study_id))
            conn.execute(sa.delete(_S).where(_S.c.study_id == study_id))

        self._tx(tx, write=True)
        with self._cache_lock:
            self._cache.pop(study_id, None)
            self._study_dists.pop(study_id, None)
            for tid in [t for t, sid in self._trial_study.items() if sid == study_id]:
                self._live.pop(tid, None)

    def _study_column(self, study_id: int, column: sa.Column[Any]) -> Any:
        def tx(conn: sa.Connection) -> Any:
            row = conn.execute(sa.select(column).where(_S.c.study_id == study_id)).one_or_none()
            if row is None:
                raise KeyError(f"No study with id {study_id}.")
            return row[0]

        return self._tx(tx, write=False)

    def get_study_id_from_name(self, study_name: str) -> int:
        def tx(conn: sa.Connection) -> int | None:
            return conn.execute(
                sa.select(_S.c.study_id).where(_S.c.study_name == study_name)
            ).scalar()

        sid = self._tx(tx, write=False)
        if sid is None:
            raise KeyError(f"No study named {study_name!r}.")
        return int(sid)

    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._study_column(study_id, _S.c.study_name))

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return [
            StudyDirection(d) for d in json.loads(self._study_column(study_id, _S.c.directions))
        ]

    def get_all_studies(self) -> list[StudyInfo]:
        def tx(conn: sa.Connection) -> list[StudyInfo]:
            rows = conn.execute(
                sa.select(_S.c.study_id, _S.c.study_name, _S.c.directions).order_by(_S.c.study_id)
            )
            return [
                StudyInfo(
                    r.study_id,
                    r.study_name,
                    tuple(StudyDirection(d) for d in json.loads(r.directions)),
                )
                for r in rows
            ]

        return self._tx(tx, write=False)

    def _set_study_attr(self, study_id: int, column: str, key: str, value: Any) -> None:
        text = _dumps(value)  # a non-JSON value raises TypeError here, before any write

        def tx(conn: sa.Connection) -> None:
            study = self._lock_study(conn, study_id)
            attrs = json.loads(getattr(study, column))
            attrs[key] = json.loads(text)
            conn.execute(
                sa.update(_S).where(_S.c.study_id == study_id).values({column: _dumps(attrs)})
            )

        self._tx(tx, write=True)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "user_attrs", key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "system_attrs", key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_column(study_id, _S.c.user_attrs)))

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_column(study_id, _S.c.system_attrs)))

    def claim(self, study_id: int, key: str, value: str) -> str:
        def tx(conn: sa.Connection) -> str:
            self._lock_study(conn, study_id)
            held = conn.execute(
                sa.select(_C.c.value).where(_C.c.study_id == study_id, _C.c.key == key)
            ).scalar()
            if held is not None:
                return str(held)
            conn.execute(sa.insert(_C).values(study_id=study_id, key=key, value=value))
            return value

        return self._tx(tx, write=True)

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        def tx(conn: sa.Connection) -> dict[str, str]:
            self._require_study(conn, study_id)
            query = sa.select(_C.c.key, _C.c.value).where(_C.c.study_id == study_id)
            if prefix:  # a literal prefix: no LIKE, so "%" and "_" match only themselves
                query = query.where(sa.func.substr(_C.c.key, 1, len(prefix)) == prefix)
            return {k: v for k, v in conn.execute(query) if k.startswith(prefix)}

        return self._tx(tx, write=False)

    @staticmethod
    def _require_study(conn: sa.Connection, study_id: int) -> int:
        """The study's ``change_seq``; ``KeyError`` if there is no such study."""
        seq = conn.execute(sa.select(_S.c.change_seq).where(_S.c.study_id == study_id)).scalar()
        if seq is None:
            raise KeyError(f"No study with id {study_id}.")
        return int(seq)

    # -- trials ---------------------------------------------------------------------------------
    def _check_and_register_params(
        self, conn: sa.Connection, study_id: int, dists: dict[str, BaseDistribution]
    ) -> dict[str, BaseDistribution]:
        """Registers the names of ``dists`` the study does not know yet; returns the study's
        (first) distribution of each name."""
        if not dists:
            return {}
        known = {
            r.name: self._dist(r.distribution)
            for r in conn.execute(
                sa.select(_P.c.name, _P.c.distribution).where(
                    _P.c.study_id == study_id, _P.c.name.in_(list(dists))
                )
            )
        }
        new = [
            {"study_id": study_id, "name": n, "distribution": distribution_to_json(d)}
            for n, d in dists.items()
            if n not in known
        ]
        if new:
            conn.execute(sa.insert(_P), new)
        return {n: known.get(n, d) for n, d in dists.items()}

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        t = template_trial
        state = TrialState.RUNNING if t is None else TrialState(t.state)
        dists = {} if t is None else dict(t.distributions)
        start = None if t is None or t.datetime_start is None else _to_us(t.datetime_start)
        complete = (
            None if t is None or t.datetime_complete is None else _to_us(t.datetime_complete)
        )
        row: dict[str, Any] = {
            "sid": study_id,
            "state": int(state),
            "values_json": None if t is None or t.values is None else _dumps(list(t.values)),
            "params_json": "{}"
            if t is None
            else _dumps(
                {
                    name: [d.to_internal_repr(t.params[name]), distribution_to_json(d)]
                    for name, d in dists.items()
                }
            ),
            "user_attrs": "{}" if t is None else _dumps(t.user_attrs),
            "system_attrs": "{}" if t is None else _dumps(t.system_attrs),
            "intermediate_json": "{}"
            if t is None
            else _dumps({str(int(k)): float(v) for k, v in t.intermediate_values.items()}),
            "start_us": start,
            "complete_us": complete,
        }
        running = state == TrialState.RUNNING
        stmt = self._sql.insert(
            start_now=running or state.is_finished(),
            complete_now=state.is_finished(),
            beat=running and self._heartbeat is not None,
        )
        if dists:
            self._register_dists(study_id, dists)
        if self._sql.pg:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                return conn.execute(stmt, row).one_or_none()

            got = self._tx(tx, write=True, atomic=False)
        else:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                bumped = conn.execute(self._sql.bump_number, {"sid": study_id}).one_or_none()
                if bumped is None:
                    return None
                return conn.execute(
                    stmt, {**row, "seq": bumped.change_seq, "number": bumped.number}
                ).one()

            got = self._tx(tx, write=True)
        if got is None:
            raise KeyError(f"No study with id {study_id}.")
        tid = int(got.trial_id)
        self._trial_study[tid] = study_id
        if running:
            rec = FrozenTrial(
                number=int(got.number),
                state=state,
                datetime_start=_from_us(got.start_us),
                params=None if t is None else t.params,
                distributions=dists,
                user_attrs=None if t is None else copy.deepcopy(t.user_attrs),
                system_attrs=None if t is None else copy.deepcopy(t.system_attrs),
                intermediate_values=None if t is None else t.intermediate_values,
                trial_id=tid,
            )
            self._live_put(rec, int(got.change_seq))
            self._own(tid)
        return tid

    def _insert_trial(self, conn: sa.Connection, study: Any, row: dict[str, Any]) -> int:
        """Inserts a trial with the study's next number (the study row is locked)."""
        seq = int(study.change_seq) + 1
        number = int(study.next_number)
        conn.execute(
            sa.update(_S)
            .where(_S.c.study_id == study.study_id)
            .values(change_seq=seq, next_number=number + 1)
        )
        result = conn.execute(
            sa.insert(_T_).values(study_id=study.study_id, number=number, change_seq=seq, **row)
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    # -- this process's live trials --------------------------------------------------------------
    def _live_put(self, rec: FrozenTrial, seq: int) -> None:
        with self._cache_lock:
            held = self._live.get(rec._trial_id)
            if held is None or held[1] < seq:
                self._live[rec._trial_id] = (rec, seq)

    def _live_apply(self, trial_id: int, seq: int, fn: Callable[[FrozenTrial], None]) -> None:
        """Applies this storage's own (idempotent) write to the trial's live record, if any."""
        with self._cache_lock:
            held = self._live.get(trial_id)
            if held is not None:
                fn(held[0])
                self._live[trial_id] = (held[0], max(held[1], seq))
                if held[0].state.is_finished():
                    # A finished record never changes again; keep a few for the reads that
                    # follow a tell, drop the rest.
                    self._finished_live.append(trial_id)
                    while len(self._finished_live) > 64:
                        self._live.pop(self._finished_live.popleft(), None)

    def _live_drop(self, trial_id: int) -> None:
        with self._cache_lock:
            self._live.pop(trial_id, None)

    def _register_dists(self, study_id: int, dists: dict[str, BaseDistribution]) -> None:
        """Checks ``dists`` against the study's first distribution of each name (registering
        the new names); raises ``ValueError`` for an incompatible one."""
        with self._cache_lock:
            known = dict(self._study_dists.get(study_id, {}))
        new = {n: d for n, d in dists.items() if n not in known}
        if new:

            def tx(conn: sa.Connection) -> dict[str, BaseDistribution]:
                self._require_study(conn, study_id)
                return self._check_and_register_params(conn, study_id, new)

            try:
                got = self._tx(tx, write=True)
            except exc.IntegrityError:  # another process registered one of them first
                got = self._tx(tx, write=True)
            with self._cache_lock:
                self._study_dists.setdefault(study_id, {}).update(got)
            known.update(got)
        for name, dist in dists.items():
            check_distribution_compatibility(known[name], dist, name=name)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        study_id = self._study_of(trial_id)
        if not distribution._contains(param_value_internal):
            raise ValueError(
                f"Parameter {param_name!r}: internal value {param_value_internal!r} is not "
                f"in {distribution!r}."
            )
        self._register_dists(study_id, {param_name: distribution})
        value = float(param_value_internal)
        needle = _dumps(param_name) + ": "
        got = self._trial_write(
            study_id,
            self._sql.param,
            {
                "tid": trial_id,
                "needle": needle,
                "frag": needle + _dumps([value, distribution_to_json(distribution)]),
            },
        )
        if got is None:
            row = self._read_trial(trial_id)
            self._raise_if_finished(row)
            raise ValueError(f"Trial {row.number} already has parameter {param_name!r}.")

        def apply(rec: FrozenTrial) -> None:
            rec._params[param_name] = distribution.to_external_repr(value)
            rec._distributions[param_name] = distribution

        self._live_apply(trial_id, int(got.change_seq), apply)

    def _trial_write(
        self, study_id: int, stmt: sa.TextClause, params: dict[str, Any]
    ) -> sa.Row[Any] | None:
        """Runs a hot-path trial statement (see ``_Statements``) with its study's bump."""
        if self._sql.pg:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                return conn.execute(stmt, {"sid": study_id, **params}).one_or_none()

            return self._tx(tx, write=True, atomic=False)

        def lite(conn: sa.Connection) -> sa.Row[Any] | None:
            seq = conn.execute(self._sql.bump, {"sid": study_id}).scalar()
            if seq is None:
                return None
            return conn.execute(stmt, {"seq": seq, **params}).one_or_none()

        return self._tx(lite, write=True)

    def _read_trial(self, trial_id: int) -> sa.Row[Any]:
        def tx(conn: sa.Connection) -> sa.Row[Any] | None:
            return conn.execute(self._sql.trial, {"tid": trial_id}).one_or_none()

        row = self._tx(tx, write=False, atomic=False)
        if row is None:
            raise KeyError(f"No trial with id {trial_id}.")
        return row

    @staticmethod
    def _raise_if_finished(row: sa.Row[Any]) -> None:
        if TrialState(row.state).is_finished():
            raise UpdateFinishedTrialError(
                f"Trial {row.number} is already finished ({TrialState(row.state).name}) "
                "and cannot be changed."
            )

    def _update_trial(
        self, conn: sa.Connection, row: sa.Row[Any], seq: int, **values: Any
    ) -> None:
        new = conn.execute(
            sa.update(_T_)
            .where(_T_.c.trial_id == row.trial_id)
            .values(change_seq=seq, **values)
            .returning(*_T_.c)
        ).one()
        conn.info["hyperdial_new_row"] = new

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        state = TrialState(state)
        study_id = self._study_of(trial_id)
        if state == TrialState.WAITING:
            raise ValueError(f"Trial id {trial_id} cannot go back to WAITING.")
        if state == TrialState.RUNNING:
            got = self._trial_write(
                study_id, self._sql.start[self._heartbeat is not None], {"tid": trial_id}
            )
            if got is None:
                self._raise_if_finished(self._read_trial(trial_id))
                return False  # another worker started it
            self._live_put(self._to_trial(got), int(got.change_seq))
            self._own(trial_id)
            return True
        vals = None if values is None else [float(v) for v in values]
        got = self._trial_write(
            study_id,
            self._sql.finish,
            {
                "tid": trial_id,
                "state": int(state),
                "values_json": None if vals is None else _dumps(vals),
            },
        )
        if got is None:
            self._disown(trial_id)
            self._raise_if_finished(self._read_trial(trial_id))
            raise AssertionError("unreachable: an unfinished trial refused a finish")

        def apply(rec: FrozenTrial) -> None:
            rec.state = state
            rec.values = vals
            rec.datetime_start = _from_us(got.start_us)
            rec.datetime_complete = _from_us(got.complete_us)

        self._live_apply(trial_id, int(got.change_seq), apply)
        self._disown(trial_id)
        return True

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = int(step), float(value)

        def fn(conn: sa.Connection, row: sa.Row[Any], seq: int) -> None:
            iv = json.loads(row.intermediate_json)
            iv[str(step)] = value
            self._update_trial(conn, row, seq, intermediate_json=_dumps(iv))

        self._write_trial(trial_id, fn)

    def _set_trial_attr(self, trial_id: int, column: str, key: str, value: Any) -> None:
        text = _dumps(value)  # a non-JSON value raises TypeError here, before any write

        def fn(conn: sa.Connection, row: sa.Row[Any], seq: int) -> None:
            attrs = json.loads(getattr(row, column))
            attrs[key] = json.loads(text)
            self._update_trial(conn, row, seq, **{column: _dumps(attrs)})

        self._write_trial(trial_id, fn)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, "user_attrs", key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, "system_attrs", key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        """A snapshot of the trial.

        A trial this storage object created or started is answered from memory: its record
        is kept up to date by this storage's own writes (one writer per running trial is how
        studies work). A write by another process to such a trial (a reaper failing it, say)
        shows here once it finishes or when this storage's next write to it is refused.
        """
        with self._cache_lock:
            held = self._live.get(trial_id)
            if held is not None:
                return copy.deepcopy(held[0])
        return self._to_trial(self._read_trial(trial_id))

    def _changes(self, study_id: int, mark: int) -> tuple[list[sa.Row[Any]], int]:
        """Rows with ``mark < change_seq <= new mark``, and the new mark."""

        # One statement (one snapshot): the study's counter and the trials changed up to it.
        # Every change numbered up to the counter has committed (the counter is bumped under
        # the study's row lock, held until commit), so none is missed.
        def tx(conn: sa.Connection) -> tuple[list[sa.Row[Any]], int]:
            rows = conn.execute(self._sql.changes, {"sid": study_id, "mark": mark}).all()
            if not rows:
                raise KeyError(f"No study with id {study_id}.")
            seq = int(rows[0].study_seq)
            return [r for r in rows if r.trial_id is not None], max(seq, mark)

        return self._tx(tx, write=False, atomic=False)

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        rows, new_mark = self._changes(study_id, mark)
        return [self._to_trial(r) for r in rows], new_mark

    def _synced(self, study_id: int) -> list[FrozenTrial]:
        """Every trial of the study by number, from this process's cache brought up to date."""
        with self._cache_lock:
            cache = self._cache.get(study_id) or _StudyCache()
            mark = cache.mark
        rows, new_mark = self._changes(study_id, mark)
        with self._cache_lock:
            cache = self._cache.setdefault(study_id, cache)
            for r in rows:
                n = int(r.number)
                if n >= len(cache.trials):
                    cache.trials.extend([None] * (n + 1 - len(cache.trials)))
                    cache.seqs.extend([-1] * (n + 1 - len(cache.seqs)))
                if r.change_seq > cache.seqs[n]:  # a concurrent reader may be ahead
                    cache.trials[n] = self._to_trial(r)
                    cache.seqs[n] = int(r.change_seq)
            cache.mark = max(cache.mark, new_mark)
            return [t for t in cache.trials if t is not None]

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = self._synced(study_id)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def pop_waiting_trial(self, study_id: int) -> int | None:
        def peek(conn: sa.Connection) -> sa.Row[Any] | None:
            return conn.execute(self._sql.first_waiting, {"sid": study_id}).one_or_none()

        # A lock-free look first: most calls find nothing waiting.
        first = self._tx(peek, write=False, atomic=False)
        if first is None:
            raise KeyError(f"No study with id {study_id}.")
        if first.trial_id is None:
            return None

        def tx(conn: sa.Connection) -> sa.Row[Any] | None:
            study = self._lock_study(conn, study_id)
            tid = conn.execute(
                sa.select(_T_.c.trial_id)
                .where(_T_.c.study_id == study_id, _T_.c.state == int(TrialState.WAITING))
                .order_by(_T_.c.number)
                .limit(1)
            ).scalar()
            if tid is None:
                return None
            return conn.execute(
                sa.update(_T_)
                .where(_T_.c.trial_id == tid)
                .values(
                    state=int(TrialState.RUNNING),
                    start_us=self._now,
                    change_seq=self._bump(conn, study),
                    **self._beat_now(),
                )
                .returning(*_T_.c)
            ).one()

        row = self._tx(tx, write=True)
        if row is None:
            return None
        tid = int(row.trial_id)
        self._trial_study[tid] = study_id
        self._live_put(self._to_trial(row), int(row.change_seq))
        self._own(tid)
        return tid

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        def tx(conn: sa.Connection) -> list[int]:
            self._require_study(conn, study_id)
            return [
                int(s)
                for s in conn.execute(
                    sa.select(_T_.c.state).where(_T_.c.study_id == study_id)
                ).scalars()
            ]

        got = self._tx(tx, write=False)
        if states is None:
            return len(got)
        return sum(1 for s in got if TrialState(s) in states)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        def tx(conn: sa.Connection) -> int | None:
            self._require_study(conn, study_id)
            return conn.execute(
                sa.select(_T_.c.trial_id).where(
                    _T_.c.study_id == study_id, _T_.c.number == trial_number
                )
            ).scalar()

        tid = self._tx(tx, write=False)
        if tid is None:
            raise KeyError(f"No trial number {trial_number} in study {study_id}.")
        return int(tid)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        def tx(conn: sa.Connection) -> int | None:
            return conn.execute(sa.select(_T_.c.number).where(_T_.c.trial_id == trial_id)).scalar()

        number = self._tx(tx, write=False)
        if number is None:
            raise KeyError(f"No trial with id {trial_id}.")
        return int(number)


_RUN, _WAIT = int(TrialState.RUNNING), int(TrialState.WAITING)
_TRIAL_COLS = (
    "trial_id, study_id, number, state, values_json, params_json, user_attrs, system_attrs, "
    "intermediate_json, start_us, complete_us, heartbeat_us, change_seq"
)


class _Statements:
    """The SQL of the hot path, written once per storage for its dialect.

    A write to a trial must also bump its study's ``change_seq`` in the same transaction (the
    bump is what serialises writes to one study and numbers the change for incremental
    readers). On PostgreSQL both go in one statement, ``WITH s AS (UPDATE hd_studies …
    RETURNING …) UPDATE hd_trials …``, sent in autocommit: one round trip per write. SQLite has
    no data-modifying CTEs; there the bump and the write are two statements in one
    ``BEGIN IMMEDIATE`` transaction (in-process calls, so the round trips are cheap).

    ``{seq}`` and ``{number}`` in the trial statements stand for the bumped counter and the
    allocated trial number: a subquery of ``s`` on PostgreSQL, bound parameters on SQLite.
    """

    def __init__(self, dialect: str, now: str) -> None:
        self.pg = pg = dialect == "postgresql"
        self.now = now
        bump = "UPDATE hd_studies SET change_seq = change_seq + 1 WHERE study_id = :sid"
        bump_n = (
            "UPDATE hd_studies SET change_seq = change_seq + 1, next_number = next_number + 1 "
            "WHERE study_id = :sid"
        )
        returning = " RETURNING change_seq, next_number - 1 AS number"
        self.bump = sa.text(bump + returning)
        self.bump_number = sa.text(bump_n + returning)
        self._cte = f"WITH s AS ({bump}{returning}) "
        self._cte_n = f"WITH s AS ({bump_n}{returning}) "
        seq = "(SELECT change_seq FROM s)" if pg else ":seq"
        find = "strpos(params_json, :needle)" if pg else "instr(params_json, :needle)"
        # Appends ``"name": [value, "distribution"]`` to the JSON object in one expression, so
        # a concurrent append to the same trial is never lost (the row is re-read under its
        # lock); the needle check refuses a name the trial already has.
        self.param = self._trial(
            "UPDATE hd_trials SET params_json = CASE WHEN params_json = '{}' "
            "THEN '{' || :frag || '}' "
            "ELSE substr(params_json, 1, length(params_json) - 1) || ', ' || :frag || '}' END, "
            f"change_seq = {seq} "
            f"WHERE trial_id = :tid AND state IN ({_RUN}, {_WAIT}) AND {find} = 0 "
            "RETURNING change_seq"
        )
        self.finish = self._trial(
            "UPDATE hd_trials SET state = :state, values_json = :values_json, "
            f"complete_us = {now}, start_us = COALESCE(start_us, {now}), change_seq = {seq} "
            f"WHERE trial_id = :tid AND state IN ({_RUN}, {_WAIT}) "
            "RETURNING change_seq, start_us, complete_us"
        )
        self.start = {
            beat: self._trial(
                f"UPDATE hd_trials SET state = {_RUN}, start_us = {now}, "
                f"heartbeat_us = {now if beat else 'heartbeat_us'}, change_seq = {seq} "
                f"WHERE trial_id = :tid AND state = {_WAIT} RETURNING {_TRIAL_COLS}"
            )
            for beat in (False, True)
        }
        src = (
            "s"
            if pg
            else "(SELECT CAST(:seq AS BIGINT) AS change_seq, CAST(:number AS BIGINT) AS number) AS s"
        )
        self._insert = (
            f"INSERT INTO hd_trials ({_TRIAL_COLS.replace('trial_id, ', '')}) "
            "SELECT CAST(:sid AS INTEGER), s.number, CAST(:state AS SMALLINT), "
            "CAST(:values_json AS TEXT), CAST(:params_json AS TEXT), CAST(:user_attrs AS TEXT), "
            "CAST(:system_attrs AS TEXT), CAST(:intermediate_json AS TEXT), "
            "{start}, {complete}, {beat}, s.change_seq "
            f"FROM {src} RETURNING trial_id, number, start_us, complete_us, change_seq"
        )
        self._inserts: dict[tuple[bool, bool, bool], sa.TextClause] = {}
        self.changes = sa.text(
            "SELECT s.change_seq AS study_seq, "
            + ", ".join(f"t.{c}" for c in _TRIAL_COLS.split(", "))
            + " FROM hd_studies s LEFT JOIN hd_trials t ON t.study_id = s.study_id "
            "AND t.change_seq > :mark AND t.change_seq <= s.change_seq "
            "WHERE s.study_id = :sid ORDER BY t.number"
        )
        self.first_waiting = sa.text(
            "SELECT s.study_id, t.trial_id FROM hd_studies s LEFT JOIN hd_trials t "
            f"ON t.study_id = s.study_id AND t.state = {_WAIT} "
            "WHERE s.study_id = :sid ORDER BY t.number LIMIT 1"
        )
        self.trial = sa.text(f"SELECT {_TRIAL_COLS} FROM hd_trials WHERE trial_id = :tid")

    def _trial(self, statement: str) -> sa.TextClause:
        return sa.text(self._cte + statement if self.pg else statement)

    def insert(self, start_now: bool, complete_now: bool, beat: bool) -> sa.TextClause:
        """The trial insert; ``*_now``: a NULL start / completion time means "now"."""
        key = (start_now, complete_now, beat)
        stmt = self._inserts.get(key)
        if stmt is None:

            def col(name: str, now: bool) -> str:
                bound = f"CAST(:{name} AS BIGINT)"
                return f"COALESCE({bound}, {self.now})" if now else bound

            text = self._insert.format(
                start=col("start_us", start_now),
                complete=col("complete_us", complete_now),
                beat=self.now if beat else "NULL",
            )
            stmt = self._inserts[key] = sa.text(self._cte_n + text if self.pg else text)
        return stmt


def _heartbeat_loop(ref: weakref.ref[RDBStorage], stop: threading.Event, tick: float) -> None:
    """Beats for this process's RUNNING trials and fails stale ones, until the storage goes."""
    import logging

    logger = logging.getLogger("hyperdial")
    while not stop.wait(tick):
        storage = ref()
        if storage is None:
            return
        try:
            with storage._bg_lock:
                storage._beat()
                stale = storage.fail_stale_trials()
            for tid in stale:
                logger.warning(f"Trial id {tid} failed: its worker stopped sending heartbeats.")
        except Exception as e:  # noqa: BLE001 (a database hiccup must not kill the thread)
            logger.warning(f"Heartbeat of {storage!r} failed (will retry): {e!r}")
        del storage


class _StudyCache:
    """A process's copy of a study's trials, indexed by number, and the mark it is synced to."""

    __slots__ = ("mark", "seqs", "trials")

    def __init__(self) -> None:
        self.mark = 0
        self.trials: list[FrozenTrial | None] = []
        self.seqs: list[int] = []


def _check_version(version: int, url: str) -> None:
    if version < schema.SCHEMA_VERSION:
        raise schema.SchemaVersionError(
            f"The database {url!r} has hyperdial schema version {version}, older than this "
            f"hyperdial's {schema.SCHEMA_VERSION}. Back it up, then run "
            f"hyperdial.storages.upgrade({url!r})."
        )
    if version > schema.SCHEMA_VERSION:
        raise schema.SchemaVersionError(
            f"The database {url!r} has hyperdial schema version {version}, newer than this "
            f"hyperdial's {schema.SCHEMA_VERSION}: upgrade hyperdial to use it."
        )


def upgrade(url: str) -> int:
    """Upgrades a database written by an older hyperdial to this version's schema.

    Each step runs in its own transaction, so an interrupted upgrade can be run again.

    Returns:
        The schema version the database has afterwards.

    Raises:
        SchemaVersionError: the database is newer than this hyperdial, or has no hyperdial
            schema at all.
    """
    engine = sa.create_engine(url)
    try:
        while True:
            with engine.begin() as conn:
                if not sa.inspect(conn).has_table(schema.schema_version.name):
                    raise schema.SchemaVersionError(f"{url!r} holds no hyperdial schema.")
                version = int(
                    conn.execute(sa.select(schema.schema_version.c.version)).scalar_one()
                )
                if version > schema.SCHEMA_VERSION:
                    _check_version(version, url)
                if version == schema.SCHEMA_VERSION:
                    return version
                step = schema.MIGRATIONS.get(version)
                if step is None:
                    raise schema.SchemaVersionError(
                        f"No migration from hyperdial schema version {version} in {url!r}."
                    )
                step(conn)
                conn.execute(sa.update(schema.schema_version).values(version=version + 1))
    finally:
        engine.dispose()
