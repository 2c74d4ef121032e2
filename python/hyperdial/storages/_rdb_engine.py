"""The database connection of :class:`~hyperdial.storages.RDBStorage`: engine, transactions,
schema check.

:class:`Database` owns the SQLAlchemy engine and runs every transaction of the storage (and of
its heartbeat) through :meth:`Database.tx`:

* on SQLite, connections autocommit single statements and a transaction of several statements
  sends ``BEGIN IMMEDIATE`` (writes: it takes the database's single write lock up front) or
  ``BEGIN DEFERRED`` (reads); the process's writers queue on a lock of their own first;
* on PostgreSQL, connections are in autocommit and a transaction sends its own ``BEGIN``;
* transient errors (SQLite "database is locked", PostgreSQL serialization failures and
  deadlocks, dropped connections) re-run the whole transaction after a jittered exponential
  backoff.

It also creates the schema of a new database and refuses one written by another schema
version (:func:`upgrade` migrates an older one). Importing this module imports SQLAlchemy.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from hyperdial.exceptions import ReadOnlyStorageError, StorageInternalError
from hyperdial.storages import _rdb_schema as schema
from hyperdial.storages._url import redact

__all__ = ["Database", "upgrade"]

_T = TypeVar("_T")

# Advisory-lock key that serialises schema creation on PostgreSQL ("hyperdial" in ASCII, cut).
_PG_SCHEMA_LOCK = 0x6879706572
_TRANSIENT_PG_CODES = {"40001", "40P01", "55P03"}


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


class Database:
    """A SQL database opened for one storage object.

    Args:
        url: The SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``).
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
        busy_timeout: Seconds a SQLite connection waits for the write lock.
        max_retries: Re-runs of a transaction that hit a transient error.
        label: How error messages name the storage.

    Attributes:
        dialect: ``"sqlite"`` or ``"postgresql"``.
        memory: True for an in-memory SQLite database (one shared connection).
        now: The SQL expression of "now" (database clock, microseconds since the epoch).
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: dict[str, Any],
        busy_timeout: float,
        max_retries: int,
        label: str,
    ) -> None:
        self.url = url
        self.label = label
        self._busy_timeout = busy_timeout
        self._max_retries = max_retries
        try:
            parsed = make_url(url)
        except (exc.ArgumentError, ValueError) as e:
            raise ValueError(
                f"url={redact(url)!r} is not a database URL ({redact(str(e))}); expected e.g. "
                "sqlite:///path/to/study.db or postgresql+psycopg://user:password@host/db."
            ) from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(
                f"url={redact(url)!r}: RDBStorage supports sqlite:/// and "
                "postgresql+psycopg:// URLs."
            )
        kwargs = dict(engine_kwargs)
        self.memory = self.dialect == "sqlite" and parsed.database in (None, "", ":memory:")
        if self.dialect == "sqlite":
            connect_args = {"timeout": busy_timeout, "check_same_thread": False}
            connect_args.update(kwargs.pop("connect_args", {}))
            kwargs["connect_args"] = connect_args
            if self.memory:
                kwargs.setdefault("poolclass", StaticPool)
        else:
            # Single statements run in autocommit (one round trip, no BEGIN/COMMIT); a
            # transaction of several statements sends its own BEGIN (see ``_install_hooks``).
            kwargs.setdefault("isolation_level", "AUTOCOMMIT")
        self._engine = sa.create_engine(parsed, **kwargs)
        self._install_hooks(self._engine)
        self.now = schema.now_us(self.dialect)
        self._pid = os.getpid()
        # SQLite has one writer at a time; making this process's threads queue here instead of
        # in SQLite's busy loop (which sleeps in steps) keeps them fast and fair. An in-memory
        # database has one shared connection, so every transaction takes the lock.
        self._write_lock = threading.Lock()

    def _install_hooks(self, engine: sa.Engine) -> None:
        sqlite = self.dialect == "sqlite"
        busy_ms = int(self._busy_timeout * 1000)
        memory = self.memory

        if sqlite:
            label = self.label

            @event.listens_for(engine, "do_connect")
            def _do_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
                return _connect_sqlite(dialect.loaded_dbapi, list(cargs), dict(cparams), label)

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                # We emit BEGIN ourselves (pysqlite's own transaction handling is
                # deferred-only); statements outside a BEGIN autocommit.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                if not memory:
                    _set_wal(cur)
                    cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # ``tx`` sets ``hyperdial_begin`` for a transaction of several statements; without
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

    def tx(self, fn: Callable[[sa.Connection], _T], *, write: bool, atomic: bool = True) -> _T:
        """Runs ``fn`` in one transaction, re-running it after transient errors.

        ``atomic=False`` is for ``fn`` that run a single statement: it then runs in autocommit,
        without the round trips of BEGIN and COMMIT (a statement is atomic by itself).
        """
        serialise = self.dialect == "sqlite" and (write or self.memory)
        sqlite_write = write and self.dialect == "sqlite"
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
                if self.dialect == "sqlite" and _is_read_only(e.orig):
                    raise ReadOnlyStorageError(
                        f"{self.label}: the database is read-only here (its file, its "
                        "directory or the URL's mode=ro/immutable), so it can be read but not "
                        "written. Copy it somewhere writable to add trials."
                    ) from e
                if isinstance(e, exc.IntegrityError):  # the callers' business (duplicates)
                    raise
                if not _is_transient(e):
                    raise StorageInternalError(_explain(e, self.label, self.dialect)) from e
                if attempt >= self._max_retries:
                    raise StorageInternalError(
                        f"{self.label}: gave up after {attempt + 1} attempts: "
                        f"{redact(repr(e.orig))}"
                    ) from e
                time.sleep(random.uniform(0.0, min(2.0, 0.01 * 2**attempt)))
                attempt += 1

    def check_schema(self) -> None:
        """Creates the schema in an empty database; refuses another schema version."""

        def read(conn: sa.Connection) -> int | None:
            if not sa.inspect(conn).has_table(schema.schema_version.name):
                return None
            version = conn.execute(sa.select(schema.schema_version.c.version)).scalar()
            if version is None:
                raise schema.SchemaVersionError(
                    f"The database {redact(self.url)!r} has a hyperdial schema-version table "
                    "with no version in it: it was damaged or not written by hyperdial. "
                    "Restore it from a backup, or use another database."
                )
            return int(version)

        version = self.tx(read, write=False)
        if version is None:
            version = self.tx(self._create_schema, write=True)
        _check_version(version, self.url)

    def _create_schema(self, conn: sa.Connection) -> int:
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})
        if sa.inspect(conn).has_table(schema.schema_version.name):  # another process won
            return int(conn.execute(sa.select(schema.schema_version.c.version)).scalar_one())
        schema.metadata.create_all(conn)
        conn.execute(sa.insert(schema.schema_version).values(id=1, version=schema.SCHEMA_VERSION))
        return schema.SCHEMA_VERSION


