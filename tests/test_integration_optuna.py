"""hyperdial.integration.optuna: samplers, storages and studies between hyperdial and Optuna.

The fast tests round-trip records and run small Optuna studies with wrapped hyperdial samplers.
The slow lane serves a hyperdial study with optuna-dashboard and runs Optuna's own sampler test
cases (``optuna.testing.pytest_samplers``, shipped in Optuna's wheel) on wrapped samplers;
tests/test_optuna_sources.py runs Optuna's source tests and tutorials.
"""

from __future__ import annotations

import datetime
import json
import math
import socket
import subprocess
import sys
import threading
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

optuna = pytest.importorskip("optuna")

import hyperdial  # noqa: E402
from hyperdial.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.integration.optuna import (  # noqa: E402
    from_optuna,
    to_optuna,
    to_optuna_sampler,
    to_optuna_storage,
)
from hyperdial.samplers import (  # noqa: E402
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from hyperdial.trial import TrialState  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    n = trial.suggest_int("n", 1, 64, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None])
    for step in range(3):
        trial.report(x * x + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return (x - 1.0) ** 2 + math.log(n) + (c == "b")


def _hyperdial_study_with_everything() -> hyperdial.Study:
    study = hyperdial.create_study(
        study_name="everything", direction="maximize", sampler=RandomSampler(0)
    )
    study.set_user_attr("owner", "lab")
    study.set_metric_names(["accuracy"])

    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        k = trial.suggest_int("k", 0, 10, step=2)
        trial.suggest_categorical("c", [1, 2.5, "s", None, True])
        trial.report(x, 0)
        trial.set_user_attr("note", [1, "two"])
        trial.set_constraint("budget", x - 0.5)
        if trial.number == 2:
            raise hyperdial.TrialPruned()
        if trial.number == 3:
            raise ValueError("a failed trial")
        return x + k

    study.optimize(objective, n_trials=6, catch=(ValueError,))
    study.enqueue_trial({"x": 0.25, "k": 4, "c": "s"})
    return study


def _fields(t: Any) -> tuple[Any, ...]:
    return (
        t.number,
        t.state.name,
        t.values,
        t.params,
        {
            k: (type(d).__name__, d._asdict() if hasattr(d, "_asdict") else vars(d))
            for k, d in t.distributions.items()
        },
        t.user_attrs,
        t.intermediate_values,
    )


def test_round_trip_through_optuna_keeps_every_field() -> None:
    study = _hyperdial_study_with_everything()
    copy = to_optuna(study, None)
    back = from_optuna(copy, study_name="back")
    assert copy.directions == [optuna.study.StudyDirection.MAXIMIZE]
    assert copy.metric_names == ["accuracy"]
    assert copy.user_attrs == {"owner": "lab"}
    states = [t.state.name for t in copy.trials]
    assert states == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL", "COMPLETE", "COMPLETE", "WAITING"]
    # Optuna keeps constraints as a list, hyperdial as {name: value}
    assert copy.trials[0].system_attrs["constraints"] == [study.trials[0].params["x"] - 0.5]
    assert back.trials[0].constraints == {"0": study.trials[0].params["x"] - 0.5}
    for a, b in zip(study.trials, back.trials, strict=True):
        assert _fields(a) == _fields(b)
        assert a.datetime_start == b.datetime_start
        assert a.datetime_complete == b.datetime_complete
        assert a.system_attrs.keys() == b.system_attrs.keys()
    # Optuna's timestamps are naive local times of the same instants
    t0 = copy.trials[0]
    assert t0.datetime_start.tzinfo is None
    assert t0.datetime_start.astimezone(datetime.timezone.utc) == study.trials[0].datetime_start
    assert back.directions == study.directions
    assert back.trials[0].params["c"] == study.trials[0].params["c"]


def test_multi_objective_studies_copy_with_their_directions() -> None:
    study = hyperdial.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("k", 0, 3)), n_trials=4)
    copy = to_optuna(study, None)
    assert copy.directions == [
        optuna.study.StudyDirection.MINIMIZE,
        optuna.study.StudyDirection.MAXIMIZE,
    ]
    assert [t.values for t in copy.trials] == [t.values for t in study.trials]
    back = from_optuna(copy)
    assert back.directions == study.directions
    assert {t.number for t in back.best_trials} == {t.number for t in study.best_trials}


@pytest.mark.slow  # Optuna's RDBStorage creates its schema with Alembic: seconds
def test_from_optuna_reads_a_storage_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    source = optuna.create_study(study_name="src", storage=url)
    source.optimize(_objective, n_trials=4)
    copy = from_optuna(url, study_name="src")
    assert copy.study_name == "src"
    assert [t.params for t in copy.trials] == [t.params for t in source.trials]
    assert copy.best_value == source.best_value
    assert isinstance(copy.trials[0].distributions["n"], IntDistribution)
    assert copy.trials[0].distributions["n"].log
    with pytest.raises(hyperdial.exceptions.DuplicatedStudyError):
        from_optuna(source, storage=copy._storage)


