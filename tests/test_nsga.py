"""NSGAIISampler and NSGAIIISampler: the ranking kernels against brute force, the crossovers'
bounds and statistics, generations shared through the storage, constraints, hooks, bad
arguments, the sampler contract, and (slow lane) that they beat random search."""

from __future__ import annotations

import json
import logging
import math
import pickle
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.samplers import NSGAIIISampler, NSGAIISampler, RandomSampler
from hyperdial.samplers.nsgaii import (
    BaseCrossover,
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from hyperdial.samplers.nsgaii._ranking import (
    constrained_ranks,
    crowding_distance,
    das_dennis,
    finite_loss,
    select_nsga2,
    select_nsga3,
)
from hyperdial.testing import SamplerContract
from hyperdial.testing.sampler import assert_in_distribution, suggest
from hyperdial.trial import TrialState
from hyperdial.visualization._hypervolume import hypervolume


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    level = hyperdial.logging.get_verbosity()
    hyperdial.logging.set_verbosity(logging.WARNING)
    yield
    hyperdial.logging.set_verbosity(level)


# -- ranking against brute force -------------------------------------------------------------


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def _brute_ranks(loss: np.ndarray, violation: np.ndarray | None) -> list[int]:
    """Deb's definition by repeated scans: a candidate is in front r when nothing left
    constrained-dominates it."""
    n = loss.shape[0]
    viol = np.zeros(n) if violation is None else violation

    def beats(i: int, j: int) -> bool:
        if viol[i] <= 0 < viol[j]:
            return True
        if viol[i] > 0 and viol[j] > 0:
            return bool(viol[i] < viol[j])
        return viol[i] <= 0 and viol[j] <= 0 and _dominates(loss[i], loss[j])

    rank = [-1] * n
    left = set(range(n))
    r = 0
    while left:
        front = {j for j in left if not any(beats(i, j) for i in left if i != j)}
        for j in front:
            rank[j] = r
        left -= front
        r += 1
    return rank


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("constrained", [False, True])
def test_constrained_ranks_match_brute_force(m: int, constrained: bool) -> None:
    rng = np.random.default_rng(m + 10 * constrained)
    for _ in range(20):
        n = int(rng.integers(1, 30))
        loss = np.round(rng.random((n, m)) * 4) / 4  # ties and duplicates
        viol = np.where(rng.random(n) < 0.4, np.round(rng.random(n) * 3), 0.0)
        v = viol if constrained else None
        assert constrained_ranks(loss, v).tolist() == _brute_ranks(loss, v)


def _brute_crowding(loss: np.ndarray) -> list[float]:
    n, m = loss.shape
    dist = [0.0] * n
    for k in range(m):
        order = sorted(range(n), key=lambda i: (loss[i, k], i))
        span = loss[order[-1], k] - loss[order[0], k]
        dist[order[0]] = dist[order[-1]] = math.inf
        for a in range(1, n - 1):
            if span > 0:
                dist[order[a]] += (loss[order[a + 1], k] - loss[order[a - 1], k]) / span
    return dist


@pytest.mark.parametrize("m", [2, 3, 5])
def test_crowding_distance_matches_brute_force(m: int) -> None:
    rng = np.random.default_rng(m)
    for n in (1, 2, 3, 7, 25):
        loss = rng.random((n, m))
        np.testing.assert_allclose(crowding_distance(loss), _brute_crowding(loss), rtol=1e-12)


def test_infinite_values_are_extremes_not_nan() -> None:
    loss = np.array([[0.0, np.inf], [1.0, 1.0], [2.0, 0.5], [-np.inf, 3.0]])
    fin = finite_loss(loss)
    assert np.all(np.isfinite(fin))
    assert fin[0, 1] > 3.0 and fin[3, 0] < 0.0
    dist = crowding_distance(loss)
    assert not np.any(np.isnan(dist))
    assert constrained_ranks(loss, None).tolist() == _brute_ranks(loss, None)


def test_select_nsga2_fills_whole_fronts_then_cuts_by_crowding() -> None:
    rng = np.random.default_rng(0)
    loss = rng.random((40, 2))
    rank = constrained_ranks(loss, None)
    for k in (1, 10, 20, 39, 40, 55):
        picked = select_nsga2(loss, None, k)
        assert picked.size == min(k, 40) and len(set(picked.tolist())) == picked.size
        worst = rank[picked].max()
        assert np.all(np.isin(np.flatnonzero(rank < worst), picked))  # whole better fronts
        cut = np.flatnonzero(rank == worst)
        crowd = crowding_distance(loss[cut])
        kept = np.isin(cut, picked)
        if not kept.all():
            assert crowd[kept].min() >= crowd[~kept].max()


def test_select_nsga2_prefers_feasible_then_small_violation() -> None:
    loss = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0], [0.0, 0.0]])
    viol = np.array([2.0, 0.0, 0.0, 1.0])
    assert select_nsga2(loss, viol, 3).tolist() == [2, 1, 3]


