"""RDBStorage: the storage contract on SQLite and PostgreSQL, schema versions, real processes.

PostgreSQL tests need ``HYPERDIAL_TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets it).
Without it they are skipped, except under CI (``CI=true``), where a missing server is an error.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="RDBStorage needs SQLAlchemy: pip install . --group test")

import _rdb_workers as workers
import sqlalchemy as sa

import hyperdial
from hyperdial.exceptions import StorageInternalError
from hyperdial.storages import (
    InMemoryStorage,
    RDBStorage,
    SchemaVersionError,
    _heartbeat_args,
    get_storage,
    upgrade,
)
from hyperdial.storages import _rdb_schema as schema
from hyperdial.testing import StorageContract
from hyperdial.trial import FrozenTrial, TrialState

POSTGRES_URL_VAR = "HYPERDIAL_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The test server's URL; skips the test without one (fails instead under CI)."""
    url = os.environ.get(POSTGRES_URL_VAR)
    if url:
        return url
    reason = (
        f"{POSTGRES_URL_VAR} is not set: no PostgreSQL server to test against "
        "(.ci/run starts one; or export e.g. postgresql+psycopg://user:pw@localhost/db)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def fresh_postgres() -> str:
    """The PostgreSQL URL with every hyperdial table dropped (an empty storage)."""
    url = postgres_url()
    pytest.importorskip("psycopg", reason="PostgreSQL needs psycopg 3: pip install . --group test")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return fresh_postgres()


# == the contract =================================================================================
class TestSQLiteStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[RDBStorage]:
        s = RDBStorage(f"sqlite:///{tmp_path / 'db.sqlite3'}")
        yield s
        s.remove_session()


class TestSQLiteInMemoryStorage(StorageContract):
    def make_storage(self) -> RDBStorage:
        return RDBStorage("sqlite://")


class TestPostgreSQLStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> Iterator[RDBStorage]:
        s = RDBStorage(fresh_postgres())
        yield s
        s.remove_session()


# == URLs, engine, schema =========================================================================
def test_a_url_string_is_an_rdb_storage(sqlite_url: str) -> None:
    study = hyperdial.create_study(storage=sqlite_url, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert isinstance(get_storage(sqlite_url), RDBStorage)
    again = hyperdial.load_study(study_name="s", storage=sqlite_url)
    assert [t.number for t in again.trials] == [0, 1, 2]
    assert hyperdial.get_all_study_names(sqlite_url) == ["s"]


def test_unsupported_url_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="supports sqlite"):
        RDBStorage("mysql://u:p@localhost/db")
    with pytest.raises(ValueError, match="`url`"):
        RDBStorage("")


def test_sqlite_is_in_wal_mode(sqlite_url: str) -> None:
    storage = RDBStorage(sqlite_url)
    with storage.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000


def test_schema_has_unique_numbers_and_claims(url: str) -> None:
    storage = RDBStorage(url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    storage.create_new_trial(sid)
    storage.claim(sid, "k", "v")
    engine = sa.create_engine(url)  # the storage's own engine is in autocommit on PostgreSQL
    with engine.begin() as conn:
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(
                sa.insert(schema.trials).values(
                    study_id=sid,
                    number=0,
                    state=0,
                    params_json="{}",
                    user_attrs="{}",
                    system_attrs="{}",
                    intermediate_json="{}",
                    change_seq=99,
                )
            )
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(sa.insert(schema.claims).values(study_id=sid, key="k", value="w"))
    engine.dispose()


def _set_version(url: str, version: int) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(schema.schema_version).values(version=version))
    engine.dispose()


def test_newer_schema_is_refused(url: str) -> None:
    RDBStorage(url).remove_session()
    _set_version(url, schema.SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="newer than this hyperdial's"):
        RDBStorage(url)
    with pytest.raises(SchemaVersionError, match="newer"):
        upgrade(url)


def test_older_schema_is_refused_until_upgraded(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = RDBStorage(url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE], "kept")
    storage.set_trial_state_values(storage.create_new_trial(sid), TrialState.COMPLETE, [1.0])
    storage.remove_session()
    _set_version(url, schema.SCHEMA_VERSION - 1)
    with pytest.raises(SchemaVersionError, match=r"older .* hyperdial\.storages\.upgrade"):
        RDBStorage(url)
    steps: list[int] = []
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION - 1, lambda c: steps.append(1))
    assert upgrade(url) == schema.SCHEMA_VERSION
    assert steps == [1]
    assert upgrade(url) == schema.SCHEMA_VERSION  # idempotent
    reopened = RDBStorage(url)
    assert [
        t.values for t in reopened.get_all_trials(reopened.get_study_id_from_name("kept"))
    ] == [[1.0]]


