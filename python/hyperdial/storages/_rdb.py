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

:class:`RDBStorage` implements the storage contract with these transactions and owns one
collaborator per concern:

* ``_rdb_engine.Database``: the engine, the transaction runner (with its retries of transient
  errors) and the schema check;
* ``_rdb_studies.Studies``: the study half of the contract (studies, their attributes, claims,
  registered distributions);
* ``_rdb_sql``: the hot-path SQL of each dialect and the row <-> record conversion;
* ``_rdb_cache.TrialCache``: what this process remembers (each study's trials synced by change
  number, the records of its own running trials, trial -> study, registered distributions);
* ``_rdb_heartbeat.Heartbeat``: heartbeats of this process's running trials and the reaper of
  stale ones.

The tables are in ``_rdb_schema``. This module imports SQLAlchemy; ``hyperdial.storages``
imports it only when an ``RDBStorage`` is made.
"""

from __future__ import annotations

import copy
import json
import math
import weakref
from collections.abc import Callable, Container, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from hyperdial._direction import StudyDirection
from hyperdial._transient import STUDY_KEY_ATTR
from hyperdial.distributions import BaseDistribution, distribution_to_json
from hyperdial.storages import _rdb_schema as schema
from hyperdial.storages._base import BaseStorage, StudyInfo
from hyperdial.storages._rdb_cache import TrialCache
from hyperdial.storages._rdb_engine import Database, upgrade
from hyperdial.storages._rdb_heartbeat import Heartbeat, check_heartbeat_args
from hyperdial.storages._rdb_sql import (
    Codec,
    Statements,
    bump,
    dumps,
    from_us,
    lock_study,
    param_keys,
    raise_if_finished,
    require_study,
    update_trial,
)
from hyperdial.storages._rdb_studies import Studies
from hyperdial.storages._url import redact
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

__all__ = ["RDBStorage", "upgrade"]

_T = TypeVar("_T")

_T_ = schema.trials


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
            ``grace_period`` (see :meth:`fail_stale_trials`). None: no heartbeats. At least
            0.1 s. A worker whose trial the reaper failed while it was still running (paused,
            starved of CPU) drops that trial with a warning and goes on with the next one.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is failed;
            default ``1.5 * heartbeat_interval``, so a dead worker's trial is failed within
            about ``2 * heartbeat_interval`` (the thread checks every half interval).
        max_retry: Enqueue the parameters of a trial failed for a stale heartbeat, or by
            SIGTERM while ``Study.optimize`` ran, again: at most this many times per chain.

    SQLite databases are opened in WAL mode with ``synchronous=NORMAL``: a crash of the
    process or of the machine never corrupts the file, a power loss may lose the last commits.
    Timestamps come from the database server's clock (UTC), so workers with skewed clocks agree.

    A SQLite database this process may not write (a read-only file or directory, or a URL such
    as ``sqlite:///file:/path/s.db?mode=ro&uri=true``) can be read: studies and trials load
    as usual, and every write raises :class:`~hyperdial.exceptions.ReadOnlyStorageError`.
    In a read-only directory the file is read as an immutable snapshot (SQLite cannot create
    the WAL's ``-shm`` file there).

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
        grace_period = check_heartbeat_args(heartbeat_interval, grace_period, max_retry)
        self.url = url
        self._engine_kwargs = dict(engine_kwargs or {})
        self._busy_timeout = float(busy_timeout)
        self._max_retries = int(max_retries)
        self._heartbeat_args = (
            None if heartbeat_interval is None else float(heartbeat_interval),
            None if grace_period is None else float(grace_period),
            int(max_retry),
        )
        self._setup()

    def _setup(self, *, lazy_heartbeat: bool = False) -> None:
        label = f"RDBStorage({redact(self.url)!r})"
        self._db = Database(
            self.url, self._engine_kwargs, self._busy_timeout, self._max_retries, label
        )
        # A storage made from a URL string is owned by its Study: close its connections when it
        # is garbage-collected, not when the interpreter happens to collect them.
        weakref.finalize(self, self._db.engine.dispose)
        self._sql = Statements(self._db.dialect, str(self._db.now))
        self._codec = Codec()
        self._cache = TrialCache()
        self._studies = Studies(self._db, self._codec, self._cache)
        self._db.check_schema()
        interval, grace, max_retry = self._heartbeat_args
        self._heartbeat = Heartbeat(
            self._db, self._codec, self._cache, interval, grace, max_retry, label
        )
        self._heartbeat.start(self, lazily=lazy_heartbeat)

    @property
    def max_retry(self) -> int:
        """How many times a chain of failed trials is enqueued again: trials failed by the
        heartbeat reaper (see :meth:`fail_stale_trials`) or by SIGTERM during
        ``Study.optimize``."""
        return self._heartbeat_args[2]

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (this process's: a forked child gets fresh connections)."""
        return self._db.engine

    # Pickle and deepcopy keep the settings and make a new connection to the same database (the
    # engine, caches and heartbeat thread belong to one process). The heartbeat thread of a
    # loaded storage starts when it first runs a trial. An in-memory SQLite database exists only
    # in its connection, so its content travels (sqlite3's serialize) and the copy is
    # independent, as a copied InMemoryStorage is.
    def __getstate__(self) -> dict[str, Any]:
        state = {
            "url": self.url,
            "engine_kwargs": self._engine_kwargs,
            "busy_timeout": self._busy_timeout,
            "max_retries": self._max_retries,
            "heartbeat": self._heartbeat_args,
            "study_key": self.__dict__.get(STUDY_KEY_ATTR),
        }
        if self._db.memory:

            def image(conn: sa.Connection) -> bytes:
                raw: Any = conn.connection.driver_connection
                if not hasattr(raw, "serialize"):  # Python < 3.11
                    raise TypeError(
                        f"{self!r}: an in-memory SQLite database can be pickled or copied from "
                        "Python 3.11 on (sqlite3's serialize); use a file (sqlite:///path)."
                    )
                data: bytes = raw.serialize()
                return data

            state["image"] = self._db.tx(image, write=False, atomic=False)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.url = state["url"]
        self._engine_kwargs = state["engine_kwargs"]
        self._busy_timeout = state["busy_timeout"]
        self._max_retries = state["max_retries"]
        self._heartbeat_args = tuple(state["heartbeat"])
        if state.get("study_key") is not None:  # the samplers' key for this storage travels
            self.__dict__[STUDY_KEY_ATTR] = state["study_key"]
        self._setup(lazy_heartbeat=True)
        data = state.get("image")
        if data is not None:

            def load(conn: sa.Connection) -> None:
                raw: Any = conn.connection.driver_connection
                raw.deserialize(data)

            self._db.tx(load, write=False, atomic=False)

    def remove_session(self) -> None:
        """Closes this process's pooled connections (they reopen on the next call).

        Call it when no other thread of yours is using this storage: a connection another
        thread has checked out is not closed by it (the heartbeat thread is waited for).
        """
        with self._heartbeat.lock:
            self.engine.dispose()

    def __repr__(self) -> str:
        return self._db.label

    # -- heartbeats -----------------------------------------------------------------------------
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
        return self._heartbeat.fail_stale_trials()

    # -- helpers of the transactions below -------------------------------------------------------
    def _study_of(self, trial_id: int) -> int:
        """The trial's study id (``KeyError`` for an unknown trial)."""
        # A trial never changes study and ids are never reused, so this is cached for good.
        sid = self._cache.study_of(trial_id)
        if sid is None:
            sid = int(self._read_trial(trial_id).study_id)
            self._cache.set_study_of(trial_id, sid)
        return sid

    def _write_trial(
        self,
        trial_id: int,
        fn: Callable[[sa.Connection, sa.Row[Any], int], _T],
    ) -> _T:
        """Bumps (and so locks) the trial's study, re-reads the trial and applies
        ``fn(conn, row, seq)``, which writes with ``update_trial``."""
        study_id = self._study_of(trial_id)

        def tx(conn: sa.Connection) -> tuple[_T, sa.Row[Any] | None]:
            seq = conn.execute(self._sql.bump, {"sid": study_id}).scalar()
            if seq is None:
                raise KeyError(f"No trial with id {trial_id}.")
            row = conn.execute(self._sql.trial, {"tid": trial_id}).one_or_none()
            if row is None:
                raise KeyError(f"No trial with id {trial_id}.")
            raise_if_finished(row)
            conn.info.pop("hyperdial_new_row", None)
            out = fn(conn, row, int(seq))
            return out, conn.info.pop("hyperdial_new_row", None)

        out, new = self._db.tx(tx, write=True)
        if new is not None and self._cache.holds(trial_id):
            self._cache.put(self._codec.to_trial(new), int(new.change_seq))
        return out

    # -- studies (see ``_rdb_studies``) ---------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return self._studies.create_new_study(directions, study_name)

    def delete_study(self, study_id: int) -> None:
        self._studies.delete_study(study_id)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._studies.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._studies.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._studies.get_study_directions(study_id)

    def get_all_studies(self) -> list[StudyInfo]:
        return self._studies.get_all_studies()

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._studies.set_study_user_attr(study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._studies.set_study_system_attr(study_id, key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._studies.get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._studies.get_study_system_attrs(study_id)

    def claim(self, study_id: int, key: str, value: str) -> str:
        return self._studies.claim(study_id, key, value)

    def get_claims(self, study_id: int, prefix: str = "") -> dict[str, str]:
        return self._studies.get_claims(study_id, prefix)

    # -- trials ---------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        t = template_trial
        state = TrialState.RUNNING if t is None else TrialState(t.state)
        dists = {} if t is None else dict(t.distributions)
        row: dict[str, Any] = {"sid": study_id, **Codec.template_row(t, state)}
        running = state == TrialState.RUNNING
        stmt = self._sql.insert(
            start_now=running or state.is_finished(),
            complete_now=state.is_finished(),
            beat=running and self._heartbeat.enabled,
        )
        if dists:
            self._studies.register_dists(study_id, dists)
        if self._sql.pg:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                return conn.execute(stmt, row).one_or_none()

            got = self._db.tx(tx, write=True, atomic=False)
        else:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                bumped = conn.execute(self._sql.bump_number, {"sid": study_id}).one_or_none()
                if bumped is None:
                    return None
                return conn.execute(
                    stmt, {**row, "seq": bumped.change_seq, "number": bumped.number}
                ).one()

            got = self._db.tx(tx, write=True)
        if got is None:
            raise KeyError(f"No study with id {study_id}.")
        tid = int(got.trial_id)
        self._cache.set_study_of(tid, study_id)
        if running:
            rec = FrozenTrial(
                number=int(got.number),
                state=state,
                datetime_start=from_us(got.start_us),
                params=None if t is None else t.params,
                distributions=dists,
                user_attrs=None if t is None else copy.deepcopy(t.user_attrs),
                system_attrs=None if t is None else copy.deepcopy(t.system_attrs),
                intermediate_values=None if t is None else t.intermediate_values,
                trial_id=tid,
            )
            self._cache.put(rec, int(got.change_seq))
            self._heartbeat.own(tid)
        return tid

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
        self._studies.register_dists(study_id, {param_name: distribution})
        value = float(param_value_internal)
        got = self._trial_write(
            study_id,
            self._sql.param,
            {
                "tid": trial_id,
                **param_keys(param_name),
                "frag": dumps(param_name)
                + ": "
                + dumps([value, distribution_to_json(distribution)]),
            },
        )
        if got is None:
            row = self._read_trial(trial_id)
            raise_if_finished(row)
            raise ValueError(f"Trial {row.number} already has parameter {param_name!r}.")

        def apply(rec: FrozenTrial) -> None:
            rec._params[param_name] = distribution.to_external_repr(value)
            rec._distributions[param_name] = distribution

        self._cache.apply(trial_id, int(got.change_seq), apply)

    def _trial_write(
        self, study_id: int, stmt: sa.TextClause, params: dict[str, Any]
    ) -> sa.Row[Any] | None:
        """Runs a hot-path trial statement (see ``_rdb_sql.Statements``) with its study's bump."""
        if self._sql.pg:

            def tx(conn: sa.Connection) -> sa.Row[Any] | None:
                return conn.execute(stmt, {"sid": study_id, **params}).one_or_none()

            return self._db.tx(tx, write=True, atomic=False)

        def lite(conn: sa.Connection) -> sa.Row[Any] | None:
            seq = conn.execute(self._sql.bump, {"sid": study_id}).scalar()
            if seq is None:
                return None
            return conn.execute(stmt, {"seq": seq, **params}).one_or_none()

        return self._db.tx(lite, write=True)

    def _read_trial(self, trial_id: int) -> sa.Row[Any]:
        def tx(conn: sa.Connection) -> sa.Row[Any] | None:
            return conn.execute(self._sql.trial, {"tid": trial_id}).one_or_none()

        row = self._db.tx(tx, write=False, atomic=False)
        if row is None:
            raise KeyError(f"No trial with id {trial_id}.")
        return row

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        state = TrialState(state)
        study_id = self._study_of(trial_id)
        if state == TrialState.WAITING:
            raise ValueError(f"Trial id {trial_id} cannot go back to WAITING.")
        if state == TrialState.RUNNING:
            got = self._trial_write(
                study_id, self._sql.start[self._heartbeat.enabled], {"tid": trial_id}
            )
            if got is None:
                raise_if_finished(self._read_trial(trial_id))
                return False  # another worker started it
            self._cache.put(self._codec.to_trial(got), int(got.change_seq))
            self._heartbeat.own(trial_id)
            return True
        vals = None if values is None else [float(v) for v in values]
        got = self._trial_write(
            study_id,
            self._sql.finish,
            {
                "tid": trial_id,
                "state": int(state),
                "values_json": None if vals is None else dumps(vals),
            },
        )
        if got is None:
            self._heartbeat.disown(trial_id)
            raise_if_finished(self._read_trial(trial_id))
            raise AssertionError("unreachable: an unfinished trial refused a finish")

        def apply(rec: FrozenTrial) -> None:
            rec.state = state
            rec.values = vals
            rec.datetime_start = from_us(got.start_us)
            rec.datetime_complete = from_us(got.complete_us)

        self._cache.apply(trial_id, int(got.change_seq), apply)
        self._heartbeat.disown(trial_id)
        return True

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        step, value = int(step), float(value)

        def fn(conn: sa.Connection, row: sa.Row[Any], seq: int) -> None:
            iv = json.loads(row.intermediate_json)
            iv[str(step)] = value
            update_trial(conn, row, seq, intermediate_json=dumps(iv))

        self._write_trial(trial_id, fn)

    def _set_trial_attr(self, trial_id: int, column: str, key: str, value: Any) -> None:
        text = dumps(value)  # a non-JSON value raises TypeError here, before any write

        def fn(conn: sa.Connection, row: sa.Row[Any], seq: int) -> None:
            attrs = json.loads(getattr(row, column))
            attrs[key] = json.loads(text)
            update_trial(conn, row, seq, **{column: dumps(attrs)})

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
        held = self._cache.live(trial_id)
        if held is not None:
            return held
        return self._codec.to_trial(self._read_trial(trial_id))

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

        return self._db.tx(tx, write=False, atomic=False)

    def get_trials_changed_since(self, study_id: int, mark: int) -> tuple[list[FrozenTrial], int]:
        rows, new_mark = self._changes(study_id, mark)
        trials = [self._codec.to_trial_or_skip(r) for r in rows]
        return [t for t in trials if t is not None], new_mark

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = self._cache.sync(study_id, self._changes, self._codec.to_trial_or_skip)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def pop_waiting_trial(self, study_id: int) -> int | None:
        def peek(conn: sa.Connection) -> sa.Row[Any] | None:
            return conn.execute(self._sql.first_waiting, {"sid": study_id}).one_or_none()

        # A lock-free look first: most calls find nothing waiting.
        first = self._db.tx(peek, write=False, atomic=False)
        if first is None:
            raise KeyError(f"No study with id {study_id}.")
        if first.trial_id is None:
            return None

        def tx(conn: sa.Connection) -> sa.Row[Any] | None:
            study = lock_study(conn, study_id)
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
                    start_us=self._db.now,
                    change_seq=bump(conn, study),
                    **self._heartbeat.beat_now(),
                )
                .returning(*_T_.c)
            ).one()

        row = self._db.tx(tx, write=True)
        if row is None:
            return None
        tid = int(row.trial_id)
        self._cache.set_study_of(tid, study_id)
        self._cache.put(self._codec.to_trial(row), int(row.change_seq))
        self._heartbeat.own(tid)
        return tid

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        def tx(conn: sa.Connection) -> list[int]:
            require_study(conn, study_id)
            return [
                int(s)
                for s in conn.execute(
                    sa.select(_T_.c.state).where(_T_.c.study_id == study_id)
                ).scalars()
            ]

        got = self._db.tx(tx, write=False)
        if states is None:
            return len(got)
        return sum(1 for s in got if TrialState(s) in states)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        def tx(conn: sa.Connection) -> int | None:
            require_study(conn, study_id)
            return conn.execute(
                sa.select(_T_.c.trial_id).where(
                    _T_.c.study_id == study_id, _T_.c.number == trial_number
                )
            ).scalar()

        tid = self._db.tx(tx, write=False)
        if tid is None:
            raise KeyError(f"No trial number {trial_number} in study {study_id}.")
        return int(tid)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        def tx(conn: sa.Connection) -> int | None:
            return conn.execute(sa.select(_T_.c.number).where(_T_.c.trial_id == trial_id)).scalar()

        number = self._db.tx(tx, write=False)
        if number is None:
            raise KeyError(f"No trial with id {trial_id}.")
        return int(number)
