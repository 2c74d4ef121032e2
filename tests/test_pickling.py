"""Pickling and copying: studies, samplers, pruners, storages and GaussianProcess.

A copy made by ``pickle`` or ``copy.deepcopy`` must go on exactly where the original was: a
seeded sampler proposes what the original proposes next, a pruner decides as it does, an
in-memory study is an independent copy and a database study a new connection to the same
trials. Every sampler in ``hyperdial.samplers.__all__`` and every pruner in
``hyperdial.pruners.__all__`` is covered, so new ones are tested as soon as they are exported
(one that needs constructor arguments gets a factory below).

PostgreSQL tests need ``HYPERDIAL_TEST_POSTGRES_URL`` (see ``test_storages_rdb.py``).
"""

from __future__ import annotations

import copy
import inspect
import math
import multiprocessing
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_storages_rdb import fresh_postgres

import hyperdial
from hyperdial import pruners, samplers
from hyperdial._transient import study_key
from hyperdial.gp import GaussianProcess
from hyperdial.storages import RDBStorage
from hyperdial.testing.sampler import round_trip
from hyperdial.trial import BaseTrial, TrialState

HOW = ["pickle", "deepcopy"]

_GRID = {"x": [-2.0, -1.0, 0.0, 1.0, 2.0], "n": [0, 2, 4], "c": ["a", "b", "c"]}

#: Samplers that need more than ``seed=``; the others are made as ``cls(seed=seed)``.
_FACTORIES: dict[str, Callable[[int], samplers.BaseSampler]] = {
    "GPSampler": lambda seed: samplers.GPSampler(seed=seed, n_startup_trials=4),
    "GPSampler-batch": lambda seed: samplers.GPSampler(
        seed=seed, n_startup_trials=4, batch_size=3
    ),
    "TPESampler": lambda seed: samplers.TPESampler(seed=seed, n_startup_trials=4),
    "TPESampler-multivariate": lambda seed: samplers.TPESampler(
        seed=seed, n_startup_trials=4, multivariate=True, constant_liar=True
    ),
    "GridSampler": lambda seed: samplers.GridSampler(_GRID, seed=seed),
    "PartialFixedSampler": lambda seed: samplers.PartialFixedSampler(
        {"n": 2}, samplers.TPESampler(seed=seed, n_startup_trials=4)
    ),
}


def _exported(module: Any, base: type) -> list[str]:
    return sorted(
        name
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), base)
        and not inspect.isabstract(getattr(module, name))
    )


_SAMPLERS = sorted(set(_FACTORIES) | set(_exported(samplers, samplers.BaseSampler)))


def _make_sampler(name: str, seed: int) -> samplers.BaseSampler:
    factory = _FACTORIES.get(name)
    if factory is not None:
        return factory(seed)
    cls = getattr(samplers, name)
    try:
        sampler: samplers.BaseSampler = cls(seed=seed)
    except TypeError as e:
        pytest.fail(f"{name}(seed=...) failed ({e}); add a factory to _FACTORIES.")
    return sampler


def _objective(trial: BaseTrial) -> float:
    """A space every sampler handles (GridSampler's grid, BruteForceSampler's finite set)."""
    x = trial.suggest_float("x", -2.0, 2.0, step=1.0)
    n = trial.suggest_int("n", 0, 4, step=2)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 0.5) ** 2 + n + {"a": 0.0, "b": 0.5, "c": 1.0}[c]


def _trials(study: hyperdial.Study) -> list[tuple[Any, ...]]:
    return [(t.number, t.state, t.params, t.values) for t in study.trials]


# -- samplers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("name", _SAMPLERS)
def test_a_copied_study_continues_the_samplers_stream(name: str, how: str) -> None:
    study = hyperdial.create_study(sampler=_make_sampler(name, 3))
    study.optimize(_objective, n_trials=8)
    twin = round_trip(study, how)
    assert type(twin.sampler) is type(study.sampler)
    assert _trials(twin) == _trials(study)
    for s in (study, twin):
        s.optimize(_objective, n_trials=5)
    assert len(study.trials) == 13
    assert _trials(twin) == _trials(study)


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("name", _SAMPLERS)
def test_a_sampler_copied_alone_proposes_what_the_original_does(name: str, how: str) -> None:
    runs = []
    for sampler in (_make_sampler(name, 5), round_trip(_make_sampler(name, 5), how)):
        study = hyperdial.create_study(sampler=sampler)
        study.optimize(_objective, n_trials=8)
        runs.append(_trials(study))
    assert runs[0] == runs[1]