def test_missing_migration_is_an_error(url: str) -> None:
    RDBStorage(url).remove_session()
    _set_version(url, 0)  # there never was a version 0
    with pytest.raises(SchemaVersionError, match="No migration"):
        upgrade(url)


def _load_v1_fixture(url: str) -> None:
    """Recreates the version-1 database of tests/data (see make_rdb_v1_fixture.py)."""
    dialect = sa.engine.make_url(url).get_backend_name()
    text = (Path(__file__).parent / "data" / f"rdb_schema_v1.{dialect}.sql").read_text()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in text.split(";\n"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    engine.dispose()


def test_a_real_version_1_database_is_refused_then_upgraded(url: str) -> None:
    """A database written by the version-1 code: refused with the way out, upgraded in place,
    then every record reads back and the study continues."""
    from hyperdial.distributions import CategoricalDistribution
    from hyperdial.trial._system_attrs import FIXED_PARAMS_KEY

    _load_v1_fixture(url)
    with pytest.raises(SchemaVersionError, match=r"version 1, older.*storages\.upgrade"):
        RDBStorage(url)
    assert upgrade(url) == schema.SCHEMA_VERSION == 2
    storage = RDBStorage(url)
    with storage.engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("hd_trials")}
    assert "hd_trials_state_heartbeat" in indexes
    study = hyperdial.load_study(study_name="v1-study", storage=storage)
    assert study.user_attrs == {"owner": "fixture"}
    assert storage.get_claims(study._study_id) == {"grid:0": "taken"}
    trials = study.trials
    assert [t.number for t in trials] == list(range(8))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.FAIL] + [
        TrialState.COMPLETE
    ] * 3 + [TrialState.WAITING]
    for t in trials[:6]:
        x = t.params["x"]
        assert t.intermediate_values == {0: x, 1: x / 2}
        assert t.user_attrs == {"c_is_none": t.params["c"] is None}
        assert t.values == (None if t.number == 3 else [x * x])
        assert isinstance(t.distributions["c"], CategoricalDistribution)
    assert trials[6].params == {"x": 0.5, "c": "b"} and trials[6].values == [0.25]
    assert trials[6].datetime_start is not None and trials[6].datetime_start.year == 2026
    assert trials[7].system_attrs[FIXED_PARAMS_KEY] == {"x": 1.5, "c": "a"}  # enqueued
    empty = hyperdial.load_study(study_name="v1-empty", storage=storage)
    assert empty.direction == hyperdial.StudyDirection.MAXIMIZE and empty.trials == []

    study.optimize(lambda t: t.suggest_float("x", -2.0, 2.0) ** 2, n_trials=3)
    trials = study.trials
    assert [t.number for t in trials] == list(range(10))
    assert trials[7].state == TrialState.COMPLETE and trials[7].params == {"x": 1.5}
    assert {t.state for t in trials[8:]} == {TrialState.COMPLETE}
    with pytest.raises(ValueError, match="x"):  # the v1 study's distributions still hold
        storage.set_trial_param(
            storage.create_new_trial(study._study_id), "x", 0.0, CategoricalDistribution([0.0])
        )
    storage.remove_session()


def test_times_come_from_the_database_clock(url: str) -> None:
    """A trial's start time is the server's ``now``, not this process's clock."""
    storage = RDBStorage(url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    with storage.engine.connect() as conn:
        db_now = conn.execute(sa.select(schema.now_us(storage.engine.dialect.name))).scalar()
    start = storage.get_trial(storage.create_new_trial(sid)).datetime_start
    assert start is not None and start.tzinfo is not None
    assert abs(start.timestamp() * 1e6 - db_now) < 5e6


def test_storage_pickles_and_reopens(sqlite_url: str) -> None:
    import pickle

    storage = RDBStorage(sqlite_url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE], "p")
    clone = pickle.loads(pickle.dumps(storage))
    assert clone.get_study_id_from_name("p") == sid and clone.url == sqlite_url


