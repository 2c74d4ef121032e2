"""hyperdial.integration.dask on a LocalCluster with two worker processes."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="Dask workers share a database storage")
distributed = pytest.importorskip("distributed", reason="needs dask.distributed")

import hyperdial
from hyperdial.integration.dask import optimize
from hyperdial.samplers import RandomSampler
from hyperdial.storages import RDBStorage
from hyperdial.trial import TrialState


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dask.db'}"
    from test_storages_rdb import fresh_postgres

    return fresh_postgres()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'args.db'}"


@pytest.fixture(scope="module")
def client() -> distributed.Client:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_exactly_n_trials_across_workers(url: str, client: distributed.Client) -> None:
    study = hyperdial.create_study(storage=url, sampler=RandomSampler(seed=1))

    def objective(trial: hyperdial.Trial) -> float:
        trial.set_user_attr("pid", os.getpid())
        return trial.suggest_float("x", -1.0, 1.0) ** 2

    optimize(study, objective, n_trials=30, client=client)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert len({t.params["x"] for t in trials}) == 30  # the tasks' samplers were reseeded


def test_objective_errors_reach_the_caller(url: str, client: distributed.Client) -> None:
    study = hyperdial.create_study(storage=url)  # the default sampler, through a factory

    def bad(trial: hyperdial.Trial) -> float:
        raise ZeroDivisionError("in the objective")

    with pytest.raises(ZeroDivisionError, match="in the objective"):
        optimize(study, bad, n_trials=4, client=client, sampler_factory=RandomSampler)
    assert TrialState.RUNNING not in {t.state for t in study.trials}


def test_arguments_are_checked(sqlite_url: str, client: distributed.Client) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        optimize(hyperdial.create_study(), lambda t: 0.0, n_trials=1, client=client)
    study = hyperdial.create_study(storage=sqlite_url)
    with pytest.raises(ValueError, match="n_trials"):
        optimize(study, lambda t: 0.0, client=client)
    study.sampler.held = __import__("threading").Lock()  # an unpicklable sampler
    with pytest.raises(ValueError, match="sampler_factory"):
        optimize(study, lambda t: 0.0, n_trials=1, client=client)


@pytest.mark.slow  # starts a dask cluster and kills a worker process
def test_a_killed_dask_worker_loses_no_slot(url: str) -> None:
    """One worker process is SIGKILLed mid-trial: its trial fails by heartbeat, is retried,
    and exactly n_trials trials start in all (10 here), on SQLite and on PostgreSQL."""
    storage = RDBStorage(url, heartbeat_interval=0.5, max_retry=1)
    study = hyperdial.create_study(storage=storage, sampler=RandomSampler(seed=2))
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def objective(trial: hyperdial.Trial) -> float:
            x = trial.suggest_float("x", -1.0, 1.0)
            trial.set_user_attr("pid", os.getpid())
            time.sleep(0.6)  # long beside the killer's poll, so the kill lands mid-trial
            return x * x

        def kill_one() -> None:
            # Kill a worker in the middle of a trial (an idle one would lose nothing).
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                trials = study.get_trials(deepcopy=False)
                running = [
                    t.user_attrs["pid"]
                    for t in trials
                    if t.state == TrialState.RUNNING and t.user_attrs.get("pid") in pids
                ]
                if len(trials) >= 4 and running:
                    os.kill(running[0], signal.SIGKILL)
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_one)
        killer.start()
        optimize(study, objective, n_trials=10, client=client)
        killer.join()
    cluster.close()
    deadline = time.monotonic() + 10
    while any(t.state == TrialState.RUNNING for t in study.get_trials(deepcopy=False)):
        assert time.monotonic() < deadline, "a trial stayed RUNNING"
        time.sleep(0.1)
    trials = study.trials
    started = [t for t in trials if t.state != TrialState.WAITING]
    assert len(started) == 10
    states = [t.state for t in started]
    assert states.count(TrialState.FAIL) == 1
    failed = next(t for t in started if t.state == TrialState.FAIL)
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == failed.number]
    assert len(retries) == 1 and retries[0].params == failed.params