def _explain(e: exc.DBAPIError, label: str, dialect: str) -> str:
    """What a database error means for the user and what to do about it, in one line."""
    orig = redact(str(e.orig).strip().splitlines()[0] if str(e.orig).strip() else repr(e.orig))
    if dialect == "sqlite":
        if "unable to open database file" in orig:
            return (
                f"{label}: cannot open the database file ({orig}): check that its directory "
                "exists and that this process may read it."
            )
        if "file is not a database" in orig or "malformed" in orig:
            return (
                f"{label}: the file is not a SQLite database or is corrupted ({orig}): check "
                "the path, or restore the file from a backup."
            )
    elif isinstance(e, exc.OperationalError) and "connect" in orig.lower():
        return (
            f"{label}: cannot connect to the database server ({orig}): check that it runs and "
            "that the URL's host, port, database and credentials are right."
        )
    return (
        f"{label}: the database refused an operation ({type(e.orig).__name__}: {orig}). "
        "If the database was changed by something other than hyperdial, restore it from a "
        "backup; otherwise please report this."
    )


def _is_read_only(e: BaseException | None) -> bool:
    """True for SQLite's "attempt to write a readonly database" (any SQLITE_READONLY code)."""
    name = getattr(e, "sqlite_errorname", None)  # Python >= 3.11
    if isinstance(name, str):
        return name.startswith("SQLITE_READONLY")
    return "readonly database" in str(e)