def test_lock_errors_are_retried_then_reported(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient error re-runs the transaction; exactly one trial results."""
    storage = RDBStorage(sqlite_url, max_retries=3)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    real_connect = storage._db._engine.connect
    failures = [2]

    def flaky_connect() -> sa.Connection:
        if failures[0] > 0:
            failures[0] -= 1
            import sqlite3

            raise sa.exc.OperationalError(
                "BEGIN", {}, sqlite3.OperationalError("database is locked")
            )
        return real_connect()

    monkeypatch.setattr(storage._db._engine, "connect", flaky_connect)
    tid = storage.create_new_trial(sid)
    assert failures == [0]
    assert [t.trial_id for t in storage.get_all_trials(sid)] == [tid]
    assert storage.get_trial(tid).number == 0

    failures[0] = 10
    with pytest.raises(StorageInternalError, match="gave up after 4 attempts"):
        storage.create_new_trial(sid)


def test_a_held_sqlite_write_lock_is_waited_for(sqlite_url: str) -> None:
    """Another connection holding the write lock delays a write; it does not fail it."""
    import sqlite3
    import threading

    storage = RDBStorage(sqlite_url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    blocker = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    blocker.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, blocker.rollback).start()
    tid = storage.create_new_trial(sid)
    assert storage.get_trial(tid).number == 0
    blocker.close()


def test_get_all_trials_reads_only_changes(sqlite_url: str) -> None:
    """After the first read, a study's trials are fetched incrementally (few rows per call)."""
    storage = RDBStorage(sqlite_url)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    for _ in range(50):
        storage.set_trial_state_values(storage.create_new_trial(sid), TrialState.COMPLETE, [1.0])
    assert len(storage.get_all_trials(sid, deepcopy=False)) == 50
    rows_read: list[int] = []
    real = storage._changes

    def counting(study_id: int, mark: int):  # type: ignore[no-untyped-def]
        rows, new_mark = real(study_id, mark)
        rows_read.append(len(rows))
        return rows, new_mark

    storage._changes = counting  # type: ignore[method-assign]
    storage.create_new_trial(sid)
    assert len(storage.get_all_trials(sid, deepcopy=False)) == 51
    assert len(storage.get_all_trials(sid, deepcopy=False)) == 51
    assert rows_read == [1, 0]
    # Another process's writes are seen too (a second storage object on the same file).
    other = RDBStorage(sqlite_url)
    other.set_trial_user_attr(other.get_trial_id_from_study_id_trial_number(sid, 50), "k", 1)
    assert storage.get_all_trials(sid)[50].user_attrs == {"k": 1}
    assert rows_read[-1] == 1


# == real processes ===============================================================================
def _spawn() -> multiprocessing.context.SpawnContext:
    return multiprocessing.get_context("spawn")


@pytest.mark.slow  # worker processes
def test_processes_share_one_study_without_gaps(url: str) -> None:
    """8 processes x 25 trials: 200 COMPLETE trials numbered 0..199, none left RUNNING."""
    n_procs, n_trials = 8, 25
    hyperdial.create_study(storage=url, study_name="mp")
    with _spawn().Pool(n_procs) as pool:
        pool.starmap(workers.optimize, [(url, "mp", n_trials, i) for i in range(n_procs)])
    trials = hyperdial.load_study(study_name="mp", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(n_procs * n_trials))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert all(t.user_attrs["worker"] in range(n_procs) for t in trials)
    assert all(t.intermediate_values == {0: t.value} for t in trials)


@pytest.mark.slow
def test_sixteen_processes_times_fifty_trials(url: str) -> None:
    """16 processes x 50 trials on one database (the load that lost Optuna 5.0 workers on
    SQLite): 800 COMPLETE trials, numbers 0..799, every worker exits cleanly."""
    n_procs, n_trials = 16, 50
    hyperdial.create_study(storage=url, study_name="load")
    procs = [
        _spawn().Process(target=workers.optimize, args=(url, "load", n_trials, i))
        for i in range(n_procs)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    assert [p.exitcode for p in procs] == [0] * n_procs  # no worker died
    trials = hyperdial.load_study(study_name="load", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(n_procs * n_trials))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    per_worker = [t.user_attrs["worker"] for t in trials]
    assert sorted(per_worker.count(i) for i in range(n_procs)) == [n_trials] * n_procs


@pytest.mark.slow  # worker processes
def test_processes_pop_each_enqueued_trial_once(url: str) -> None:
    """8 processes pop 100 enqueued trials: each runs exactly once."""
    n_procs, n_enqueued = 8, 100
    study = hyperdial.create_study(storage=url, study_name="q")
    for i in range(n_enqueued):
        study.enqueue_trial({"i": i})
    with _spawn().Pool(n_procs) as pool:
        popped = pool.starmap(workers.pop_all, [(url, "q")] * n_procs)
    flat = [tid for ids in popped for tid in ids]
    assert len(flat) == n_enqueued and len(set(flat)) == n_enqueued
    trials = study.get_trials(deepcopy=False)
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert sorted(t.trial_id for t in trials) == sorted(flat)
    assert sorted(t.user_attrs["runs"] for t in trials) == [1] * n_enqueued


def test_a_resumed_study_continues_numbering(sqlite_url: str) -> None:
    """A study reopened from disk (as after a crash) continues with no loss or duplication."""
    hyperdial.create_study(storage=sqlite_url, study_name="r")
    proc = _spawn().Process(target=workers.optimize, args=(sqlite_url, "r", 5, 0))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    study = hyperdial.load_study(study_name="r", storage=sqlite_url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert [t.number for t in study.trials] == list(range(10))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}


def test_a_study_resumed_after_a_crash_loses_and_duplicates_nothing(url: str) -> None:
    """A worker is SIGKILLed at an arbitrary point of a run of short trials (maybe inside a
    transaction); the study reopened from the database has every finished trial intact, the
    killed trial is failed by the heartbeat and retried once, and the study goes on with
    gap-free numbers."""
    import signal

    hyperdial.create_study(storage=url, study_name="crash")
    proc = _spawn().Process(target=workers.run_until_killed, args=(url, "crash", 0.3))
    proc.start()
    reader = RDBStorage(url)
    sid = reader.get_study_id_from_name("crash")
    try:
        _wait_for(
            lambda: reader.get_n_trials(sid, states=(TrialState.COMPLETE,)) >= 20,
            120,
            "20 finished trials",
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    before = {t.number: (t.state, t.params, t.values) for t in reader.get_all_trials(sid)}
    reader.remove_session()
    # Reopen as a new process would, with heartbeats: the dead worker's trial is reaped.
    storage = RDBStorage(url, heartbeat_interval=0.3, max_retry=1)
    study = hyperdial.load_study(study_name="crash", storage=storage)
    _wait_for(
        lambda: TrialState.RUNNING not in {t.state for t in study.get_trials(deepcopy=False)},
        30,
        "the killed trial to fail",
    )
    study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0) ** 2, n_trials=5)
    trials = study.trials
    assert [t.number for t in trials] == list(range(len(trials)))
    for number, record in before.items():  # finished trials are as they were
        if record[0] == TrialState.COMPLETE:
            assert (trials[number].state, trials[number].params, trials[number].values) == record
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) <= 1  # at most the trial the kill interrupted
    for f in failed:
        (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == f.number]
        assert retry.state == TrialState.COMPLETE
        # The retry runs with the params the killed trial had (none, if the kill came before
        # its first suggest).
        assert f.params.items() <= retry.params.items()
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.FAIL}
    # The retry (if any) took the first of the 5 new trials, so nothing else was added.
    assert len(trials) == len(before) + 5
    if url.startswith("sqlite"):
        with storage.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    storage.remove_session()