@pytest.mark.parametrize(("m", "p"), [(1, 3), (2, 1), (2, 5), (3, 4), (5, 2)])
def test_das_dennis_points(m: int, p: int) -> None:
    pts = das_dennis(m, p)
    assert pts.shape == (math.comb(m + p - 1, p), m)
    np.testing.assert_allclose(pts.sum(axis=1), 1.0)
    assert np.all(pts >= 0)
    np.testing.assert_allclose(pts * p, np.round(pts * p), atol=1e-12)
    assert len({tuple(r) for r in pts.tolist()}) == pts.shape[0]


def test_select_nsga3_takes_one_member_per_reference_point() -> None:
    # Two candidates on each reference direction, all mutually non-dominated (on the simplex):
    # niching must take one per reference point, the nearer one first.
    ref = das_dennis(3, 3)
    near = ref * 1.0
    far = np.abs(ref + np.random.default_rng(0).normal(0, 0.03, ref.shape))
    far /= far.sum(axis=1, keepdims=True)
    loss = np.vstack([far, near])
    picked = select_nsga3(loss, None, ref.shape[0], ref, np.random.default_rng(1))
    assert constrained_ranks(loss, None).max() == 0
    assert sorted(picked.tolist()) == list(range(ref.shape[0], 2 * ref.shape[0]))


# -- crossovers ------------------------------------------------------------------------------

ALL_CROSSOVERS: dict[str, BaseCrossover] = {
    "uniform": UniformCrossover(),
    "blx": BLXAlphaCrossover(),
    "spx": SPXCrossover(),
    "sbx": SBXCrossover(),
    "vsbx": VSBXCrossover(),
    "undx": UNDXCrossover(),
}


def _children(crossover: BaseCrossover, parents: np.ndarray, n: int) -> np.ndarray:
    rng = np.random.RandomState(0)
    bounds = np.tile([0.0, 1.0], (parents.shape[1], 1))
    return np.array([crossover.crossover(parents, rng, None, bounds) for _ in range(n)])  # type: ignore[arg-type]


def test_uniform_takes_genes_from_the_parents_with_swapping_prob() -> None:
    parents = np.array([[0.0] * 8, [1.0] * 8])
    kids = _children(UniformCrossover(swapping_prob=0.3), parents, 2000)
    assert set(np.unique(kids).tolist()) == {0.0, 1.0}
    assert abs(kids.mean() - 0.3) < 0.02


def test_blx_alpha_is_uniform_on_the_widened_interval() -> None:
    parents = np.array([[0.4, 0.5], [0.6, 0.5]])
    kids = _children(BLXAlphaCrossover(alpha=0.5), parents, 4000)
    assert kids[:, 0].min() >= 0.3 and kids[:, 0].max() <= 0.7
    assert abs(kids[:, 0].mean() - 0.5) < 0.005
    assert abs(kids[:, 0].var() - 0.4**2 / 12) < 0.001  # uniform on [0.3, 0.7]
    assert np.all(kids[:, 1] == 0.5)


