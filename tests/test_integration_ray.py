"""HyperdialSearch as Ray Tune's search algorithm, against the real Ray.

Importing Ray Tune alone takes seconds and a local Ray cluster several more, so the whole
file is in the slow lane. The Searcher interface is driven directly first (as Tune drives
it), then through real ``tune.Tuner`` runs on a two-CPU local cluster.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.slow,
    # Ray's own modules warn about their deprecations on import; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]

ray = pytest.importorskip("ray")
tune = pytest.importorskip("ray.tune")

import hyperdial  # noqa: E402
from hyperdial.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.integration.ray import HyperdialSearch, convert_search_space  # noqa: E402


def test_ray_domains_map_to_hyperdial_distributions() -> None:
    space = convert_search_space(
        {
            "lr": tune.loguniform(1e-4, 1e-1),
            "x": tune.uniform(-1, 1),
            "q": tune.quniform(0.3, 1.2, 0.3),
            "n": tune.randint(1, 10),
            "ln": tune.lograndint(1, 100),
            "qn": tune.qrandint(2, 11, 3),
            "opt": {"kind": tune.choice(["adam", "sgd"]), "fixed": 3},
            "given": FloatDistribution(0, 2),
        }
    )
    assert space == {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "x": FloatDistribution(-1, 1),
        "q": FloatDistribution(0.3, 1.2, step=0.3),
        "n": IntDistribution(1, 9),  # Ray's randint excludes the upper bound
        "ln": IntDistribution(1, 99, log=True),
        "qn": IntDistribution(2, 11, step=3),  # qrandint includes it
        "opt/kind": CategoricalDistribution(["adam", "sgd"]),
        "given": FloatDistribution(0, 2),
    }


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"x": tune.grid_search([1, 2])}, "grid_search"),
        ({"x": tune.randn(0, 1)}, "'x'.*Normal"),
        ({"x": tune.qloguniform(1, 10, 1)}, "'x'.*qloguniform"),
        ({"x": tune.sample_from(lambda _: 1)}, "'x'.*define-by-run"),
    ],
)
def test_unexpressible_spaces_are_refused_by_name(spec: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        convert_search_space(spec)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        HyperdialSearch(metric="loss", mode="lowest")
    with pytest.raises(ValueError, match="lists"):
        HyperdialSearch(metric=["a", "b"], mode="min")
    with pytest.raises(TypeError, match="sampler"):
        HyperdialSearch(sampler="tpe")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="space"):
        HyperdialSearch(space=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="evaluated_rewards"):
        HyperdialSearch(points_to_evaluate=[{"x": 1}], evaluated_rewards=[1, 2])
    with pytest.raises(RuntimeError, match="metric"):
        HyperdialSearch(space={"x": tune.uniform(0, 1)}).suggest("t0")


def test_searcher_protocol_as_tune_drives_it(tmp_path: Path) -> None:
    search = HyperdialSearch(
        space={"x": tune.uniform(-5, 5), "deep": {"n": tune.randint(1, 4)}},
        metric="loss",
        mode="min",
        points_to_evaluate=[{"x": 1.5, "deep": {"n": 2}}],
        sampler=hyperdial.samplers.RandomSampler(seed=0),
    )
    first = search.suggest("t0")
    assert first == {"x": 1.5, "deep": {"n": 2}}  # the point to evaluate comes first
    search.on_trial_result("t0", {"loss": 3.0, "training_iteration": 1})
    search.on_trial_complete("t0", {"loss": 2.0, "training_iteration": 2})
    search.suggest("t1")
    search.on_trial_result("t1", {"loss": 5.0, "training_iteration": 1})
    search.on_trial_complete("t1", None)  # stopped before reporting the metric
    search.suggest("t2")
    search.on_trial_complete("t2", None, error=True)
    search.suggest("t3")
    search.on_trial_complete("t3", {"loss": math.nan})  # NaN fails the trial
    trials = search.study.trials
    assert [t.state.name for t in trials] == ["COMPLETE", "PRUNED", "FAIL", "FAIL"]
    assert trials[0].intermediate_values == {1: 3.0} and trials[0].value == 2.0
    assert trials[1].intermediate_values == {1: 5.0}

    # save / restore carries the study and the open trials on.
    search.suggest("t4")
    path = str(tmp_path / "searcher.pkl")
    search.save(path)
    restored = HyperdialSearch()
    restored.restore(path)
    restored.on_trial_complete("t4", {"loss": 0.5})
    assert [t.state.name for t in restored.study.trials][-1] == "COMPLETE"
    assert len(search.study.trials) == 5 and search.study.trials[-1].state.name == "RUNNING"


def test_define_by_run_multi_objective_and_evaluated_rewards() -> None:
    def space(trial: hyperdial.Trial) -> dict[str, Any]:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_float("a/x", 0, 1)
        return {"constant": 7}

    search = HyperdialSearch(space=space, metric=["l", "m"], mode=["min", "max"], seed=1)
    config = search.suggest("t0")
    assert config["constant"] == 7 and config["kind"] in ("a", "b")
    assert ("a" in config) == (config["kind"] == "a")
    search.on_trial_complete("t0", {"l": 1.0, "m": 2.0})
    assert search.study.trials[0].values == [1.0, 2.0]

    known = HyperdialSearch(
        space={"x": tune.uniform(0, 1)},
        metric="loss",
        mode="max",
        points_to_evaluate=[{"x": 0.2}, {"x": 0.4}],
        evaluated_rewards=[1.0, 3.0],
    )
    known.suggest("t0")
    assert [t.value for t in known.study.trials[:2]] == [1.0, 3.0]
    assert known.study.best_params == {"x": 0.4}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.mark.usefixtures("ray_cluster")
def test_tuner_with_hyperdial_search_and_asha(tmp_path: Path) -> None:
    from ray.tune.schedulers import ASHAScheduler

    # Defined here, so that Ray ships it by value: the workers cannot import this test file.
    def trainable(config: dict[str, Any]) -> None:
        for step in range(1, 4):
            tune.report({"loss": (config["x"] - 2) ** 2 + config["opt"]["m"] + 1.0 / step})

    search = HyperdialSearch(seed=0)
    tuner = tune.Tuner(
        trainable,
        param_space={"x": tune.uniform(-10, 10), "opt": {"m": tune.loguniform(1e-3, 1.0)}},
        tune_config=tune.TuneConfig(
            search_alg=search,
            scheduler=ASHAScheduler(max_t=3, grace_period=1),
            metric="loss",
            mode="min",
            num_samples=6,
        ),
        run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0),
    )
    results = tuner.fit()
    assert not results.errors
    trials = search.study.trials
    assert len(trials) == 6
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    # Tune passes on the results of trials it lets go on (ASHA stops some after step 1;
    # their step-1 result is their final one); the best Tune result is the study's best.
    assert all(set(t.intermediate_values) <= {1, 2} for t in trials)
    ran_on = [t for t in trials if t.intermediate_values]
    assert ran_on, "no trial's intermediate results reached the study"
    for t in ran_on:
        assert t.intermediate_values == {
            1: pytest.approx(t.value - 1 / 3 + 1),
            2: pytest.approx(t.value - 1 / 3 + 1 / 2),
        }
    best = results.get_best_result(metric="loss", mode="min", scope="last")
    assert best.metrics["loss"] == pytest.approx(search.study.best_value)