def test_threads_and_storage_object_reuse(sqlite_url: str) -> None:
    study = hyperdial.create_study(storage=RDBStorage(sqlite_url))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=8)
    assert sorted(t.number for t in study.trials) == list(range(40))


def test_in_memory_and_rdb_agree_on_a_study(sqlite_url: str) -> None:
    """The same seeded study gives the same records in both storages."""
    from hyperdial.samplers import RandomSampler

    def run(storage: object) -> list[FrozenTrial]:
        study = hyperdial.create_study(storage=storage, sampler=RandomSampler(seed=3))  # type: ignore[arg-type]
        study.optimize(
            lambda t: (
                t.suggest_float("x", -1, 1)
                + t.suggest_int("n", 0, 3)
                + len(t.suggest_categorical("c", ["a", "bb"]))
            ),
            n_trials=10,
        )
        return study.trials

    a, b = run(InMemoryStorage()), run(sqlite_url)
    assert [(t.params, t.values, t.state) for t in a] == [(t.params, t.values, t.state) for t in b]


# == heartbeats ===================================================================================
def _wait_for(predicate, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    """Polls ``predicate`` until it is true; the seconds it took."""
    import time

    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_killed_workers_trial_fails_within_two_intervals_and_is_retried_once(url: str) -> None:
    import signal

    interval = 1.0
    study = hyperdial.create_study(storage=url, study_name="hb")
    # This process is another worker: its storage's heartbeat thread is the reaper.
    watcher = RDBStorage(url, heartbeat_interval=interval, max_retry=1)
    sid = watcher.get_study_id_from_name("hb")
    proc = _spawn().Process(target=workers.hang, args=(url, "hb", interval))
    proc.start()
    try:
        _wait_for(
            lambda: (
                watcher.get_all_trials(sid, deepcopy=False)
                and watcher.get_all_trials(sid, deepcopy=False)[0].params
            ),
            60,
            "the worker's trial to start",
        )
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    took = _wait_for(
        lambda: (
            watcher.get_trial(watcher.get_trial_id_from_study_id_trial_number(sid, 0)).state
            == TrialState.FAIL
        ),
        10,
        "the killed trial to fail",
    )
    assert took < 2 * interval + 1.0  # + slack for a loaded CI machine
    failed, retry = watcher.get_all_trials(sid)
    assert "heartbeat" in failed.system_attrs["fail_reason"]
    assert retry.state == TrialState.WAITING
    assert retry.system_attrs["failed_trial"] == 0
    assert retry.system_attrs["retry_history"] == [0]
    # The retry runs with the failed trial's parameters, in whichever worker asks next.
    study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0), n_trials=1)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert trials[1].params == failed.params
    watcher.remove_session()