def test_the_copied_gp_sampler_keeps_its_fitted_model() -> None:
    study = hyperdial.create_study(sampler=_make_sampler("GPSampler", 0))
    study.optimize(_objective, n_trials=7)
    state = study.sampler._states[study_key(study)]  # type: ignore[attr-defined]
    assert state.gp is not None
    twin = pickle.loads(pickle.dumps(study))
    copied = twin.sampler._states[study_key(twin)]
    assert copied.gp is not state.gp
    assert np.array_equal(copied.gp.log_params, state.gp.log_params)
    assert copied.n_fitted == state.n_fitted and copied.history.mark == state.history.mark


def test_grid_sampler_copies_claim_points_of_their_own(tmp_path: Path) -> None:
    """Two workers with copies of one sampler on one storage never take the same point."""
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    sampler = samplers.GridSampler(_GRID, seed=0)
    a = hyperdial.create_study(storage=url, study_name="g", sampler=sampler)
    b = hyperdial.load_study(
        study_name="g", storage=url, sampler=pickle.loads(pickle.dumps(sampler))
    )
    for _ in range(6):
        a.optimize(_objective, n_trials=1)
        b.optimize(_objective, n_trials=1)
    points = [(t.params["x"], t.params["n"], t.params["c"]) for t in a.trials]
    assert len(points) == 12 and len(set(points)) == 12


# -- pruners -------------------------------------------------------------------------------------
_PRUNER_FACTORIES: dict[str, Callable[[], pruners.BasePruner]] = {
    "PercentilePruner": lambda: pruners.PercentilePruner(40.0, n_startup_trials=2),
    "MedianPruner": lambda: pruners.MedianPruner(n_startup_trials=2),
    "HyperbandPruner": lambda: pruners.HyperbandPruner(min_resource=1, reduction_factor=2),
    "ThresholdPruner": lambda: pruners.ThresholdPruner(upper=2.0),
    "PatientPruner": lambda: pruners.PatientPruner(pruners.MedianPruner(), patience=1),
}
_PRUNERS = sorted(set(_PRUNER_FACTORIES) | set(_exported(pruners, pruners.BasePruner)))


def _make_pruner(name: str) -> pruners.BasePruner:
    factory = _PRUNER_FACTORIES.get(name)
    if factory is not None:
        return factory()
    try:
        pruner: pruners.BasePruner = getattr(pruners, name)()
    except TypeError as e:
        pytest.fail(f"{name}() failed ({e}); add a factory to _PRUNER_FACTORIES.")
    return pruner


def _reporting(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 3.0)
    value = x
    for step in range(1, 9):
        value = x + 1.0 / step
        trial.report(value, step)
        if trial.should_prune():
            raise hyperdial.TrialPruned()
    return value


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("name", _PRUNERS)
def test_a_copied_study_prunes_as_the_original(name: str, how: str) -> None:
    study = hyperdial.create_study(
        sampler=samplers.RandomSampler(seed=1), pruner=_make_pruner(name)
    )
    study.optimize(_reporting, n_trials=10)
    twin = round_trip(study, how)
    assert type(twin.pruner) is type(study.pruner) and twin.pruner is not study.pruner
    for s in (study, twin):
        s.optimize(_reporting, n_trials=8)

    def record(s: hyperdial.Study) -> list[tuple[Any, ...]]:
        return [(t.state, t.params, t.intermediate_values) for t in s.trials]

    assert record(twin) == record(study)