def test_spx_children_are_centred_on_the_parents_centroid() -> None:
    parents = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.6]])
    kids = _children(SPXCrossover(), parents, 4000)
    np.testing.assert_allclose(kids.mean(axis=0), parents.mean(axis=0), atol=0.005)
    # Inside the simplex expanded by sqrt(d + 2) = 2 about the centroid.
    c = parents.mean(axis=0)
    big = c + 2.0 * (parents - c)
    a, b, d = big
    m = np.column_stack([b - a, d - a])
    lam = np.linalg.solve(m, (kids - a).T).T
    assert np.all(lam >= -1e-9) and np.all(lam.sum(axis=1) <= 1 + 1e-9)


def test_undx_mean_and_spread_along_the_parents_line() -> None:
    parents = np.array([[0.3, 0.5, 0.5], [0.7, 0.5, 0.5], [0.5, 0.6, 0.5]])
    kids = _children(UNDXCrossover(sigma_xi=0.5, sigma_eta=0.2), parents, 3000)
    np.testing.assert_allclose(kids.mean(axis=0), [0.5, 0.5, 0.5], atol=0.015)
    # Along the line (length 0.4): sd = sigma_xi * 0.4; across it: D * sigma_eta = 0.1 * 0.2.
    assert abs(kids[:, 0].std() - 0.2) < 0.015
    assert abs(kids[:, 1].std() - 0.02) < 0.0015
    assert abs(kids[:, 2].std() - 0.02) < 0.0015


@pytest.mark.parametrize("cls", [SBXCrossover, VSBXCrossover])
def test_sbx_family_is_symmetric_about_the_parents_and_eta_narrows_it(cls: type) -> None:
    parents = np.array([[0.4], [0.6]])
    wide = _children(cls(eta=1.0, use_child_gene_prob=1.0), parents, 1500)[:, 0]
    narrow = _children(cls(eta=30.0, use_child_gene_prob=1.0), parents, 1500)[:, 0]
    for kids in (wide, narrow):
        assert abs(kids.mean() - 0.5) < 0.02
    # Distance to the nearer parent shrinks as eta grows.
    gap = lambda k: np.minimum(abs(k - 0.4), abs(k - 0.6)).mean()  # noqa: E731
    assert gap(narrow) < gap(wide) / 3


def test_sbx_children_stay_in_bounds_next_to_a_bound() -> None:
    parents = np.array([[0.001, 0.999], [0.01, 0.99]])
    kids = _children(SBXCrossover(eta=0.5), parents, 1000)
    assert kids.min() >= 0.0 and kids.max() <= 1.0


def test_polynomial_mutation_stays_in_bounds_and_is_centred() -> None:
    rng = np.random.RandomState(0)
    mut = PolynomialMutation(eta=5.0)
    bounds = np.array([0.0, 1.0])
    at_edge = [mut.mutation(0.999, rng, None, bounds) for _ in range(2000)]  # type: ignore[arg-type]
    assert min(at_edge) >= 0.0 and max(at_edge) <= 1.0
    mid = [mut.mutation(0.5, rng, None, bounds) for _ in range(4000)]  # type: ignore[arg-type]
    assert abs(np.mean(mid) - 0.5) < 0.01


SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-2.0, 3.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "half": FloatDistribution(-1.0, 1.0, step=0.5),
    "n": IntDistribution(0, 9),
    "even": IntDistribution(2, 20, step=2),
    "units": IntDistribution(1, 1024, log=True),
    "c": CategoricalDistribution(["a", "b", None, 1.5]),
}


def _two_objectives(trial: hyperdial.Trial) -> tuple[float, float]:
    p = {name: suggest(trial, name, dist) for name, dist in SPACE.items()}
    x = p["x"] + math.log10(p["lr"]) / 4 + p["half"] + p["n"] / 9 + p["even"] / 20
    x += math.log2(p["units"]) / 10 + (0.3 if p["c"] == "a" else 0.0)
    return x**2, (x - 2.0) ** 2


@pytest.mark.parametrize("name", sorted(ALL_CROSSOVERS))
def test_every_crossover_keeps_every_kind_of_parameter_in_its_distribution(name: str) -> None:
    sampler = NSGAIISampler(
        population_size=6, crossover=ALL_CROSSOVERS[name], crossover_prob=1.0, seed=2
    )
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=30)
    gens = {t.system_attrs["NSGAIISampler:generation"] for t in study.trials}
    assert max(gens) >= 3
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        for pname, dist in SPACE.items():
            assert_in_distribution(dist, t.params[pname], pname)