def test_a_slow_live_worker_is_not_failed(sqlite_url: str) -> None:
    import time

    reaper = RDBStorage(sqlite_url, heartbeat_interval=0.2)  # another process's view
    storage = RDBStorage(sqlite_url, heartbeat_interval=0.2)
    study = hyperdial.create_study(storage=storage)

    def slow(trial: object) -> float:
        time.sleep(1.2)  # six heartbeat intervals
        return 1.0

    study.optimize(slow, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]
    assert reaper.fail_stale_trials() == []


def test_remove_session_while_heartbeats_run_leaks_no_connection(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A beat in flight while remove_session disposes the pool must not return its connection
    # to the disposed pool, where nothing closes it (psycopg: "deleted while still open").
    import gc
    import time
    import warnings

    # Beats far more often than a user may ask for, to race them against remove_session.
    monkeypatch.setattr(_heartbeat_args, "MIN_HEARTBEAT_INTERVAL", 0.01)
    storage = RDBStorage(url, heartbeat_interval=0.02)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    storage.create_new_trial(sid)  # a RUNNING trial of this process: every tick beats
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(200):
            storage.remove_session()
            time.sleep(0.002)
        storage.remove_session()
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks[:3]]


def test_racing_reapers_fail_a_stale_trial_once(url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    owner = RDBStorage(url, heartbeat_interval=100.0, max_retry=1)
    sid = owner.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    tid = owner.create_new_trial(sid)
    owner._heartbeat.disown(tid)  # as if its process died
    with owner.engine.begin() as conn:
        conn.execute(sa.update(schema.trials).values(heartbeat_us=0))
    reapers = [RDBStorage(url, heartbeat_interval=100.0, max_retry=1) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda r: r.fail_stale_trials(), reapers))
    # At most one of them fails it (every storage's background heartbeat thread reaps too, so
    # it may have been first); the states show it was failed and retried exactly once.
    assert sorted(map(len, results)) in ([0, 0, 0, 0], [0, 0, 0, 1])
    states = [t.state for t in owner.get_all_trials(sid)]
    assert states == [TrialState.FAIL, TrialState.WAITING]  # one retry, not four
    for r in [owner, *reapers]:
        r.remove_session()


def test_retries_stop_at_max_retry(sqlite_url: str) -> None:
    storage = RDBStorage(sqlite_url, heartbeat_interval=100.0, max_retry=1)
    sid = storage.create_new_study([hyperdial.StudyDirection.MINIMIZE])
    storage.create_new_trial(sid)
    for _ in range(2):
        tid = storage.pop_waiting_trial(sid) or storage.get_trial_id_from_study_id_trial_number(
            sid, 0
        )
        storage._heartbeat.disown(tid)
        with storage.engine.begin() as conn:
            conn.execute(sa.update(schema.trials).values(heartbeat_us=0))
        assert storage.fail_stale_trials() == [tid]
    trials = storage.get_all_trials(sid)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert trials[1].system_attrs["retry_history"] == [0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heartbeat_interval": 0.0}, "heartbeat_interval"),
        ({"grace_period": 1.0}, "needs `heartbeat_interval`"),
        ({"heartbeat_interval": 2.0, "grace_period": 1.0}, "grace_period"),
        ({"max_retry": 1}, "max_retry"),
    ],
)
def test_heartbeat_arguments_are_checked(
    sqlite_url: str, kwargs: dict[str, float], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        RDBStorage(sqlite_url, **kwargs)  # type: ignore[arg-type]