# -- studies -------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", HOW)
def test_an_in_memory_study_copy_is_whole_and_independent(how: str) -> None:
    study = hyperdial.create_study(
        study_name="s", direction="maximize", sampler=samplers.TPESampler(seed=0)
    )
    study.set_user_attr("owner", "me")
    study.enqueue_trial({"x": 1.0, "n": 2, "c": "b"})
    study.optimize(_objective, n_trials=6, n_jobs=2)
    study.enqueue_trial({"x": 0.0})  # still WAITING when copied
    twin = round_trip(study, how)
    assert twin.study_name == "s" and twin.direction == study.direction
    assert twin.user_attrs == {"owner": "me"}
    assert _trials(twin) == _trials(study)
    assert twin.best_trial.number == study.best_trial.number

    twin.set_user_attr("owner", "copy")
    twin.optimize(_objective, n_trials=4, n_jobs=2)
    assert study.user_attrs == {"owner": "me"}
    assert len(study.trials) == 7 and len(twin.trials) == 10
    assert twin.trials[6].params["x"] == 0.0  # the copy ran the waiting trial
    assert study.trials[6].state == TrialState.WAITING
    assert all(t.state == TrialState.COMPLETE for t in twin.trials)


def test_a_copy_made_while_the_original_is_in_use_is_consistent() -> None:
    """The storage's lock is held while it is copied: a copy never sees half a write."""
    study = hyperdial.create_study(sampler=samplers.RandomSampler(seed=0))
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            study.optimize(_objective, n_trials=1)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        copies = [pickle.loads(pickle.dumps(study)) for _ in range(20)]
    finally:
        stop.set()
        worker.join()
    for twin in copies:
        numbers = [t.number for t in twin.trials]
        assert numbers == list(range(len(numbers)))


# -- database storages ---------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return fresh_postgres()


@pytest.mark.parametrize("how", HOW)
def test_a_database_study_copy_reconnects_and_sees_others(url: str, how: str) -> None:
    study = hyperdial.create_study(
        storage=url, study_name="db", sampler=samplers.TPESampler(seed=0, n_startup_trials=3)
    )
    study.optimize(_objective, n_trials=5)
    twin = round_trip(study, how)
    assert twin._storage is not study._storage
    assert twin._storage.engine is not study._storage.engine
    assert repr(twin._storage) == repr(study._storage)
    assert _trials(twin) == _trials(study)

    study.optimize(_objective, n_trials=2)  # another worker adds trials meanwhile
    assert len(twin.trials) == 7
    twin.optimize(_objective, n_trials=3)
    assert [t.number for t in study.trials] == list(range(10))
    assert _trials(twin) == _trials(study)
    twin._storage.remove_session()


def test_a_copied_postgres_storage_keeps_the_password_out_of_repr() -> None:
    import sqlalchemy as sa

    url = sa.make_url(fresh_postgres())
    if not url.password:  # a server that trusts local users ignores it
        url = url.set(password="hunter2-not-needed")
    storage = RDBStorage(url.render_as_string(hide_password=False))
    for twin in (pickle.loads(pickle.dumps(storage)), copy.deepcopy(storage)):
        assert str(url.password) not in repr(twin)
        assert repr(twin) == repr(storage)
        assert twin.get_all_studies() == storage.get_all_studies()
        twin.remove_session()
    storage.remove_session()


@pytest.mark.parametrize("how", HOW)
def test_an_in_memory_sqlite_copy_holds_the_studies(how: str) -> None:
    study = hyperdial.create_study(storage="sqlite://", sampler=samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=4)
    twin = round_trip(study, how)
    assert _trials(twin) == _trials(study)
    twin.optimize(_objective, n_trials=2)
    assert len(twin.trials) == 6 and len(study.trials) == 4


def _heartbeats() -> int:
    return sum(t.name == "hyperdial-heartbeat" for t in threading.enumerate())


def test_a_loaded_storage_starts_its_heartbeat_when_it_runs_a_trial(tmp_path: Path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'hb.db'}", heartbeat_interval=60.0)
    study = hyperdial.create_study(storage=storage, sampler=samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=1)
    before = _heartbeats()
    twin = pickle.loads(pickle.dumps(study))
    assert twin._storage._heartbeat.interval == 60.0
    assert _heartbeats() == before  # reading a loaded study starts no thread
    assert len(twin.trials) == 1
    assert _heartbeats() == before
    twin.optimize(_objective, n_trials=2)
    assert _heartbeats() == before + 1
    assert [t.state for t in twin.trials] == [TrialState.COMPLETE] * 3