# -- the sampler -----------------------------------------------------------------------------


def test_children_come_from_the_parents() -> None:
    # Without mutation and with uniform crossover, every value of a child is one of its
    # parents' values.
    sampler = NSGAIISampler(population_size=5, mutation_prob=0.0, seed=0)
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=20)
    storage, sid = study._storage, study._study_id
    claims = storage.get_claims(sid, "nsga2:parents:")
    assert set(claims) >= {"nsga2:parents:1", "nsga2:parents:2"}
    trials = study.trials
    for t in trials:
        g = t.system_attrs["NSGAIISampler:generation"]
        if g == 0:
            continue
        parents = [trials[i] for i in json.loads(claims[f"nsga2:parents:{g}"])]
        assert len(parents) <= sampler.population_size
        assert all(p.system_attrs["NSGAIISampler:generation"] < g for p in parents)
        for name in SPACE:
            assert t.params[name] in [p.params[name] for p in parents]


def test_generations_have_population_size_trials() -> None:
    sampler = NSGAIISampler(population_size=4, seed=0)
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=18)
    gens = [t.system_attrs["NSGAIISampler:generation"] for t in study.trials]
    assert gens == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4 + [4] * 2
    assert [t.number for t in sampler.get_population(study, 1)] == [4, 5, 6, 7]
    assert len(sampler.get_parent_population(study, 2)) == 4
    assert sampler.get_trial_generation(study, study.trials[9]) == 2


def test_workers_with_their_own_sampler_share_one_population() -> None:
    storage = hyperdial.storages.InMemoryStorage()
    a = hyperdial.create_study(
        storage=storage, study_name="s", directions=["minimize", "minimize"],
        sampler=NSGAIISampler(population_size=4, seed=1),
    )  # fmt: skip
    b = hyperdial.load_study(
        storage=storage, study_name="s", sampler=NSGAIISampler(population_size=4, seed=2)
    )
    for i in range(24):
        study = a if i % 2 else b
        trial = study.ask()
        study.tell(trial, _two_objectives(trial))
    trials = a.trials
    gens = [t.system_attrs["NSGAIISampler:generation"] for t in trials]
    assert gens == sorted(gens) and max(gens) == 5
    # Both workers read the parents each generation from the one claim.
    pa = a.sampler.get_parent_population(a, 4)  # type: ignore[attr-defined]
    pb = b.sampler.get_parent_population(b, 4)  # type: ignore[attr-defined]
    assert [t.number for t in pa] == [t.number for t in pb]


@pytest.mark.parametrize("cls", [NSGAIISampler, NSGAIIISampler])
def test_a_pickled_study_goes_on_like_the_original(cls: type) -> None:
    study = hyperdial.create_study(
        directions=["minimize", "minimize"], sampler=cls(population_size=4, seed=5)
    )
    study.optimize(_two_objectives, n_trials=10)
    copy = pickle.loads(pickle.dumps(study))
    study.optimize(_two_objectives, n_trials=10)
    copy.optimize(_two_objectives, n_trials=10)
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]


def _seeded(sampler_cls: type, seed: int) -> list[dict[str, Any]]:
    study = hyperdial.create_study(
        directions=["minimize", "minimize"], sampler=sampler_cls(population_size=5, seed=seed)
    )
    study.optimize(_two_objectives, n_trials=20)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("cls", [NSGAIISampler, NSGAIIISampler])
def test_seeded_runs_are_reproducible(cls: type) -> None:
    assert _seeded(cls, 7) == _seeded(cls, 7)
    assert _seeded(cls, 7) != _seeded(cls, 8)


@pytest.mark.parametrize("cls", [NSGAIISampler, NSGAIIISampler])
def test_constraints_steer_the_population_into_the_feasible_region(cls: type) -> None:
    def objective(trial: hyperdial.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        trial.set_constraint("c", 1.2 - x - y)  # feasible when x + y >= 1.2 (32% of the box)
        return x, y

    sampler = cls(population_size=10, seed=3)
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=80)
    assert not all(t.is_feasible() for t in study.trials[:10])
    # Feasible trials beat infeasible ones, so once there are enough, all parents are.
    assert all(t.is_feasible() for t in sampler.get_parent_population(study, 7))
    front = study.best_trials
    assert front and all(t.is_feasible() for t in front)


