"""JournalStorage: the storage contract, torn records, lock kinds, incremental replay,
heartbeats; real processes (with SIGKILLed writers) in the slow lane."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import pickle
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _journal_workers as workers
import pytest
from hypothesis import settings

import hyperdial
from hyperdial._direction import StudyDirection
from hyperdial.distributions import FloatDistribution
from hyperdial.exceptions import ReadOnlyStorageError, StorageInternalError
from hyperdial.samplers import RandomSampler
from hyperdial.storages import JournalStorage
from hyperdial.storages.journal import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFilePosixLock,
    JournalFileSymlinkLock,
)
from hyperdial.testing import StorageContract
from hyperdial.trial import TrialState

_MIN = [StudyDirection.MINIMIZE]
_LOCKS: dict[str, Callable[[str], BaseJournalFileLock]] = {
    "posix": JournalFilePosixLock,
    "open": JournalFileOpenLock,
    "symlink": JournalFileSymlinkLock,
}


class TestJournalStorage(StorageContract):
    # Fewer property examples than the default: each one appends to and replays a file.
    hypothesis_settings = settings(max_examples=10, deadline=None, database=None)

    @pytest.fixture
    def storage(self, tmp_path: Path) -> JournalStorage:
        return JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "journal.log")


def _journal(path: str, lock: str = "posix", **kwargs: Any) -> JournalStorage:
    return JournalStorage(JournalFileBackend(path, _LOCKS[lock](path)), **kwargs)


def _quadratic(trial: hyperdial.Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) ** 2 + trial.suggest_int("n", 0, 3)


# == as a study's storage =========================================================================
@pytest.mark.parametrize("lock", sorted(_LOCKS))
def test_threads_of_a_study_get_gap_free_numbers(path: str, lock: str) -> None:
    study = hyperdial.create_study(storage=_journal(path, lock), sampler=RandomSampler(seed=0))
    study.optimize(_quadratic, n_trials=30, n_jobs=4)
    assert sorted(t.number for t in study.trials) == list(range(30))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}


def test_two_storage_objects_interleave_like_two_processes(path: str) -> None:
    """Two storages on one file (each with its own replayed state, as two processes have):
    trials numbered in the order of the log, each enqueued trial popped once."""
    a, b = _journal(path), _journal(path)
    study_a = hyperdial.create_study(storage=a, study_name="s", sampler=RandomSampler(seed=1))
    study_b = hyperdial.load_study(study_name="s", storage=b, sampler=RandomSampler(seed=2))
    for i in range(6):
        study_a.enqueue_trial({"x": i / 10, "n": 1})
    for _ in range(5):
        study_a.optimize(_quadratic, n_trials=1)
        study_b.optimize(_quadratic, n_trials=1)
    for s in (a, b):  # the enqueued trials first (each run once), then four new ones
        trials = s.get_all_trials(s.get_study_id_from_name("s"))
        assert [t.number for t in trials] == list(range(10))
        assert {t.state for t in trials} == {TrialState.COMPLETE}
        assert [t.params["x"] for t in trials[:6]] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert study_a.trials == study_b.trials


def test_a_reopened_journal_continues_numbering(path: str) -> None:
    study = hyperdial.create_study(storage=_journal(path), study_name="r")
    study.optimize(_quadratic, n_trials=4)
    again = hyperdial.load_study(study_name="r", storage=_journal(path))
    again.optimize(_quadratic, n_trials=3)
    assert [t.number for t in again.trials] == list(range(7))
    # Everything a replay rebuilds matches what the writer saw, timestamps included.
    assert again.trials[:4] == study.trials[:4]


def test_in_memory_and_journal_agree_on_a_study(path: str) -> None:
    def run(storage: Any) -> list[Any]:
        study = hyperdial.create_study(storage=storage, sampler=RandomSampler(seed=3))
        study.optimize(_quadratic, n_trials=10)
        return [(t.params, t.values, t.state) for t in study.trials]

    assert run(None) == run(_journal(path))


def test_storage_and_study_pickle_and_reopen(path: str) -> None:
    storage = _journal(path)
    study = hyperdial.create_study(storage=storage, study_name="p")
    study.optimize(_quadratic, n_trials=3)
    copy = pickle.loads(pickle.dumps(storage))
    assert copy is not storage and repr(copy) == repr(storage)
    assert copy.get_all_trials(copy.get_study_id_from_name("p")) == study.trials
    revived = pickle.loads(pickle.dumps(study))
    revived.optimize(_quadratic, n_trials=2)
    assert [t.number for t in study.trials] == list(range(5))  # written to the same file


# == the log ======================================================================================
def _lines(path: str) -> list[str]:
    with open(path, "rb") as f:
        return f.read().decode().split("\n")


def test_records_are_json_lines_with_a_header(path: str) -> None:
    storage = _journal(path)
    sid = storage.create_new_study(_MIN, "s")
    storage.create_new_trial(sid)
    lines = _lines(path)
    assert lines[-1] == ""  # every record ends with a newline
    records = [json.loads(line) for line in lines[:-1]]
    assert [r["op"] for r in records] == ["journal", "study", "trial"]
    assert records[0]["lock"] == "posix" and records[0]["format"] == 1


def test_a_torn_last_record_is_skipped_and_the_next_append_starts_a_new_line(
    path: str, hyperdial_log: list[Any]
) -> None:
    storage = _journal(path)
    sid = storage.create_new_study(_MIN, "s")
    tid = storage.create_new_trial(sid)
    with open(path, "ab") as f:  # a writer killed in the middle of a record
        f.write(b'{"op":"iv","tid":0,"step":7,"va')
    reader = _journal(path)  # reads past nothing: the torn tail may still be being written
    assert reader.get_trial(tid).intermediate_values == {}
    assert hyperdial_log == []
    storage.set_trial_intermediate_value(tid, 1, 0.5)
    storage.set_trial_state_values(tid, TrialState.COMPLETE, [1.0])
    lines = _lines(path)
    assert lines[-4] == '{"op":"iv","tid":0,"step":7,"va'  # still alone on its line
    for s in (reader, _journal(path)):
        t = s.get_trial(tid)
        assert t.intermediate_values == {1: 0.5} and t.state == TrialState.COMPLETE
    assert any("damaged record" in r.getMessage() for r in hyperdial_log)


def test_a_torn_record_in_the_middle_is_skipped_with_a_warning(
    path: str, hyperdial_log: list[Any]
) -> None:
    storage = _journal(path)
    sid = storage.create_new_study(_MIN, "s")
    storage.create_new_trial(sid)
    with open(path, "ab") as f:
        f.write(b'{"op":"trial","sid":0,"sta\n\x00\x00\x00\n')
    storage.create_new_trial(sid)
    fresh = _journal(path)
    assert [t.number for t in fresh.get_all_trials(sid)] == [0, 1]
    warnings = [r.getMessage() for r in hyperdial_log if "damaged record" in r.getMessage()]
    assert len(warnings) == 4  # the torn line and the line of NUL bytes, by each reader


def test_replay_is_incremental(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    writer, reader = _journal(path), _journal(path)
    sid = writer.create_new_study(_MIN, "s")
    for _ in range(20):
        writer.create_new_trial(sid)
    assert len(reader.get_all_trials(sid)) == 20
    backend = reader.log_storage
    assert isinstance(backend, JournalFileBackend)
    offsets: list[int] = []
    original = backend._read_from

    def spy(offset: int) -> bytes:
        offsets.append(offset)
        return original(offset)

    monkeypatch.setattr(backend, "_read_from", spy)
    size = os.path.getsize(path)
    writer.create_new_trial(sid)
    assert len(reader.get_all_trials(sid)) == 21
    assert reader.get_n_trials(sid) == 21
    assert offsets == [size, os.path.getsize(path)]  # only the new bytes, then nothing new


def test_a_failed_append_replays_the_log_again(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = _journal(path)
    sid = storage.create_new_study(_MIN, "s")
    tid = storage.create_new_trial(sid)
    _, mark = storage.get_trials_changed_since(sid, 0)
    backend = storage.log_storage

    def full(data: bytes) -> None:
        raise StorageInternalError("disk full")

    monkeypatch.setattr(backend, "_append_bytes", full)
    with pytest.raises(StorageInternalError, match="disk full"):
        storage.set_trial_user_attr(tid, "k", 1)
    monkeypatch.undo()
    assert storage.get_trial(tid).user_attrs == {}  # what the log holds, not what was tried
    changed, new_mark = storage.get_trials_changed_since(sid, mark)
    assert [t._trial_id for t in changed] == [tid] and new_mark > mark  # marks stay valid
    storage.set_trial_user_attr(tid, "k", 2)
    assert _journal(path).get_trial(tid).user_attrs == {"k": 2}


def test_fsync_mode_flushes_each_write_after_releasing_the_lock(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = JournalFileBackend(path, fsync=True)
    storage = JournalStorage(backend)
    sid = storage.create_new_study(_MIN, "s")
    held_at_fsync: list[bool] = []
    real_fsync, real_release = os.fsync, backend._lock_obj.release
    released = [False]

    def release() -> None:
        real_release()
        released[0] = True

    def fsync(fd: int) -> None:
        held_at_fsync.append(not released[0])
        real_fsync(fd)

    monkeypatch.setattr(backend._lock_obj, "release", release)
    monkeypatch.setattr(os, "fsync", fsync)
    for _ in range(3):
        released[0] = False
        storage.create_new_trial(sid)
    assert held_at_fsync == [False, False, False]  # one fsync per write, none under the lock
    assert _journal(path).get_n_trials(sid) == 3


def test_an_optuna_journal_is_refused_clearly(path: str) -> None:
    with open(path, "w") as f:
        f.write('{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}\n')
    with pytest.raises(StorageInternalError, match="Optuna's JournalStorage"):
        _journal(path).get_all_studies()


def test_a_newer_format_is_refused(path: str) -> None:
    with open(path, "w") as f:
        f.write('{"op":"journal","format":99,"lock":"posix"}\n')
    with pytest.raises(StorageInternalError, match="newer hyperdial"):
        _journal(path).get_all_studies()


def test_writers_with_another_kind_of_lock_are_refused(path: str) -> None:
    _journal(path, "posix").create_new_study(_MIN, "s")
    other = _journal(path, "symlink")
    assert other.get_study_id_from_name("s") == 0  # reading is fine
    with pytest.raises(ValueError, match="same kind of lock"):
        other.create_new_study(_MIN, "t")


# == paths and permissions ========================================================================
def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    bad = str(tmp_path / "no" / "such" / "dir" / "x.log")
    with pytest.raises(FileNotFoundError, match=r"file_path .*x\.log.* does not exist"):
        JournalFileBackend(bad)


def test_a_directory_is_not_a_journal(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="is a directory"):
        JournalFileBackend(str(tmp_path))


def test_bad_arguments_are_named(path: str) -> None:
    with pytest.raises(TypeError, match="log_storage"):
        JournalStorage(path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lock_obj"):
        JournalFileBackend(path, lock_obj="lock")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="grace_period"):
        JournalFileOpenLock(path, grace_period=0)


@pytest.mark.parametrize("lock", sorted(_LOCKS))
def test_a_read_only_journal_is_readable_and_refuses_writes_clearly(
    path: str, lock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _journal(path, lock)
    sid = storage.create_new_study(_MIN, "s")
    storage.create_new_trial(sid)
    # Permission bits do not stop root, so the file system's refusal is simulated.
    real_open, real_symlink = os.open, os.symlink

    def refuse(p: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", p)
        return real_open(p, flags, *args, **kwargs)

    def refuse_link(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "open", refuse)
    monkeypatch.setattr(os, "symlink", refuse_link)
    reader = _journal(path, lock)
    assert reader.get_n_trials(sid) == 1
    with pytest.raises(ReadOnlyStorageError, match=r"journal\.log"):
        reader.create_new_trial(sid)
    monkeypatch.setattr(os, "open", real_open)
    monkeypatch.setattr(os, "symlink", real_symlink)
    assert storage.get_n_trials(sid) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_file_refuses_writes(path: str) -> None:
    storage = _journal(path)
    sid = storage.create_new_study(_MIN, "s")
    os.chmod(path, 0o444)
    with pytest.raises(ReadOnlyStorageError, match=r"journal\.log"):
        _journal(path).create_new_trial(sid)


# == locks ========================================================================================
def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _acquire_in_thread(lock: BaseJournalFileLock) -> tuple[threading.Thread, threading.Event]:
    got = threading.Event()

    def run() -> None:
        lock.acquire()
        got.set()
        lock.release()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, got


def _plant(path: str, kind: str, owner: str) -> str:
    lock_path = os.path.abspath(path) + ".lock"
    if kind == "symlink":
        os.symlink(owner, lock_path)
    else:
        with open(lock_path, "w") as f:
            f.write(owner)
    return lock_path


@pytest.mark.parametrize("kind", ["open", "symlink"])
def test_a_lock_file_of_a_dead_local_process_is_removed(
    path: str, kind: str, hyperdial_log: list[Any]
) -> None:
    lock_path = _plant(path, kind, f"{socket.gethostname()}:{_dead_pid()}:abc")
    lock = _LOCKS[kind](path)
    assert isinstance(lock, (JournalFileOpenLock, JournalFileSymlinkLock))
    lock.grace_period = None  # the owner is known dead: no grace period needed
    thread, got = _acquire_in_thread(lock)
    thread.join(30)
    assert got.is_set()
    assert not os.path.lexists(lock_path)  # released again
    assert any("process is gone" in r.getMessage() for r in hyperdial_log)


@pytest.mark.parametrize("kind", ["open", "symlink"])
def test_a_lock_file_of_another_host_is_removed_after_the_grace_period(
    path: str, kind: str
) -> None:
    _plant(path, kind, "elsewhere.example:123:abc")
    lock = _LOCKS[kind](path)
    assert isinstance(lock, (JournalFileOpenLock, JournalFileSymlinkLock))
    lock.grace_period = 0.2
    thread, got = _acquire_in_thread(lock)
    thread.join(30)
    assert got.is_set()


@pytest.mark.parametrize("kind", ["open", "symlink"])
def test_a_live_lock_file_is_waited_for(path: str, kind: str) -> None:
    lock_path = _plant(path, kind, f"{socket.gethostname()}:{os.getppid()}:abc")
    lock = _LOCKS[kind](path)
    assert isinstance(lock, (JournalFileOpenLock, JournalFileSymlinkLock))
    lock.grace_period = None
    thread, got = _acquire_in_thread(lock)
    assert not got.wait(0.3)  # its owner is alive: not broken
    os.unlink(lock_path)  # the owner releases it
    thread.join(30)
    assert got.is_set()


@pytest.mark.parametrize("kind", sorted(_LOCKS))
def test_locks_exclude_threads_and_storage_objects(path: str, kind: str) -> None:
    """Many storage objects (each with its own lock object) appending from threads: every
    record lands whole and numbers stay gap-free."""
    storages = [_journal(path, kind) for _ in range(4)]
    sid = storages[0].create_new_study(_MIN, "s")

    def work(i: int) -> None:
        s = storages[i % 4]
        for _ in range(10):
            tid = s.create_new_trial(sid)
            s.set_trial_state_values(tid, TrialState.COMPLETE, [float(i)])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trials = _journal(path, kind).get_all_trials(sid)
    assert [t.number for t in trials] == list(range(80))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert not os.path.lexists(os.path.abspath(path) + ".lock")


def test_locks_pickle(path: str) -> None:
    for lock in (JournalFilePosixLock(path), JournalFileOpenLock(path, 5)):
        assert repr(pickle.loads(pickle.dumps(lock))) == repr(lock)


# == heartbeats ===================================================================================
def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def test_a_trial_without_heartbeats_is_failed_and_retried_once(path: str) -> None:
    owner = _journal(path, heartbeat_interval=100.0, max_retry=1)
    sid = owner.create_new_study(_MIN, "s")
    tid = owner.create_new_trial(sid)
    owner.set_trial_param(tid, "x", 0.25, FloatDistribution(0, 1))
    owner._owned.clear()  # as if its process died: no more heartbeats
    reaper = _journal(path, heartbeat_interval=0.1, grace_period=0.2, max_retry=1)
    _wait_for(lambda: reaper.get_trial(tid).state == TrialState.FAIL, 30, "the trial to fail")
    failed, retry = owner.get_all_trials(sid)
    assert "heartbeat" in failed.system_attrs["fail_reason"]
    assert retry.state == TrialState.WAITING
    assert retry.system_attrs["fixed_params"] == {"x": 0.25}
    assert retry.system_attrs["retry_history"] == [0]
    assert reaper.fail_stale_trials() == []  # once


def test_a_live_worker_with_heartbeats_is_not_failed(path: str) -> None:
    storage = _journal(path, heartbeat_interval=0.1, grace_period=0.15)
    reaper = _journal(path, heartbeat_interval=0.1, grace_period=0.15)
    study = hyperdial.create_study(storage=storage)

    def slow(trial: hyperdial.Trial) -> float:
        time.sleep(0.6)  # several grace periods
        return 1.0

    study.optimize(slow, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]
    assert reaper.fail_stale_trials() == []


def test_trials_of_workers_without_heartbeats_are_never_failed(path: str) -> None:
    plain = _journal(path)
    sid = plain.create_new_study(_MIN, "s")
    tid = plain.create_new_trial(sid)
    reaper = _journal(path, heartbeat_interval=0.1, grace_period=0.1)
    reaper.get_all_trials(sid)
    time.sleep(0.3)
    assert reaper.fail_stale_trials() == []
    assert reaper.get_trial(tid).state == TrialState.RUNNING


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heartbeat_interval": 0.0}, "heartbeat_interval"),
        ({"grace_period": 1.0}, "needs `heartbeat_interval`"),
        ({"heartbeat_interval": 2.0, "grace_period": 1.0}, "grace_period"),
        ({"max_retry": 1}, "max_retry"),
    ],
)
def test_heartbeat_arguments_are_checked(path: str, kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _journal(path, **kwargs)


# == real processes ===============================================================================
def _spawn() -> multiprocessing.context.SpawnContext:
    return multiprocessing.get_context("spawn")


@pytest.mark.slow  # worker processes
def test_processes_share_one_study_without_gaps(path: str) -> None:
    """8 processes x 25 trials: 200 COMPLETE trials numbered 0..199."""
    n_procs, n_trials = 8, 25
    hyperdial.create_study(storage=_journal(path), study_name="mp")
    with _spawn().Pool(n_procs) as pool:
        pool.starmap(workers.optimize, [(path, "mp", n_trials, i) for i in range(n_procs)])
    trials = hyperdial.load_study(study_name="mp", storage=_journal(path)).trials
    assert [t.number for t in trials] == list(range(n_procs * n_trials))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    per_worker = [t.user_attrs["worker"] for t in trials]
    assert sorted(per_worker.count(i) for i in range(n_procs)) == [n_trials] * n_procs
    assert all(t.intermediate_values == {0: t.value} for t in trials)


@pytest.mark.slow  # worker processes
def test_processes_pop_each_enqueued_trial_once(path: str) -> None:
    n_procs, n_enqueued = 8, 100
    study = hyperdial.create_study(storage=_journal(path), study_name="q")
    for i in range(n_enqueued):
        study.enqueue_trial({"i": i})
    with _spawn().Pool(n_procs) as pool:
        popped = pool.starmap(workers.pop_all, [(path, "q")] * n_procs)
    flat = [tid for ids in popped for tid in ids]
    assert len(flat) == n_enqueued and len(set(flat)) == n_enqueued
    trials = study.get_trials(deepcopy=False)
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert sorted(t.user_attrs["runs"] for t in trials) == [1] * n_enqueued


@pytest.mark.slow  # worker processes, repeated SIGKILLs
def test_sigkilled_writers_lose_nothing_but_their_running_trial(tmp_path: Path) -> None:
    """Four workers with heartbeats run short trials; twelve times a random worker is
    SIGKILLed at an arbitrary moment (in an objective, inside the lock, in the middle of an
    append) and a new one takes its place. Afterwards: numbers are gap-free, every result a
    worker saw stored is there unchanged, nothing is left RUNNING, and every FAIL is a killed
    trial failed by the heartbeat, at most one per kill, each retried."""
    path = str(tmp_path / "journal.log")
    interval = 0.3
    hyperdial.create_study(storage=_journal(path), study_name="kill")
    rng = random.Random(0)
    procs: list[multiprocessing.process.BaseProcess] = []
    done_files: list[str] = []

    def start() -> None:
        done = str(tmp_path / f"done-{len(done_files)}.txt")
        done_files.append(done)
        p = _spawn().Process(target=workers.run_until_killed, args=(path, "kill", interval, done))
        p.start()
        procs.append(p)

    for _ in range(4):
        start()
    reader = _journal(path)
    _wait_for(lambda: reader.get_all_studies() and reader.get_n_trials(0) > 20, 120, "trials")
    n_kills = 12
    for _ in range(n_kills):
        before = reader.get_n_trials(0)
        _wait_for(lambda b=before: reader.get_n_trials(0) > b + 5, 120, "progress")  # type: ignore[misc]
        live = [p for p in procs if p.is_alive()]
        victim = rng.choice(live)
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join()
        start()
    _wait_for(lambda: reader.get_n_trials(0) > 400, 300, "more trials")
    # Stop the rest with SIGKILL too, then let a reaper with heartbeats clean up.
    for p in procs:
        if p.is_alive():
            assert p.pid is not None
            os.kill(p.pid, signal.SIGKILL)
        p.join()
    n_killed = n_kills + 4
    reaper = _journal(path, heartbeat_interval=interval, max_retry=1)
    _wait_for(
        lambda: not reaper.get_n_trials(0, states=(TrialState.RUNNING,)),
        60,
        "the killed trials to fail",
    )
    trials = reaper.get_all_trials(0)
    assert [t.number for t in trials] == list(range(len(trials)))
    stored = {t.number: t for t in trials}
    n_done = 0
    for done in done_files:
        if not os.path.exists(done):
            continue
        with open(done) as f:
            for line in f.read().splitlines():
                if not line.endswith(" ;"):
                    continue  # the worker was killed while writing this line
                number, value, _ = line.split()
                t = stored[int(number)]
                assert t.state == TrialState.COMPLETE and repr(t.value) == value
                n_done += 1
    assert n_done > 300
    failed = [t for t in trials if t.state == TrialState.FAIL]
    # Workers are inside a trial nearly all the time, so kills leave RUNNING trials behind.
    assert 0 < len(failed) <= n_killed
    for f in failed:
        assert "heartbeat" in f.system_attrs["fail_reason"]
        retries = [t for t in trials if t.system_attrs.get("failed_trial") == f.number]
        assert len(retries) == (0 if f.system_attrs.get("retry_history") else 1)
    assert {t.state for t in trials} <= {
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.WAITING,  # retries of the last kills, not run by anyone
    }
