"""TPESampler: the sampler contract, each distribution kind, conditional spaces, constant liar,
constraints, several objectives, seeds, and that it beats random search."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial._reference.tpe import ParzenEstimator, log_ndtr_diff, ndtr
from hyperdial.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    internal_to_unit,
)
from hyperdial.samplers import RandomSampler, TPESampler
from hyperdial.samplers._unit_cube import cells, to_unit
from hyperdial.testing import SamplerContract
from hyperdial.testing.sampler import DISTRIBUTION_KINDS, assert_in_distribution, suggest
from hyperdial.trial import TrialState


class TestTPEContract(SamplerContract):
    n_trials = 24
    trials_per_example = 14  # past the start-up trials, so the model runs

    def make_sampler(self, seed: int | None) -> TPESampler:
        return TPESampler(seed=seed, n_startup_trials=5)


class TestTPEUnivariateContract(SamplerContract):
    n_trials = 16
    max_examples = 10
    trials_per_example = 10

    def make_sampler(self, seed: int | None) -> TPESampler:
        return TPESampler(seed=seed, n_startup_trials=3, multivariate=False)


# -- numerics --------------------------------------------------------------------------------


def test_ndtr_matches_math_erf() -> None:
    x = np.linspace(-8, 8, 321)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(ndtr(x), ref, rtol=2e-7, atol=1e-300)


def test_log_ndtr_diff_in_the_tails() -> None:
    a, b = np.array([6.0, -6.5]), np.array([6.5, -6.0])
    ref = [math.log(0.5 * (math.erfc(6 / math.sqrt(2)) - math.erfc(6.5 / math.sqrt(2))))] * 2
    np.testing.assert_allclose(log_ndtr_diff(a, b), ref, rtol=1e-5)


@pytest.mark.parametrize(
    "kind", [k for k in DISTRIBUTION_KINDS if not k.startswith(("single", "cat"))]
)
def test_to_unit_agrees_with_internal_to_unit(kind: str) -> None:
    dist = DISTRIBUTION_KINDS[kind]
    rng = np.random.default_rng(0)
    from hyperdial.distributions import unit_to_internal

    vals = np.array([unit_to_internal(dist, u) for u in rng.random(50)])
    ref = np.array([internal_to_unit(dist, v) for v in vals])
    np.testing.assert_allclose(to_unit(dist, vals), ref, rtol=1e-12, atol=1e-12)
    centre, lo, hi = cells(dist, ref)
    np.testing.assert_allclose(centre, ref, rtol=1e-9, atol=1e-12)
    assert np.all(lo <= centre) and np.all(centre <= hi)


def test_to_unit_marks_values_outside_the_range() -> None:
    u = to_unit(FloatDistribution(0.0, 1.0), np.array([-0.5, 0.5, 2.0, np.nan]))
    assert np.isnan(u[[0, 2, 3]]).all() and u[1] == 0.5


def test_parzen_density_integrates_to_one() -> None:
    rng = np.random.default_rng(1)
    est = ParzenEstimator(
        rng.random((7, 2)), np.empty((7, 0), dtype=np.int64), np.empty(0), np.zeros(2, bool)
    )
    g = (np.arange(400) + 0.5) / 400
    xx, yy = np.meshgrid(g, g)
    x = np.stack([xx.ravel(), yy.ravel()], axis=1)
    p = np.exp(est.log_pdf(x, x, x, np.empty((x.shape[0], 0), dtype=np.int64)))
    assert abs(p.mean() - 1.0) < 1e-3


def test_parzen_discrete_and_categorical_masses_sum_to_one() -> None:
    n_cells = 5
    mu = (np.array([[0.0], [3.0], [3.0]]) + 0.5) / n_cells
    cat = np.array([[0], [2], [2]])
    est = ParzenEstimator(mu, cat, np.array([3.0]), np.array([True]))
    k = np.arange(n_cells, dtype=float)
    lo, hi = np.repeat(k / n_cells, 3)[:, None], np.repeat((k + 1) / n_cells, 3)[:, None]
    xc = np.tile(np.arange(3), n_cells)[:, None]
    p = np.exp(est.log_pdf((lo + hi) / 2, lo, hi, xc))
    assert abs(p.sum() - 1.0) < 1e-6
    assert p.argmax() == 3 * 3 + 2  # cell 3, choice 2: where two observations agree


# -- behaviour -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", sorted(k for k in DISTRIBUTION_KINDS if not k.startswith("single"))
)
def test_each_kind_concentrates_near_the_optimum(kind: str) -> None:
    dist = DISTRIBUTION_KINDS[kind]
    if isinstance(dist, CategoricalDistribution):
        target = 3  # index of None

        def loss(trial: hyperdial.Trial) -> float:
            return 0.0 if dist.to_internal_repr(suggest(trial, "p", dist)) == target else 1.0

        good = dist.choices[target]
    else:
        target_u = 0.8

        def loss(trial: hyperdial.Trial) -> float:
            v = suggest(trial, "p", dist)
            return abs(internal_to_unit(dist, float(v)) - target_u)

    study = hyperdial.create_study(sampler=TPESampler(seed=3))
    study.optimize(loss, n_trials=60)
    late = study.trials[30:]
    for t in late:
        assert_in_distribution(dist, t.params["p"])
    random = hyperdial.create_study(sampler=RandomSampler(seed=3))
    random.optimize(loss, n_trials=60)
    tpe_mean = np.mean([t.value for t in late])
    rnd_mean = np.mean([t.value for t in random.trials[30:]])
    assert tpe_mean < 0.6 * rnd_mean, (tpe_mean, rnd_mean)
    if isinstance(dist, CategoricalDistribution):
        assert sum(t.params["p"] is good for t in late) >= 15  # random: 6


def _conditional(trial: hyperdial.Trial) -> float:
    model = trial.suggest_categorical("model", ["svm", "tree", "net"])
    if model == "svm":
        c = trial.suggest_float("c", 1e-3, 1e3, log=True)
        return 1.0 + abs(math.log10(c) - 1)
    if model == "tree":
        depth = trial.suggest_int("depth", 1, 10)
        if depth >= 5:
            leaf = trial.suggest_categorical("leaf", ["a", "b", "c"])
            return 0.5 * abs(depth - 7) + (0.0 if leaf == "b" else 0.5)
        return 3.0
    layers = trial.suggest_int("layers", 1, 4)
    return 2.0 + sum(trial.suggest_float(f"w{i}", -1, 1) ** 2 for i in range(layers))


def test_conditional_space_is_decomposed_into_groups() -> None:
    sampler = TPESampler(seed=0)
    study = hyperdial.create_study(sampler=sampler)
    study.optimize(_conditional, n_trials=80)
    (hist,) = sampler._history.values()
    groups = {tuple(sorted(g)) for g in hist.groups}
    assert ("model",) in groups and ("c",) in groups and ("leaf",) in groups
    assert ("depth",) in groups
    late = study.trials[40:]
    assert sum(t.params["model"] == "tree" for t in late) >= 25
    assert study.best_value <= 0.5


def test_constant_liar_spreads_running_trials() -> None:
    def spread(liar: bool, seed: int) -> float:
        study = hyperdial.create_study(sampler=TPESampler(seed=seed, constant_liar=liar))
        for _ in range(20):
            t = study.ask()
            study.tell(t, (t.suggest_float("x", 0, 1) - 0.3) ** 2)
        running = [study.ask() for _ in range(8)]
        xs = np.array([t.suggest_float("x", 0, 1) for t in running])
        return float(np.std(xs))

    # The spread of 8 proposals varies a lot from seed to seed: compare the median ratio.
    ratios = [spread(True, seed) / spread(False, seed) for seed in range(7)]
    assert np.median(ratios) > 1.5


def test_constraints_steer_to_the_feasible_region() -> None:
    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", -3, 3)
        trial.set_constraint("x_at_least_1", 1.0 - x)  # feasible when x >= 1
        return x * x

    study = hyperdial.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60)
    late = [t.params["x"] for t in study.trials[30:]]
    # Unconstrained, TPE would crowd around x = 0; with the constraint it crowds around 1.
    assert 0.8 < np.median(late) < 1.3
    best = min(t.value for t in study.trials if t.is_feasible())
    assert best < 1.1


def test_multi_objective_approaches_the_front() -> None:
    def objective(trial: hyperdial.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        return x + y**2, 1 - x + y**2  # front: y = 0

    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=60)
    rnd = hyperdial.create_study(
        directions=["minimize", "minimize"], sampler=RandomSampler(seed=0)
    )
    rnd.optimize(objective, n_trials=60)
    tpe_y = np.median([t.params["y"] for t in study.trials[30:]])
    rnd_y = np.median([t.params["y"] for t in rnd.trials[30:]])
    assert tpe_y < 0.5 * rnd_y


def test_maximize_is_the_mirror_of_minimize() -> None:
    def run(direction: str) -> list[float]:
        study = hyperdial.create_study(direction=direction, sampler=TPESampler(seed=4))
        sign = 1.0 if direction == "minimize" else -1.0
        study.optimize(lambda t: sign * (t.suggest_float("x", -2, 2) - 0.5) ** 2, n_trials=25)
        return [t.params["x"] for t in study.trials]

    assert run("minimize") == run("maximize")


def test_seed_reproducibility_and_seed_matters() -> None:
    def run(seed: int) -> list[dict[str, object]]:
        study = hyperdial.create_study(sampler=TPESampler(seed=seed))
        study.optimize(_conditional, n_trials=30)
        return [t.params for t in study.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_startup_trials_are_random() -> None:
    study = hyperdial.create_study(sampler=TPESampler(seed=5, n_startup_trials=10))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    ref = hyperdial.create_study(sampler=RandomSampler(seed=5))
    ref.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert [t.params for t in study.trials] == [t.params for t in ref.trials]


def test_rank_rows_puts_pruned_trials_after_complete_ones_by_step_then_value() -> None:
    from hyperdial.samplers._tpe._sampler import rank_rows
    from hyperdial.trial import FrozenTrial

    dist = {"x": FloatDistribution(0, 1)}

    def trial(state: TrialState, value: float | None, iv: dict[int, float]) -> FrozenTrial:
        return FrozenTrial(
            state=state,
            values=None if value is None else [value],
            params={"x": 0.5},
            distributions=dist,
            intermediate_values=iv,
        )

    study = hyperdial.create_study(direction="maximize")
    study.add_trials(
        [
            trial(TrialState.COMPLETE, 3.0, {0: 1.0, 9: 3.0}),  # 0
            trial(TrialState.PRUNED, None, {0: 9.0, 1: 2.0}),  # 1: step 1, value 2
            trial(TrialState.PRUNED, None, {0: 8.0, 1: 7.0, 2: 0.5}),  # 2: step 2, value 0.5
            trial(TrialState.PRUNED, None, {0: 9.5}),  # 3: step 0, best value of all
            trial(TrialState.PRUNED, None, {0: 1.0, 1: 5.0}),  # 4: step 1, value 5
            trial(TrialState.PRUNED, None, {}),  # 5: reported nothing
            trial(TrialState.COMPLETE, 1.0, {}),  # 6
            trial(TrialState.PRUNED, None, {0: 1.0, 1: math.nan}),  # 7: step 1, NaN is worst
        ]
    )
    sampler = TPESampler(seed=0)
    hist = sampler._updated_history(study)
    rows = np.arange(8)
    # complete by value (maximised), then pruned: further first, then by value, NaN last
    # in its step, nothing reported last of all
    assert rank_rows(hist, rows, 8).tolist() == [0, 6, 2, 4, 1, 7, 3, 5]
    assert rank_rows(hist, rows, 3).tolist() == [0, 6, 2]
    assert rank_rows(hist, rows, 1).tolist() == [0]


def test_pruned_trials_inform_the_model() -> None:
    """Pruned trials count as finished (for the start-up and gamma) and as observations in
    the ranking; treating the same trials as FAIL (ignored) makes TPE waste far more trials
    on regions it has already seen pruned, and find worse points."""

    class Dropped(Exception):
        pass

    def make(as_failure: bool) -> Any:
        def objective(trial: hyperdial.Trial) -> float:
            x = np.array([trial.suggest_float(f"x{i}", -5, 5) for i in range(2)])
            f = float(((x - 1.0) ** 2).sum())
            for step in range(4):
                trial.report(f + (3 - step) * 0.5, step)
                if trial.should_prune():
                    raise Dropped() if as_failure else hyperdial.TrialPruned()
            return f

        return objective

    logger = logging.getLogger("hyperdial")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the FAIL runs log a traceback per trial
    try:
        results = {}
        for as_failure in (False, True):
            best, wasted = [], []
            for seed in range(6):
                study = hyperdial.create_study(
                    sampler=TPESampler(seed=seed),
                    pruner=hyperdial.pruners.ThresholdPruner(upper=6.0),
                )
                study.optimize(make(as_failure), n_trials=60, catch=(Dropped,))
                best.append(study.best_value)
                wasted.append(sum(t.state != TrialState.COMPLETE for t in study.trials[30:]))
            results[as_failure] = (float(np.median(best)), float(np.median(wasted)))
    finally:
        logger.setLevel(level)
    (best_used, wasted_used), (best_ignored, wasted_ignored) = results[False], results[True]
    assert wasted_used < 0.7 * wasted_ignored, results
    assert best_used < best_ignored, results


def test_pruned_and_failed_trials_are_tolerated() -> None:
    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 1:
            raise hyperdial.TrialPruned()
        return x

    study = hyperdial.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    study.optimize(objective, n_trials=30)
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_startup_trials": -1},
        {"n_ei_candidates": 0},
        {"prior_weight": 0.0},
        {"prior_weight": math.nan},
        {"startup": "halton"},
        {"good_weights": "best"},
    ],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        TPESampler(**kwargs)  # type: ignore[arg-type]


def test_beats_random_on_a_smooth_problem() -> None:
    def sphere(trial: hyperdial.Trial) -> float:
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.5) ** 2 for i in range(4))

    tpe, rnd = [], []
    for seed in range(5):
        s = hyperdial.create_study(sampler=TPESampler(seed=seed))
        s.optimize(sphere, n_trials=80)
        tpe.append(s.best_value)
        r = hyperdial.create_study(sampler=RandomSampler(seed=seed))
        r.optimize(sphere, n_trials=80)
        rnd.append(r.best_value)
    assert np.median(tpe) < 0.3 * np.median(rnd), (tpe, rnd)


def test_history_is_read_incrementally() -> None:
    calls: list[int] = []
    study = hyperdial.create_study(sampler=TPESampler(seed=0))
    orig = study._storage.get_trials_changed_since

    def spy(study_id: int, mark: int):  # type: ignore[no-untyped-def]
        trials, new_mark = orig(study_id, mark)
        calls.append(len(trials))
        return trials, new_mark

    study._storage.get_trials_changed_since = spy  # type: ignore[method-assign]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=60)
    assert max(calls[10:]) <= 3  # only the trials that changed, never the whole history


def test_bandwidths_are_neighbour_distances() -> None:
    from hyperdial._reference.tpe import bandwidths

    mu = np.array([[0.5], [0.1], [0.2], [0.9]])
    # sorted 0.1, 0.2, 0.5, 0.9: max(left, right) gaps, ends use their inner gap only, and
    # nothing below 1 / (n + 2) = 1/6 (n kernels with the prior, plus one)
    np.testing.assert_allclose(bandwidths(mu)[:, 0], [0.4, 1 / 6, 0.3, 0.4])
    mu = np.array([[0.6], [0.7]])
    np.testing.assert_allclose(bandwidths(mu)[:, 0], [0.25, 0.25])
    np.testing.assert_allclose(bandwidths(mu, consider_endpoints=True)[:, 0], [0.6, 0.3])
    tight = bandwidths(np.array([[0.5], [0.5], [0.5]]))
    np.testing.assert_allclose(tight, 0.2)  # the magic clip: 1 / min(100, n + 2)
    # several dimensions are independent columns
    two = bandwidths(np.array([[0.5, 0.1], [0.1, 0.5], [0.2, 0.9], [0.9, 0.2]]))
    np.testing.assert_allclose(two[:, 0], [0.4, 1 / 6, 0.3, 0.4])
    np.testing.assert_allclose(two[:, 1], [1 / 6, 0.4, 0.4, 0.3])


def test_good_group_weights_follow_the_improvement() -> None:
    from hyperdial.trial import FrozenTrial

    dists = {"x": FloatDistribution(0, 1)}
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 6.0]
    study = hyperdial.create_study()
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE, values=[v], params={"x": v / 10}, distributions=dists
        )
        for v in values
    )
    sampler = TPESampler(seed=0, gamma=lambda n: 3)
    hist = sampler._updated_history(study)
    below, w = sampler._split(hist, np.arange(6))
    assert below.tolist() == [1, 3, 2]
    assert w is not None
    np.testing.assert_allclose(w, [4.0 - 1.0, 4.0 - 2.0, 4.0 - 3.0])  # threshold: 4.0
    uniform = TPESampler(seed=0, gamma=lambda n: 3, good_weights="uniform")
    assert uniform._split(uniform._updated_history(study), np.arange(6))[1] is None


def test_default_gamma_takes_a_fifth_up_to_25() -> None:
    from hyperdial.samplers._tpe import default_gamma

    ns = [1, 5, 6, 10, 11, 25, 30, 50, 100, 125, 126, 1000]
    assert [default_gamma(n) for n in ns] == [1, 1, 2, 2, 3, 5, 6, 10, 20, 25, 25, 25]


def test_default_good_group_at_25_trials_has_5_rows() -> None:
    from hyperdial.trial import FrozenTrial

    dists = {"x": FloatDistribution(0, 1)}
    study = hyperdial.create_study()
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE, values=[v], params={"x": v / 25}, distributions=dists
        )
        for v in np.random.default_rng(0).permutation(25).astype(float)
    )
    sampler = TPESampler(seed=0)
    below, w = sampler._split(sampler._updated_history(study), np.arange(25))
    assert sorted(study.trials[i].value for i in below) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert w is not None


def test_bad_observations_are_thinned_beyond_the_cap() -> None:
    sampler = TPESampler(seed=0, max_bad_observations=100)
    rows, w = sampler._thin(np.arange(1000))
    assert rows.size <= 100 and np.all(np.diff(rows) > 0)
    assert rows[-50:].tolist() == list(range(950, 1000))
    full = np.ones(1000)
    full[:975] = np.linspace(1 / 1000, 1, 975)
    assert abs(w.sum() - full.sum()) < 1e-9
    rows, w = sampler._thin(np.arange(80))
    assert rows.size == 80


def test_model_size_is_capped_in_large_studies(monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperdial.samplers._tpe import _sampler
    from hyperdial.trial import FrozenTrial

    sizes: list[int] = []
    log_ratio = _sampler._core.tpe_log_ratio

    def spy(**kwargs: Any) -> Any:
        sizes.extend([kwargs["good_mu"].shape[0], kwargs["bad_mu"].shape[0]])
        return log_ratio(**kwargs)

    monkeypatch.setattr(_sampler._core, "tpe_log_ratio", spy)
    dists = {f"x{i}": FloatDistribution(0, 1) for i in range(3)}
    rng = np.random.default_rng(0)
    study = hyperdial.create_study(sampler=TPESampler(seed=0, max_bad_observations=64))
    study.add_trials(
        FrozenTrial(
            state=TrialState.COMPLETE,
            values=[float(rng.random())],
            params={k: float(rng.random()) for k in dists},
            distributions=dists,
        )
        for _ in range(2000)
    )
    study.optimize(lambda t: sum(t.suggest_float(k, 0, 1) for k in dists), n_trials=3)
    assert sizes == [25, 64] * 3  # good group: the cap of gamma; bad group: thinned


def test_pareto_pick_takes_whole_fronts_first() -> None:
    from hyperdial.samplers._tpe._sampler import _pareto_pick

    loss = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0], [2.0, 2.0], [4.0, 4.0], [1.5, 3.5]])
    assert sorted(_pareto_pick(loss, 3).tolist()) == [0, 1, 2]  # the first front
    assert sorted(_pareto_pick(loss, 5).tolist()) == [0, 1, 2, 3, 5]  # plus the second
    assert _pareto_pick(loss, 2).size == 2


def test_infeasible_trials_rank_by_violation_in_multi_objective_studies() -> None:
    def objective(trial: hyperdial.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("c", 0.5 - x)  # feasible when x >= 0.5
        return x, 1 - x

    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=2))
    study.optimize(objective, n_trials=50)
    late = [t.params["x"] for t in study.trials[25:]]
    assert np.mean([x >= 0.45 for x in late]) > 0.7


def test_log_density_ratio_matches_optunas_parzen_estimator() -> None:
    """Same observations, weights and candidates: log l - log g as Optuna 5.0 computes it
    (floats, a log float and a categorical), up to the 1e-7 erfc approximation."""
    pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution as OCat
    from optuna.distributions import FloatDistribution as OFloat
    from optuna.samplers._tpe.parzen_estimator import (
        _ParzenEstimator,
        _ParzenEstimatorParameters,
    )
    from optuna.samplers._tpe.sampler import default_weights

    rng = np.random.default_rng(4)
    n_good, n_bad = 6, 40
    lo, hi = -3.0, 7.0
    space = {"a": OFloat(lo, hi), "b": OFloat(1e-3, 10.0, log=True), "c": OCat([0, 1, 2])}
    obs = {
        "a": rng.uniform(lo, hi, n_good + n_bad),
        "b": np.exp(rng.uniform(math.log(1e-3), math.log(10.0), n_good + n_bad)),
        "c": rng.integers(0, 3, n_good + n_bad).astype(float),
    }
    params = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    good = _ParzenEstimator({k: v[:n_good] for k, v in obs.items()}, space, params)
    bad = _ParzenEstimator({k: v[n_good:] for k, v in obs.items()}, space, params)
    cand = {
        "a": rng.uniform(lo, hi, 50),
        "b": np.exp(rng.uniform(math.log(1e-3), math.log(10.0), 50)),
        "c": rng.integers(0, 3, 50).astype(float),
    }
    ref = good.log_pdf(cand) - bad.log_pdf(cand)

    def unit(values: dict[str, np.ndarray]) -> np.ndarray:
        a = (values["a"] - lo) / (hi - lo)
        b = (np.log(values["b"]) - math.log(1e-3)) / (math.log(10.0) - math.log(1e-3))
        return np.stack([a, b], axis=1)

    mu, cat = unit(obs), obs["c"].astype(np.int64)[:, None]
    k = np.array([3.0])
    coarse = np.zeros(2, dtype=bool)
    ours_good = ParzenEstimator(mu[:n_good], cat[:n_good], k, coarse)
    ours_bad = ParzenEstimator(mu[n_good:], cat[n_good:], k, coarse, 1.0, default_weights(n_bad))
    x, xc = unit(cand), cand["c"].astype(np.int64)[:, None]
    ours = ours_good.log_pdf(x, x, x, xc) - ours_bad.log_pdf(x, x, x, xc)
    np.testing.assert_allclose(ours, ref, atol=2e-5)


@pytest.mark.skipif(
    not hasattr(hyperdial._core, "tpe_sample"), reason="core built without NumPy's libnpyrandom"
)
@pytest.mark.parametrize(
    "setting", ["mixed", "conditional", "univariate", "liar", "multi", "constrained"]
)
def test_core_draw_and_numpy_draw_give_the_same_trials(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampler draws its candidates in C++ (``_core.tpe_sample``) when the core has it;
    the NumPy draw it replaced must give the same trials, so that quality results measured
    with either describe both."""
    from hyperdial.samplers._tpe import _sampler

    def objective(t: hyperdial.Trial) -> float | tuple[float, float]:
        x = t.suggest_float("x", -3, 3)
        y = t.suggest_int("y", 1, 1000, log=True)
        z = t.suggest_float("z", 0, 1, step=0.25)
        c = t.suggest_categorical("c", ["a", "b", None, 3])
        w = t.suggest_int("w", -5, 5)
        if setting == "conditional" and c == "a":
            x += t.suggest_float("extra", 1e-4, 1, log=True)
        if setting == "constrained":
            t.set_constraint("x", x - 1.0)
        v = (x - 1) ** 2 + math.log(y) + z + (c != "b") + abs(w)
        return (v, -x) if setting == "multi" else v

    def run(core_draw: bool) -> list[dict[str, object]]:
        monkeypatch.setattr(_sampler, "_HAVE_CORE_DRAW", core_draw)
        sampler = TPESampler(seed=3, n_startup_trials=6, multivariate=setting != "univariate")
        directions = ["minimize", "minimize"] if setting == "multi" else None
        study = hyperdial.create_study(sampler=sampler, directions=directions)
        if setting == "liar":
            running = [study.ask() for _ in range(12)]
            for t in running:
                study.tell(t, objective(t))
            pending = [study.ask() for _ in range(4)]
            for t in pending:
                objective(t)  # suggestions made while the others still run
            return [t.params for t in study.trials]
        study.optimize(objective, n_trials=40)
        return [t.params for t in study.trials]

    assert run(True) == run(False)