def test_constraints_func_is_recorded_by_nsga() -> None:
    sampler = NSGAIISampler(
        population_size=4, seed=0, constraints_func=lambda t: [t.params["x"] - 1.0]
    )
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_two_objectives, n_trials=6)
    assert all(t.constraints == {"0": t.params["x"] - 1.0} for t in study.trials)


def test_single_objective_studies_improve() -> None:
    def sphere(trial: hyperdial.Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -5, 5) ** 2 for i in range(3))

    study = hyperdial.create_study(sampler=NSGAIISampler(population_size=10, seed=0))
    study.optimize(sphere, n_trials=100)
    first = min(t.value for t in study.trials[:10] if t.value is not None)
    assert study.best_value < first / 3


def test_hooks_replace_the_default_steps() -> None:
    calls: dict[str, int] = {"elite": 0, "child": 0, "after": 0}

    def elite(study: hyperdial.Study, population: list[Any]) -> list[Any]:
        calls["elite"] += 1
        return sorted(population, key=lambda t: t.values[0])[:3]

    def child(study: hyperdial.Study, space: dict[str, Any], parents: list[Any]) -> dict[str, Any]:
        calls["child"] += 1
        assert len(parents) == 3
        return {"x": 0.25} if "x" in space else {}

    def after(study: hyperdial.Study, trial: Any, state: TrialState, values: Any) -> None:
        calls["after"] += 1

    sampler = NSGAIISampler(
        population_size=4,
        seed=0,
        elite_population_selection_strategy=elite,
        child_generation_strategy=child,
        after_trial_strategy=after,
        constraints_func=lambda t: [1.0],  # not recorded: after_trial_strategy replaces it
    )
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=12)
    assert calls["after"] == 12 and calls["child"] == 8 and calls["elite"] == 2
    assert [t.params["x"] for t in study.trials[4:]] == [0.25] * 8
    assert all(not t.constraints for t in study.trials)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"population_size": 1}, ValueError, "population_size"),
        ({"population_size": 2.5}, ValueError, "population_size"),
        ({"population_size": 2, "crossover": SPXCrossover()}, ValueError, "population_size"),
        ({"crossover": "sbx"}, ValueError, "crossover"),
        ({"crossover": SBXCrossover}, ValueError, "crossover"),
        ({"mutation": "poly"}, ValueError, "mutation"),
        ({"mutation_prob": 1.5}, ValueError, "mutation_prob"),
        ({"crossover_prob": -0.1}, ValueError, "crossover_prob"),
        ({"swapping_prob": "half"}, ValueError, "swapping_prob"),
        ({"seed": -1}, ValueError, "seed"),
        ({"constraints_func": 1}, TypeError, "constraints_func"),
        ({"elite_population_selection_strategy": 1}, TypeError, "elite_population"),
        ({"child_generation_strategy": 1}, TypeError, "child_generation_strategy"),
        ({"after_trial_strategy": 1}, TypeError, "after_trial_strategy"),
    ],
)
@pytest.mark.parametrize("cls", [NSGAIISampler, NSGAIIISampler])
def test_bad_arguments_name_the_parameter(
    cls: type, kwargs: dict[str, Any], error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=f"`{name}"):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"dividing_parameter": 0}, "dividing_parameter"),
        ({"reference_points": np.array([1.0, 0.0])}, "reference_points"),
        ({"reference_points": np.array([[1.0, -1.0]])}, "reference_points"),
        ({"reference_points": np.array([[0.0, 0.0]])}, "reference_points"),
        ({"reference_points": np.array([[np.nan, 1.0]])}, "reference_points"),
    ],
)
def test_bad_nsga3_arguments_name_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        NSGAIIISampler(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (BLXAlphaCrossover, {"alpha": -1.0}, "alpha"),
        (SBXCrossover, {"eta": -1.0}, "eta"),
        (SBXCrossover, {"uniform_crossover_prob": 2.0}, "uniform_crossover_prob"),
        (VSBXCrossover, {"use_child_gene_prob": 0.0}, "use_child_gene_prob"),
        (UNDXCrossover, {"sigma_xi": 0.0}, "sigma_xi"),
        (UNDXCrossover, {"sigma_eta": math.inf}, "sigma_eta"),
        (SPXCrossover, {"epsilon": -2.0}, "epsilon"),
        (UniformCrossover, {"swapping_prob": 1.1}, "swapping_prob"),
        (PolynomialMutation, {"eta": -1.0}, "eta"),
    ],
)
def test_bad_operator_arguments_name_the_parameter(
    cls: type, kwargs: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        cls(**kwargs)


def test_reference_points_must_match_the_objectives() -> None:
    sampler = NSGAIIISampler(population_size=4, reference_points=np.eye(3), seed=0)
    study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match="`reference_points` has 3 columns"):
        study.optimize(_two_objectives, n_trials=12)


