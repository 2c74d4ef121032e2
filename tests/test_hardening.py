"""Regression tests of issue 21 (hardening): hostile inputs and faults, each handled the way a
user expects. One section per item of the issue. Each regression test failed before its fix;
a few tests beside them (a user's SIGTERM handler that raises, what add_trial keeps) pin
behaviour that already held."""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sqlalchemy", reason="most of these tests use RDBStorage")

import hyperdial
from hyperdial.distributions import FloatDistribution
from hyperdial.exceptions import ReadOnlyStorageError, StorageInternalError
from hyperdial.storages import RDBStorage
from hyperdial.trial import FrozenTrial, TrialState


def _sqlite_study(path: Path, n_trials: int = 2) -> str:
    url = f"sqlite:///{path}"
    study = hyperdial.create_study(
        storage=url, study_name="s", sampler=hyperdial.samplers.RandomSampler(seed=0)
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials)
    del study
    return url


# -- 1: read-only databases ----------------------------------------------------------------------
def _as_unprivileged(fn: Callable[[], Any]) -> Any:
    """Runs ``fn`` in a forked child that cannot write what only root may write; its result.

    Under root (which ignores permission bits) the child drops to uid/gid 65534 first, so the
    kernel really refuses the writes; as any other user the permission bits already do.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.close(r)
        try:
            if os.getuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            out: Any = {"ok": fn()}
        except BaseException as e:
            out = {"error": f"{type(e).__name__}: {e}"}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        text = f.read()
    os.waitpid(pid, 0)
    return json.loads(text)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_study_in_a_read_only_directory_can_be_read_not_written(tmp_path: Path) -> None:
    # Not under tmp_path: pytest's base directory is private to its user (mode 0700).
    folder = Path(tempfile.mkdtemp(prefix="hyperdial-ro-"))
    folder.chmod(0o755)
    url = _sqlite_study(folder / "s.db")
    RDBStorage(f"sqlite:///{tmp_path / 'warm.db'}").get_all_studies()  # imports, before fork
    assert sorted(os.listdir(folder)) == ["s.db"]  # no -wal / -shm beside a closed database
    os.chmod(folder / "s.db", 0o444)
    os.chmod(folder, 0o555)

    def child() -> Any:
        names = hyperdial.get_all_study_names(url)
        study = hyperdial.load_study(study_name="s", storage=url)
        got = [t.params["x"] for t in study.trials]
        try:
            study.ask()
        except ReadOnlyStorageError as e:
            return {"names": names, "n": len(got), "write": str(e)}
        return {"names": names, "n": len(got), "write": None}

    try:
        out = _as_unprivileged(child)
        assert sorted(os.listdir(folder)) == ["s.db"]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)
    assert "error" not in out, out
    assert out["ok"]["names"] == ["s"] and out["ok"]["n"] == 2
    assert "read-only" in out["ok"]["write"]


def test_a_read_only_uri_reads_and_refuses_writes_clearly(tmp_path: Path) -> None:
    _sqlite_study(tmp_path / "s.db")
    for query in ("mode=ro", "immutable=1"):
        url = f"sqlite:///file:{tmp_path / 's.db'}?{query}&uri=true"
        study = hyperdial.load_study(study_name="s", storage=url)
        assert len(study.trials) == 2
        assert hyperdial.get_all_study_names(url) == ["s"]
        with pytest.raises(ReadOnlyStorageError, match="read-only"):
            study.ask()
        with pytest.raises(ReadOnlyStorageError, match="read-only"):
            study.set_user_attr("k", 1)


# -- 2: parameter names with JSON-special characters ---------------------------------------------
def _storage_urls(tmp_path: Path) -> list[str | None]:
    urls: list[str | None] = [None, f"sqlite:///{tmp_path / 'p.db'}"]
    pg = os.environ.get("HYPERDIAL_TEST_POSTGRES_URL")
    if pg:
        import sqlalchemy as sa

        from hyperdial.storages import _rdb_schema as schema

        engine = sa.create_engine(pg)
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
        engine.dispose()
        urls.append(pg)
    return urls


_NASTY_NAMES = [
    'x"a',
    "a",
    '"a',
    'a"',
    '"a": ',
    '{"a": [0.5, "{}"]}',
    ', "a": ',
    "a\\",
    "\\",
    '\\"',
    "é\u2028\t",
    "",
]


def test_parameter_names_with_json_special_characters(tmp_path: Path) -> None:
    got = []
    for url in _storage_urls(tmp_path):
        study = hyperdial.create_study(
            storage=url, sampler=hyperdial.samplers.RandomSampler(seed=0)
        )
        trial = study.ask()
        values = {name: trial.suggest_float(name, 0, 1) for name in _NASTY_NAMES}
        with pytest.raises(ValueError, match="already has parameter"):
            study._storage.set_trial_param(
                trial._trial_id, 'x"a', 0.5, hyperdial.distributions.FloatDistribution(0, 1)
            )
        study.tell(trial, 0.0)
        (frozen,) = study.trials
        assert frozen.params == values
        got.append(sorted(frozen.params))
    assert all(g == sorted(_NASTY_NAMES) for g in got)


# -- 3: what an objective may return -------------------------------------------------------------
class _Scalar:
    """A tensor-like scalar: a real number only through ``__float__``."""

    def __init__(self, v: float) -> None:
        self.v = v

    def __float__(self) -> float:
        return self.v

    def __repr__(self) -> str:
        return f"_Scalar({self.v})"


class _BadScalar:
    def __float__(self) -> float:
        raise RuntimeError("a Tensor with 2 elements cannot be converted to Scalar")


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (Decimal("0.5"), 0.5),
        (Decimal("-Infinity"), -math.inf),
        (np.array(0.25), 0.25),
        (np.array(3, dtype=np.int8), 3.0),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (_Scalar(0.75), 0.75),
        (Fraction(1, 4), 0.25),
    ],
    ids=repr,
)
def test_objectives_may_return_what_converts_to_a_real_number(
    returned: Any, expected: float
) -> None:
    study = hyperdial.create_study()
    study.optimize(lambda t: returned, n_trials=1)
    (t,) = study.trials
    assert t.state == hyperdial.TrialState.COMPLETE, t.system_attrs
    assert t.value == expected
    trial = study.ask()
    trial.report(returned, 0)  # the same rule as report
    assert study.trials[-1].intermediate_values == {0: expected}


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (1 + 0j, "complex"),
        (np.complex128(1), "complex"),
        (np.array(1 + 0j), "complex"),
        ("0.5", "not a number"),
        (Decimal("NaN"), "NaN"),
        (Decimal("sNaN"), "not a real number"),
        (Decimal("1e400"), "too large for a float"),
        (_BadScalar(), "cannot be converted"),
        (np.array("0.5"), "not a number"),
        (_Scalar(math.nan), "NaN"),
    ],
    ids=repr,
)
def test_objectives_returning_no_real_number_fail_with_the_reason(
    returned: Any, reason: str
) -> None:
    study = hyperdial.create_study()
    study.optimize(lambda t: returned, n_trials=1)
    (t,) = study.trials
    assert t.state == hyperdial.TrialState.FAIL
    assert reason in t.system_attrs["fail_reason"]


def test_torch_scalars_complete_the_trial() -> None:
    torch = pytest.importorskip("torch")
    study = hyperdial.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: torch.tensor([0.5, 1.5]), n_trials=1)
    study.optimize(lambda t: (torch.tensor(0.5), torch.tensor(2.0)), n_trials=1)
    assert [t.values for t in study.trials] == [[0.5, 1.5], [0.5, 2.0]]


# -- 4: add_trial validates like a live trial ----------------------------------------------------
_T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _frozen(**kwargs: Any) -> FrozenTrial:
    args: dict[str, Any] = {
        "state": TrialState.COMPLETE,
        "values": [0.5],
        "params": {"x": 0.5},
        "distributions": {"x": FloatDistribution(0, 1)},
    }
    args.update(kwargs)
    return FrozenTrial(**args)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: _frozen(intermediate_values={1.7: 0.5}), ValueError, "intermediate_values.*1.7"),
        (lambda: _frozen(intermediate_values={"1": 0.5}), ValueError, "intermediate_values.*'1'"),
        (lambda: _frozen(intermediate_values={-1: 0.5}), ValueError, "intermediate_values.*-1"),
        (lambda: _frozen(intermediate_values={True: 0.5}), ValueError, "intermediate_values"),
        (lambda: _frozen(intermediate_values={1: "x"}), TypeError, "intermediate_values.*'x'"),
        (lambda: _frozen(intermediate_values={1: None}), TypeError, "intermediate_values"),
        (lambda: _frozen(user_attrs={"k": object()}), TypeError, "user_attrs.*'k'"),
        (lambda: _frozen(user_attrs={1: "v"}), TypeError, "user_attrs.*1"),
        (lambda: _frozen(system_attrs={"k": {1, 2}}), TypeError, "system_attrs.*'k'"),
        (lambda: _frozen(values=["0.5"]), TypeError, "values.*'0.5'"),
        (lambda: _frozen(values=[1j]), TypeError, "values.*complex"),
        (lambda: _frozen(value="0.5", values=None), TypeError, "value.*'0.5'"),
        (
            lambda: _frozen(datetime_start=_T0, datetime_complete=_T0 - datetime.timedelta(1)),
            ValueError,
            "datetime_complete.*before.*datetime_start",
        ),
        (lambda: _frozen(datetime_start="2026-01-01"), TypeError, "datetime_start"),
        (
            lambda: _frozen(distributions={"x": '{"name": "FloatDistribution"}'}),
            TypeError,
            "distributions.*'x'",
        ),
        (lambda: _frozen(params={"x": "0.5"}), ValueError, "'x'"),
    ],
)
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_add_trial_validates_its_input_like_a_live_trial(
    tmp_path: Path, kind: str, make: Callable[[], FrozenTrial], error: type, match: str
) -> None:
    storage = None if kind == "memory" else f"sqlite:///{tmp_path / 'a.db'}"
    study = hyperdial.create_study(storage=storage, pruner=hyperdial.pruners.MedianPruner())
    with pytest.raises(error, match=match):
        study.add_trial(make())
    assert study.trials == []
    trial = study.ask()  # the study still works, pruner included
    trial.report(0.5, 1)
    assert trial.should_prune() is False


def test_add_trial_keeps_what_a_live_trial_may_record(tmp_path: Path) -> None:
    naive = datetime.datetime(2026, 1, 1)
    trial = _frozen(
        intermediate_values={0: 0.5, np.int64(3): np.float32(0.25), 4: math.nan, 5: math.inf},
        user_attrs={"a": [1, "b", None]},
        datetime_start=naive,
        datetime_complete=_T0 + datetime.timedelta(seconds=1),
    )
    for storage in (None, f"sqlite:///{tmp_path / 'b.db'}"):
        study = hyperdial.create_study(storage=storage)
        study.add_trial(trial)
        (got,) = study.trials
        assert got.intermediate_values == {
            0: 0.5,
            3: 0.25,
            4: pytest.approx(math.nan, nan_ok=True),
            5: math.inf,
        }
        assert all(type(k) is int for k in got.intermediate_values)


# -- 10 (last): database errors reach the user as hyperdial errors that say what to do ----------
def test_database_errors_say_what_happened_and_what_to_do(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"not a database" * 100)
    cases = [
        (f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "directory exists"),
        (f"sqlite:///{corrupt}", "not a SQLite database"),
        ("postgresql+psycopg://me:hunter2@127.0.0.1:1/db", "cannot connect"),
    ]
    for url, advice in cases:
        with pytest.raises(StorageInternalError) as info:
            RDBStorage(url)
        message = str(info.value)
        assert advice in message, message
        assert "hunter2" not in message and "sqlalche.me" not in message
    with pytest.raises(ValueError, match="not a database URL"):
        RDBStorage("not a url")


# -- 6: passwords never shown --------------------------------------------------------------------
def test_passwords_in_urls_are_redacted_in_errors(tmp_path: Path) -> None:
    from hyperdial.storages import SchemaVersionError, upgrade
    from hyperdial.storages._rdb_engine import _check_version

    with pytest.raises(ValueError, match="supports") as e1:
        RDBStorage("mysql://me:hunter2@db.example/s")
    with pytest.raises(SchemaVersionError) as e2:
        _check_version(1, "postgresql+psycopg://me:hunter2@db.example/s")
    with pytest.raises(SchemaVersionError) as e3:
        _check_version(99, "postgresql+psycopg://me:hunter2@db.example/s")
    with pytest.raises(hyperdial.exceptions.HyperdialError) as e4:
        upgrade("postgresql+psycopg://me:hunter2@127.0.0.1:1/s")
    for e in (e1, e2, e3, e4):
        assert "hunter2" not in str(e.value) and "me:***@" in str(e.value), str(e.value)


def test_passwords_are_redacted_in_repr_and_logs(
    hyperdial_log: list[logging.LogRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    pg = os.environ.get("HYPERDIAL_TEST_POSTGRES_URL")
    if not pg:
        pytest.skip("needs HYPERDIAL_TEST_POSTGRES_URL (a server that ignores the password)")
    import sqlalchemy as sa

    from hyperdial.storages import SchemaVersionError
    from hyperdial.storages import _rdb_schema as schema

    url = sa.make_url(pg).set(password="hunter2").render_as_string(hide_password=False)
    storage = RDBStorage(url)
    assert "hunter2" not in repr(storage) and "***" in repr(storage)
    with storage.engine.begin() as conn:
        conn.execute(sa.update(schema.schema_version).values(version=99))
    try:
        with pytest.raises(SchemaVersionError) as info:
            RDBStorage(url)
        assert "hunter2" not in str(info.value) and "***" in str(info.value)
    finally:
        with storage.engine.begin() as conn:
            conn.execute(sa.update(schema.schema_version).values(version=schema.SCHEMA_VERSION))
    assert all("hunter2" not in r.getMessage() for r in hyperdial_log)


# -- 9: SIGTERM while optimize runs --------------------------------------------------------------
_SIGTERM_SCRIPT = """
import signal, sys, time
import hyperdial
from hyperdial.storages import RDBStorage