def _set_wal(cur: Any) -> None:
    """Puts the database in WAL mode unless it is already in it or cannot be written.

    The mode is stored in the file, so a database this code wrote is in WAL mode already and
    a read-only connection finds it so. A read-only copy of a database in another mode is read
    in that mode (switching would be a write).
    """
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    except Exception as e:
        if not _is_read_only(e):
            raise


def _connect_sqlite(dbapi: Any, cargs: list[Any], cparams: dict[str, Any], label: str) -> Any:
    """Opens a SQLite connection; a WAL database that this process may not write is opened as
    an immutable snapshot.

    Reading a WAL database needs its ``-shm`` file, which SQLite must create when it does not
    exist; in a read-only directory (an archive, a read-only mount) it cannot, and every read
    fails with "unable to open database file" or "attempt to write a readonly database"
    (https://sqlite.org/wal.html#readonly). ``immutable=1`` reads the main file without the
    ``-shm`` file (https://sqlite.org/uri.html#uriimmutable): every write is then refused as
    read-only. Commits still in a ``-wal`` file are not seen (a warning says so); a database
    closed by its last writer has none.
    """
    conn = dbapi.connect(*cargs, **cparams)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except dbapi.OperationalError as e:
        conn.close()
        path = cargs[0] if cargs else None
        cantopen = getattr(e, "sqlite_errorname", "") == "SQLITE_CANTOPEN" or (
            "unable to open database file" in str(e)
        )
        if (
            cparams.get("uri")
            or not isinstance(path, str)
            or not os.path.isfile(path)
            or not (_is_read_only(e) or cantopen)
        ):
            raise
    wal = path + "-wal"
    if os.path.exists(wal) and os.path.getsize(wal) > 0:
        logging.getLogger("hyperdial").warning(
            f"{label}: the database cannot be written here, so it is read without its "
            f"write-ahead log {wal!r}; the commits that log still holds are not seen."
        )
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?immutable=1"
    return dbapi.connect(uri, **{**cparams, "uri": True})


def _check_version(version: int, url: str) -> None:
    url = redact(url)
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
        StorageInternalError: the database cannot be reached or read (the message says why).
    """
    shown = redact(url)
    engine = sa.create_engine(url)
    try:
        return _upgrade(engine, url, shown)
    except exc.DBAPIError as e:
        raise StorageInternalError(_explain(e, f"upgrade({shown!r})", engine.dialect.name)) from e
    finally:
        engine.dispose()


def _upgrade(engine: sa.Engine, url: str, shown: str) -> int:
    """The steps of :func:`upgrade`; ``shown`` is the URL as messages show it."""
    while True:
        with engine.begin() as conn:
            if not sa.inspect(conn).has_table(schema.schema_version.name):
                raise schema.SchemaVersionError(f"{shown!r} holds no hyperdial schema.")
            version = int(conn.execute(sa.select(schema.schema_version.c.version)).scalar_one())
            if version > schema.SCHEMA_VERSION:
                _check_version(version, url)
            if version == schema.SCHEMA_VERSION:
                return version
            step = schema.MIGRATIONS.get(version)
            if step is None:
                raise schema.SchemaVersionError(
                    f"No migration from hyperdial schema version {version} in {shown!r}."
                )
            step(conn)
            conn.execute(sa.update(schema.schema_version).values(version=version + 1))