# -- GaussianProcess -----------------------------------------------------------------------------
def _same_model(a: GaussianProcess, b: GaussianProcess, x: np.ndarray) -> None:
    for u, v in zip(a.predict(x), b.predict(x), strict=True):
        assert np.array_equal(u, v)
    assert np.array_equal(a._gp.cholesky, b._gp.cholesky)  # type: ignore[union-attr]
    assert np.array_equal(a.log_params, b.log_params) and a.jitter == b.jitter
    assert np.array_equal(
        a.acquisition(x, "log_ei", pending=x[:2]), b.acquisition(x, "log_ei", pending=x[:2])
    )


@pytest.mark.parametrize("how", HOW)
def test_gaussian_process_predicts_and_refits_alike_after_a_copy(how: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    x[:, 2] = rng.integers(0, 3, 40)
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2 - 0.3 * x[:, 2]
    mask = np.ones_like(x)
    mask[::5, 1] = 0.0
    probe = rng.random((25, 3))
    probe[:, 2] = rng.integers(0, 3, 25)

    gp = GaussianProcess(["continuous", "continuous", "categorical"], [0, 0, 3])
    assert round_trip(gp, how)._gp is None  # an unfitted model copies too
    gp.fit(x[:30], y[:30], mask[:30], n_restarts=1, seed=2)
    _same_model(gp, round_trip(gp, how), probe)
    for i in range(30, 34):  # rank-1 appends, with and without a mask
        gp.append(x[i], float(y[i]), mask[i] if i % 2 else None)
    twin = round_trip(gp, how)
    _same_model(gp, twin, probe)
    for model in (gp, twin):  # a warm refit starts from the same state
        model.fit(x, y, mask, seed=2)
    _same_model(gp, twin, probe)
    assert np.array_equal(gp.maximize(seed=1)[0], twin.maximize(seed=1)[0])


def test_gaussian_process_rebuilds_a_factor_extended_by_warm_refits() -> None:
    """A warm refit whose best point is its start extends the previous factor (the core's
    ``extended``); the copy repeats those extensions rather than factorising afresh."""
    rng = np.random.default_rng(1)
    x = rng.random((48, 2))
    y = np.cos(4 * x[:, 0]) * x[:, 1]
    gp = GaussianProcess(["continuous", "continuous"]).fit(x[:40], y[:40], seed=0)
    gp._lower = gp._upper = gp.log_params  # pin the hyperparameters: every refit extends
    for n in (41, 43, 44):
        gp.fit(x[:n], y[:n])
    assert gp._recipe is not None and gp._recipe.steps == (40, 41, 43, 44)
    twin = pickle.loads(pickle.dumps(gp))
    _same_model(gp, twin, x)
    assert np.array_equal(gp._gp.inverse, twin._gp.inverse)  # type: ignore[union-attr]


# -- other processes (slow lane) -----------------------------------------------------------------
def _run_shipped(payload: bytes, url: str, n_trials: int) -> list[int]:
    sampler = pickle.loads(payload)
    study = hyperdial.load_study(study_name="shipped", storage=url, sampler=sampler)
    study.optimize(_objective, n_trials=n_trials)
    return [t.number for t in study.trials]


@pytest.mark.slow
def test_samplers_and_studies_ship_to_spawned_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shipped.db'}"
    study = hyperdial.create_study(storage=url, study_name="shipped")
    payload = pickle.dumps(samplers.TPESampler(seed=0, n_startup_trials=3))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        runs = list(pool.map(_run_shipped, [payload] * 2, [url] * 2, [4, 4]))
        shipped = pool.submit(pickle.loads, pickle.dumps(study)).result()
    assert all(len(r) >= 4 for r in runs)
    assert [t.number for t in study.trials] == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert math.isfinite(study.best_value)
    assert shipped.study_name == "shipped" and len(shipped.trials) == 8


@pytest.mark.slow
def test_a_study_ships_through_joblib(tmp_path: Path) -> None:
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "study.pkl"
    study = hyperdial.create_study(sampler=samplers.GPSampler(seed=0, n_startup_trials=3))
    study.optimize(_objective, n_trials=6)
    joblib.dump(study, path)
    loaded = joblib.load(path)
    for s in (study, loaded):
        s.optimize(_objective, n_trials=3)
    assert _trials(loaded) == _trials(study)