url, mode, n_jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
hyperdial.logging.set_verbosity(40)
if mode == "retry":
    storage = RDBStorage(url, heartbeat_interval=60, max_retry=1)
else:
    storage = RDBStorage(url)
study = hyperdial.create_study(storage=storage, study_name="s", load_if_exists=True)
calls = []

def handler(signum, frame):
    calls.append(signum)
    print("handler", flush=True)
    if mode == "raise":
        raise SystemExit(3)

if mode in ("raise", "return"):
    signal.signal(signal.SIGTERM, handler)
before = signal.getsignal(signal.SIGTERM)

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    sys.stdout.write("ready\\n")  # one write: two threads' print() calls can interleave
    sys.stdout.flush()
    deadline = time.monotonic() + (2.0 if mode == "return" else 60.0)
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return x

study.optimize(objective, n_trials=1 if mode == "return" else 10, n_jobs=n_jobs)
assert signal.getsignal(signal.SIGTERM) is before
print("after", calls, flush=True)
"""


def _run_and_terminate(tmp_path: Path, mode: str, n_jobs: int = 1) -> tuple[int, str, Any]:
    tmp_path = tmp_path / mode
    tmp_path.mkdir()
    script = tmp_path / "worker.py"
    script.write_text(_SIGTERM_SCRIPT)
    url = f"sqlite:///{tmp_path / 'term.db'}"
    proc = subprocess.Popen(
        [sys.executable, str(script), url, mode, str(n_jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    n_ready = 0
    while n_ready < n_jobs:
        line = proc.stdout.readline()
        assert line, proc.communicate()[1]
        n_ready += line.count("ready")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    study = hyperdial.load_study(study_name="s", storage=url)
    return proc.returncode, out + err, study.trials


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_sigterm_fails_running_trials_then_terminates(tmp_path: Path, n_jobs: int) -> None:
    code, out, trials = _run_and_terminate(tmp_path, "default", n_jobs)
    assert code == -signal.SIGTERM, out
    assert "Traceback" not in out, out
    assert len(trials) >= n_jobs
    assert all(t.state == TrialState.FAIL for t in trials), trials
    assert all("SIGTERM" in t.system_attrs["fail_reason"] for t in trials)


def test_sigterm_chains_the_users_handler(tmp_path: Path) -> None:
    code, out, trials = _run_and_terminate(tmp_path, "raise")
    assert code == 3 and "handler" in out, out
    assert [t.state for t in trials] == [TrialState.FAIL]


@pytest.mark.slow
def test_sigterm_with_a_handler_that_returns_lets_the_trial_finish(tmp_path: Path) -> None:
    code, out, trials = _run_and_terminate(tmp_path, "return")
    assert code == 0 and "after [15]" in out, out
    assert [t.state for t in trials] == [TrialState.COMPLETE]


@pytest.mark.slow
def test_sigterm_requeues_the_trial_when_the_storage_retries(tmp_path: Path) -> None:
    code, out, trials = _run_and_terminate(tmp_path, "retry")
    assert code == -signal.SIGTERM, out
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.WAITING]
    assert trials[1].system_attrs["fixed_params"] == trials[0].params
    assert trials[1].system_attrs["failed_trial"] == 0


def test_optimize_restores_the_sigterm_handler() -> None:
    def mine(signum: int, frame: Any) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        study = hyperdial.create_study()
        study.optimize(lambda t: 0.0, n_trials=1)
        assert signal.getsignal(signal.SIGTERM) is mine
        with pytest.raises(ZeroDivisionError):
            study.optimize(lambda t: 1 / 0, n_trials=1)
        assert signal.getsignal(signal.SIGTERM) is mine
        errors: list[BaseException] = []

        def in_thread() -> None:  # no handler can be set there: optimize must still run
            try:
                study.optimize(lambda t: 0.0, n_trials=1)
            except BaseException as e:
                errors.append(e)

        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        assert errors == [] and signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- 10: the smaller ones ------------------------------------------------------------------------
@pytest.mark.parametrize("log", ["False", "True", 0, 1, None, np.array(True)])
def test_log_must_be_a_real_bool(log: Any) -> None:
    trial = hyperdial.create_study().ask()
    with pytest.raises(TypeError, match="`log` must be a bool"):
        trial.suggest_float("x", 0.1, 1, log=log)
    with pytest.raises(TypeError, match="`log` must be a bool"):
        trial.suggest_int("n", 1, 10, log=log)


def test_zero_dimensional_arrays_are_bounds_like_numpy_scalars() -> None:
    trial = hyperdial.create_study().ask()
    assert 0.1 <= trial.suggest_float("x", np.array(0.1), np.array(1.0)) <= 1.0
    assert 1 <= trial.suggest_int("n", np.array(1), np.array(5)) <= 5
    assert trial.suggest_float("y", 0.5, 1, log=np.bool_(True)) >= 0.5
    with pytest.raises(ValueError, match="`low` must be a real number"):
        trial.suggest_float("z", np.array([0.1]), 1.0)
    with pytest.raises(ValueError, match="`low` must be a real number"):
        trial.suggest_float("z", np.array("0.1"), 1.0)


def _storages(tmp_path: Path) -> list[Any]:
    return [hyperdial.storages.InMemoryStorage(), RDBStorage(f"sqlite:///{tmp_path / 'n.db'}")]


@pytest.mark.parametrize("name", [123, b"s", ["s"]])
def test_study_names_must_be_str_in_every_storage(tmp_path: Path, name: Any) -> None:
    for storage in _storages(tmp_path):
        with pytest.raises(TypeError, match="study name must be a str"):
            hyperdial.create_study(storage=storage, study_name=name)
        assert storage.get_all_studies() == []


@pytest.mark.parametrize("name", ["a\ud800", "\udfff", "a\x00b", "n" * 513])
def test_names_no_database_can_store_are_refused_clearly(tmp_path: Path, name: str) -> None:
    for storage in _storages(tmp_path):
        with pytest.raises(ValueError, match="cannot be stored"):
            hyperdial.create_study(storage=storage, study_name=name)
        if len(name) > 512:  # parameter names have no length limit
            continue
        trial = hyperdial.create_study(storage=storage).ask()
        with pytest.raises(ValueError, match="cannot be stored"):
            trial.suggest_float(name, 0, 1)


def test_user_attrs_round_trip_the_same_in_every_storage(tmp_path: Path) -> None:
    value = {"t": (1, 2), "n": [(3.5, None)], "f": math.inf, "s": "é", "b": True, "i": 2**70}
    got = []
    for storage in _storages(tmp_path):
        study = hyperdial.create_study(storage=storage)
        trial = study.ask()
        trial.set_user_attr("v", value)
        study.set_user_attr("v", value)
        study.tell(trial, 1.0)
        study.enqueue_trial({}, user_attrs={"v": value})
        got.append([study.trials[0].user_attrs, study.trials[1].user_attrs, study.user_attrs])
    assert got[0] == got[1]
    assert got[0][0]["v"]["t"] == [1, 2]  # tuples are JSON arrays: lists, in every storage
    for bad in ({1: "x", "1": "y"}, {"k": {2: "x"}}, {(1, 2): 3}):
        trial = hyperdial.create_study().ask()
        with pytest.raises(TypeError, match="keys must be str"):
            trial.set_user_attr("v", bad)
        with pytest.raises(TypeError, match="keys must be str"):
            trial.study.set_user_attr("v", bad)
        with pytest.raises(TypeError, match="keys must be str"):
            trial.study.add_trial(_frozen(user_attrs={"v": bad}))


@pytest.mark.parametrize(
    "fixed",
    [{"x": "float"}, {"x": None}, {1: FloatDistribution(0, 1)}, [("x", FloatDistribution(0, 1))]],
)
def test_ask_refuses_what_is_no_distribution_clearly(fixed: Any) -> None:
    study = hyperdial.create_study()
    with pytest.raises(TypeError, match="fixed_distributions"):
        study.ask(fixed)
    assert study.trials == []


def test_a_corrupted_row_is_skipped_with_a_warning_naming_the_trial(
    tmp_path: Path, hyperdial_log: list[logging.LogRecord]
) -> None:
    import sqlalchemy as sa

    from hyperdial.storages import _rdb_schema as schema

    url = _sqlite_study(tmp_path / "c.db", n_trials=3)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(schema.trials).where(schema.trials.c.number == 1).values(user_attrs="{oops")
        )
    engine.dispose()
    study = hyperdial.load_study(study_name="s", storage=url)
    assert [t.number for t in study.trials] == [0, 2]
    warned = [r.getMessage() for r in hyperdial_log if r.levelno == logging.WARNING]
    assert any("trial 1" in m.lower() and "user_attrs" in m for m in warned), warned
    assert study.best_trial.number in (0, 2)
    with pytest.raises(StorageInternalError, match="Trial 1"):
        study._storage.get_trial(
            study._storage.get_trial_id_from_study_id_trial_number(study._study_id, 1)
        )


def test_an_empty_schema_version_table_is_a_clear_error(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from hyperdial.storages import SchemaVersionError
    from hyperdial.storages import _rdb_schema as schema

    url = f"sqlite:///{tmp_path / 'e.db'}"
    RDBStorage(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.delete(schema.schema_version))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="no version") as info:
        RDBStorage(url)
    assert isinstance(info.value, hyperdial.exceptions.HyperdialError)