def test_gp_drives_an_optuna_study_with_optuna_storage_and_pruner() -> None:
    study = optuna.create_study(
        sampler=to_optuna_sampler(GPSampler(seed=0, n_startup_trials=5)),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
        storage=optuna.storages.InMemoryStorage(),
    )
    study.optimize(_objective, n_trials=20)
    states = {t.state for t in study.trials}
    assert optuna.trial.TrialState.COMPLETE in states
    assert study.best_value < 1.5
    # the GP proposed the later trials: they are not what a plain RandomSampler would draw
    assert len({t.params["x"] for t in study.trials}) == 20


def _mixed(trial: Any) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    n = trial.suggest_int("n", 0, 5)
    c = trial.suggest_categorical("c", ["a", "b"])
    return (x - 1.0) ** 2 + n + (c == "b")


@pytest.mark.parametrize(
    "make",
    [
        lambda: GPSampler(seed=3, n_startup_trials=4),
        lambda: TPESampler(seed=3, n_startup_trials=4),
    ],
    ids=["gp", "tpe"],
)
def test_a_wrapped_sampler_proposes_what_it_proposes_in_a_hyperdial_study(
    make: Callable[[], Any],
) -> None:
    native = hyperdial.create_study(sampler=make())
    native.optimize(_mixed, n_trials=12)
    wrapped = optuna.create_study(sampler=to_optuna_sampler(make()))
    wrapped.optimize(_mixed, n_trials=12)
    assert [t.params for t in wrapped.trials] == [t.params for t in native.trials]