@pytest.mark.parametrize(("space", "mixed"), [("mixed", True), ("numeric", False), ("cat", False)])
def test_a_group_with_numeric_and_categorical_parameters_gets_a_larger_prior(
    space: str, mixed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The estimators of a mixed group get ``MIXED_PRIOR_SCALE`` times ``prior_weight``, which
    also widens their categorical smoothing; numeric-only and categorical-only groups do not."""
    from hyperdial.samplers._tpe import _sampler

    scale = _sampler.MIXED_PRIOR_SCALE if mixed else 1.0
    assert _sampler.MIXED_PRIOR_SCALE > 1.0
    seen: list[float] = []
    log_ratio = _sampler._core.tpe_log_ratio

    def spy(**kw: Any) -> Any:
        seen.append(kw["prior_weight"])
        return log_ratio(**kw)

    monkeypatch.setattr(_sampler._core, "tpe_log_ratio", spy)

    def objective(t: hyperdial.Trial) -> float:
        x = t.suggest_float("x", -1, 1) if space != "cat" else 0.0
        c = t.suggest_categorical("c", ["a", "b", "c"]) if space != "numeric" else "a"
        return x**2 + (c == "b")

    study = hyperdial.create_study(
        sampler=TPESampler(seed=0, n_startup_trials=3, prior_weight=1.5)
    )
    study.optimize(objective, n_trials=6)
    assert seen == [1.5 * scale] * 3