class TestNSGAIIContract(SamplerContract):
    n_trials = 16  # four generations of four
    max_examples = 15

    def make_sampler(self, seed: int | None) -> NSGAIISampler:
        return NSGAIISampler(population_size=4, seed=seed, crossover=SBXCrossover())


class TestNSGAIIIContract(SamplerContract):
    n_trials = 16
    max_examples = 8  # the random spaces are NSGA-II's code paths; the selection differs

    def make_sampler(self, seed: int | None) -> NSGAIIISampler:
        return NSGAIIISampler(population_size=4, seed=seed, crossover=UNDXCrossover())


# -- quality (slow lane) ---------------------------------------------------------------------


def _zdt1(trial: hyperdial.Trial) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(10)])
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - math.sqrt(x[0] / g)))


@pytest.mark.slow
def test_nsga2_beats_random_search_on_zdt1() -> None:
    wins = 0
    for seed in range(3):
        hv = {}
        for name, sampler in (
            ("nsga", NSGAIISampler(population_size=20, seed=seed, crossover=SBXCrossover())),
            ("random", RandomSampler(seed=seed)),
        ):
            study = hyperdial.create_study(directions=["minimize"] * 2, sampler=sampler)
            study.optimize(_zdt1, n_trials=400)
            loss = np.array([t.values for t in study.trials])
            hv[name] = hypervolume(loss, np.array([1.1, 11.0]))
        wins += hv["nsga"] > hv["random"]
    assert wins == 3


def _dtlz2(trial: hyperdial.Trial) -> tuple[float, ...]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(7)])
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    r = 1.0 + g
    return r * math.cos(a) * math.cos(b), r * math.cos(a) * math.sin(b), r * math.sin(a)


@pytest.mark.slow
def test_nsga3_spreads_over_the_reference_points_on_dtlz2() -> None:
    ref = das_dennis(3, 4)  # 15 directions
    sampler = NSGAIIISampler(population_size=16, dividing_parameter=4, seed=0)
    study = hyperdial.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(_dtlz2, n_trials=480)
    last = max(t.system_attrs["NSGAIIISampler:generation"] for t in study.trials)
    parents = np.array([t.values for t in sampler.get_parent_population(study, last)])
    # Near the front (DTLZ2's front is the unit sphere's octant) ...
    assert np.median(np.linalg.norm(parents, axis=1)) < 1.2
    # ... and spread: the parents' nearest reference directions cover most of them.
    unit = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    direction = parents / np.linalg.norm(parents, axis=1, keepdims=True)
    covered = len(set(np.argmax(direction @ unit.T, axis=1).tolist()))
    assert covered >= 12
    # Random search at the same budget.
    rand = hyperdial.create_study(directions=["minimize"] * 3, sampler=RandomSampler(seed=0))
    rand.optimize(_dtlz2, n_trials=480)
    ref_point = np.array([1.5, 1.5, 1.5])
    hv_nsga = hypervolume(np.array([t.values for t in study.trials]), ref_point)
    hv_rand = hypervolume(np.array([t.values for t in rand.trials]), ref_point)
    assert hv_nsga > hv_rand