class _Recorder(hyperdial.samplers.BaseSampler):
    """Records what a hyperdial sampler sees of an Optuna study, and proposes fixed values."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def infer_relative_search_space(
        self, study: hyperdial.Study, trial: hyperdial.FrozenTrial
    ) -> dict[str, Any]:
        done = study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return dict(done[0].distributions) if done else {}

    def sample_relative(
        self, study: hyperdial.Study, trial: hyperdial.FrozenTrial, search_space: dict[str, Any]
    ) -> dict[str, Any]:
        running = study._get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        self.seen.append(("relative", (sorted(search_space), [t.number for t in running])))
        return {"x": 0.5}

    def sample_independent(
        self, study: hyperdial.Study, trial: hyperdial.FrozenTrial, name: str, dist: Any
    ) -> Any:
        self.seen.append(("independent", name))
        return dist.to_external_repr(dist.low) if hasattr(dist, "low") else dist.choices[0]

    def after_trial(
        self, study: hyperdial.Study, trial: hyperdial.FrozenTrial, state: Any, values: Any
    ) -> None:
        self.seen.append(("after", (state, values, trial.constraints, study.directions)))


def test_wrapped_sampler_sees_pending_trials_directions_and_constraints() -> None:
    recorder = _Recorder()
    study = optuna.create_study(
        directions=["minimize", "maximize"],
        sampler=to_optuna_sampler(recorder, constraints_func=lambda t: [t.params["x"] - 1.0]),
    )
    first = study.ask()
    first.suggest_float("x", 0.0, 2.0)
    study.tell(first, [1.0, 2.0])
    pending = study.ask()  # stays RUNNING: a pending point for the next trial
    t = study.ask()
    assert t.suggest_float("x", 0.0, 2.0) == 0.5
    assert t.suggest_categorical("c", ["u", "v"]) == "u"
    study.tell(t, [0.0, 1.0])
    assert ("relative", (["x"], [pending.number, t.number])) in recorder.seen
    assert ("independent", "c") in recorder.seen
    after = [v for k, v in recorder.seen if k == "after"]
    assert after[-1] == (
        TrialState.COMPLETE,
        [0.0, 1.0],
        {"0": -0.5},
        [hyperdial.StudyDirection.MINIMIZE, hyperdial.StudyDirection.MAXIMIZE],
    )
    assert study.trials[t.number].system_attrs["constraints"] == [-0.5]


@pytest.mark.parametrize(
    "make",
    [
        lambda: TPESampler(seed=1, n_startup_trials=3),
        lambda: QMCSampler(seed=1),
        lambda: RandomSampler(seed=1),
    ],
    ids=["tpe", "qmc", "random"],
)
def test_wrapped_samplers_run_optuna_studies(make: Callable[[], Any]) -> None:
    study = optuna.create_study(sampler=to_optuna_sampler(make()))
    study.optimize(_objective, n_trials=8)
    assert len(study.trials) == 8


def test_grid_sampler_reserves_its_points_in_an_optuna_study() -> None:
    grid = GridSampler({"x": [0.0, 1.0, 2.0]}, seed=0)
    study = optuna.create_study(sampler=to_optuna_sampler(grid))
    study.optimize(lambda t: t.suggest_float("x", 0, 2), n_trials=10)
    # each point once; the trial that found the grid exhausted stopped the study
    assert sorted(t.params["x"] for t in study.trials[:3]) == [0.0, 1.0, 2.0]
    assert len(study.trials) == 4


def test_a_wrapped_sampler_pickles_and_continues_its_stream() -> None:
    import pickle

    wrapped = to_optuna_sampler(TPESampler(seed=5, n_startup_trials=2))
    study = optuna.create_study(sampler=wrapped)
    study.optimize(_mixed, n_trials=4)
    copy = pickle.loads(pickle.dumps(wrapped))
    twin = optuna.create_study(sampler=copy)
    for t in study.trials:
        twin.add_trial(t)
    study.optimize(_mixed, n_trials=3)
    twin.optimize(_mixed, n_trials=3)
    assert [t.params for t in twin.trials[4:]] == [t.params for t in study.trials[4:]]


def test_an_optuna_sampler_is_refused() -> None:
    with pytest.raises(TypeError, match="hyperdial sampler"):
        to_optuna_sampler(optuna.samplers.RandomSampler())  # type: ignore[arg-type]


def test_optuna_runs_on_a_hyperdial_storage() -> None:
    storage = hyperdial.storages.InMemoryStorage()
    native = hyperdial.create_study(study_name="native", storage=storage, sampler=RandomSampler(0))
    native.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    ostorage = to_optuna_storage(storage)
    loaded = optuna.load_study(study_name="native", storage=ostorage)
    assert [t.params for t in loaded.trials] == [t.params for t in native.trials]
    assert loaded.best_value == native.best_value
    # Optuna writes through the adapter: its trials are hyperdial trials
    loaded.optimize(_objective, n_trials=3)
    assert len(hyperdial.load_study(study_name="native", storage=storage).trials) == 6
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        optuna.create_study(study_name="native", storage=ostorage)
    summaries = optuna.get_all_study_summaries(ostorage)
    assert [s.study_name for s in summaries] == ["native"]
    assert summaries[0].n_trials == 6


@pytest.mark.slow  # imports plotly and Optuna's plots
def test_optuna_visualization_plots_a_hyperdial_sqlite_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hd.db'}"
    native = hyperdial.create_study(study_name="native", storage=url, sampler=RandomSampler(0))
    native.optimize(_objective, n_trials=6)
    loaded = optuna.load_study(study_name="native", storage=to_optuna_storage(url))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = optuna.visualization.plot_optimization_history(loaded)
    complete = native.get_trials(states=(TrialState.COMPLETE,))
    assert list(fig.data[0].x) == [t.number for t in complete]
    assert list(fig.data[0].y) == [t.value for t in complete]


def test_finished_trials_are_converted_once() -> None:
    study = optuna.create_study(sampler=to_optuna_sampler(RandomSampler(seed=0)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    wrapper = study.sampler
    hd = wrapper._study(study)  # type: ignore[attr-defined]
    view = hd._storage
    first = view.get_all_trials(study._study_id, deepcopy=False)
    again, mark = view.get_trials_changed_since(study._study_id, 0)
    assert [a is b for a, b in zip(first, again, strict=True)] == [True] * 5
    assert view.get_trials_changed_since(study._study_id, mark) == ([], mark)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    changed, _ = view.get_trials_changed_since(study._study_id, mark)
    assert [t.number for t in changed] == [5]


def test_distributions_convert_both_ways() -> None:
    from hyperdial.integration.optuna import _dist_from_optuna, _dist_to_optuna

    for d in [
        FloatDistribution(0.1, 2.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(1, 9, step=2),
        CategoricalDistribution(["a", 1, None, 2.5]),
    ]:
        assert _dist_from_optuna(_dist_to_optuna(d)) == d


def test_import_hyperdial_does_not_import_optuna() -> None:
    code = "import sys, hyperdial; hyperdial.samplers; print('optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- slow lane: optuna-dashboard serves a hyperdial study ----------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    optuna_dashboard = pytest.importorskip("optuna_dashboard")
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    url = f"sqlite:///{tmp_path / 'served.db'}"
    study = hyperdial.create_study(study_name="served", storage=url, sampler=RandomSampler(0))

    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.report(x, 0)
        return x * x

    study.optimize(objective, n_trials=5)

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    app = optuna_dashboard.wsgi(to_optuna_storage(url))
    server = make_server("127.0.0.1", _free_port(), app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_optuna_dashboard_serves_a_hyperdial_study(dashboard: str) -> None:
    with urllib.request.urlopen(f"{dashboard}/api/studies", timeout=30) as r:
        studies = json.load(r)["study_summaries"]
    assert [s["study_name"] for s in studies] == ["served"]
    study_id = studies[0]["study_id"]
    with urllib.request.urlopen(f"{dashboard}/api/studies/{study_id}", timeout=30) as r:
        detail = json.load(r)
    trials = detail["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    assert all(t["state"] == "Complete" for t in trials)
    assert [p["name"] for p in trials[0]["params"]] == ["x"]
    assert trials[0]["intermediate_values"][0]["step"] == 0
