"""The samplers: the shared contract for each one, what is particular to each, and the
unit-cube mapping (``unit_to_internal`` / ``internal_to_unit``) they share."""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hyperdial
from hyperdial import _core
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    internal_to_unit,
    unit_to_internal,
)
from hyperdial.exceptions import StudyExhausted, TrialPruned
from hyperdial.samplers import (
    BaseSampler,
    BOHBSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
)
from hyperdial.samplers._qmc import _SEED_KEY
from hyperdial.storages import InMemoryStorage
from hyperdial.testing import SamplerContract
from hyperdial.testing.sampler import (
    DISTRIBUTION_KINDS,
    assert_in_distribution,
    distribution_strategy,
    suggest,
)
from hyperdial.trial import BaseTrial, FrozenTrial, TrialState

_FMAX = 1.7976931348623157e308


@pytest.fixture(autouse=True, scope="module")
def _quiet_log() -> Iterator[None]:
    """Thousands of trials: keep the per-trial INFO lines out of the captured output."""
    level = hyperdial.logging.get_verbosity()
    hyperdial.logging.set_verbosity(logging.WARNING)
    yield
    hyperdial.logging.set_verbosity(level)


def _typed(params: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {k: (type(v).__name__, repr(v)) for k, v in params.items()}


def _by_number(study: hyperdial.Study) -> dict[int, dict[str, tuple[str, str]]]:
    return {t.number: _typed(t.params) for t in study.trials}


def _run(
    sampler: BaseSampler,
    space: dict[str, BaseDistribution],
    n_trials: int | None,
    *,
    n_jobs: int = 1,
    study: hyperdial.Study | None = None,
) -> hyperdial.Study:
    study = study or hyperdial.create_study(sampler=sampler)

    def objective(trial: BaseTrial) -> float:
        for name, dist in space.items():
            suggest(trial, name, dist)
        return 0.0

    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs)
    return study


# === the contract, for each sampler ===========================================================


class TestRandomSamplerContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return RandomSampler(seed=seed)


class TestQMCSamplerContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return QMCSampler(seed=seed)


class TestUnscrambledQMCSamplerContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return QMCSampler(scramble=False, seed=seed)

    def test_different_seeds_give_different_trials(self) -> None:
        # The seed only drives the scramble: unscrambled Sobol is one fixed sequence.
        assert self._seeded_run(0) == self._seeded_run(1)


class TestBOHBSamplerContract(SamplerContract):
    # The contract's objectives report no intermediate values: BOHB's model is its base (TPE)
    # fitted on the final values, mixed with its random fraction.
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return BOHBSampler(seed=seed)


class _Broken(BaseSampler):
    """Proposes ``high + 1`` / an absent choice: the contract must catch it."""

    def sample_independent(
        self, study: Any, trial: FrozenTrial, param_name: str, param_distribution: Any
    ) -> Any:
        if isinstance(param_distribution, CategoricalDistribution):
            return "not a choice"
        return param_distribution.high + 1


def test_the_contract_fails_a_sampler_that_leaves_the_distribution() -> None:
    contract = type(
        "BrokenContract", (SamplerContract,), {"make_sampler": lambda s, seed: _Broken()}
    )()
    with pytest.raises((RuntimeError, ValueError)):
        contract.test_suggestions_stay_inside_every_kind("float")
    with pytest.raises((RuntimeError, ValueError)):
        contract.test_suggestions_stay_inside_every_kind("categorical")


def test_the_contract_fails_a_sampler_that_ignores_its_seed() -> None:
    contract = type(
        "UnseededContract", (SamplerContract,), {"make_sampler": lambda s, seed: RandomSampler()}
    )()
    with pytest.raises(AssertionError):
        contract.test_same_seed_gives_same_trials()


def test_the_contract_needs_make_sampler() -> None:
    with pytest.raises(NotImplementedError, match="make_sampler"):
        SamplerContract().make_sampler(0)


# === RandomSampler ============================================================================

_N_STAT = 1200
_UNIFORM_SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-2.0, 3.0),
    "lr": FloatDistribution(1e-6, 1.0, log=True),
    "n": IntDistribution(0, 9),
    "k": IntDistribution(-5, 25, step=3),
    "q": FloatDistribution(0.0, 1.0, step=0.125),
    "m": IntDistribution(1, 20, log=True),
    "c": CategoricalDistribution([1, True, 1.0, None, "a"]),
}


@pytest.fixture(scope="module")
def random_params() -> dict[str, list[Any]]:
    """1200 trials of a seeded RandomSampler over ``_UNIFORM_SPACE``, one list per name."""
    study = _run(RandomSampler(seed=2024), _UNIFORM_SPACE, _N_STAT)
    trials = study.trials
    return {name: [t.params[name] for t in trials] for name in _UNIFORM_SPACE}


@pytest.fixture(scope="module")
def stats() -> Any:
    return pytest.importorskip("scipy.stats")


def _chi2_pvalue(stats: Any, observed: list[int], probabilities: list[float]) -> float:
    expected = np.asarray(probabilities) * sum(observed)
    return float(stats.chisquare(observed, expected).pvalue)


class TestRandomSampler:
    # Fixed seed: the p-values below are fixed numbers. The thresholds (1e-3) are generous for
    # a correct sampler and far above what a wrong mapping gives (p < 1e-20 at n = 1200).

    def test_floats_are_uniform(self, random_params: dict[str, list[Any]], stats: Any) -> None:
        x = random_params["x"]
        assert stats.kstest(x, "uniform", args=(-2.0, 5.0)).pvalue > 1e-3

    def test_log_floats_are_log_uniform(
        self, random_params: dict[str, list[Any]], stats: Any
    ) -> None:
        lr = np.asarray(random_params["lr"])
        lo, hi = math.log(1e-6), math.log(1.0)
        assert stats.kstest(np.log(lr), "uniform", args=(lo, hi - lo)).pvalue > 1e-3
        # and not uniform on the linear scale: the test above tells the two apart
        assert stats.kstest(lr, "uniform", args=(1e-6, 1.0)).pvalue < 1e-20

    @pytest.mark.parametrize(
        ("name", "values"),
        [
            ("n", list(range(10))),
            ("k", list(range(-5, 26, 3))),
            ("q", [i / 8 for i in range(9)]),
        ],
    )
    def test_grid_values_are_equally_likely(
        self, random_params: dict[str, list[Any]], stats: Any, name: str, values: list[Any]
    ) -> None:
        counts = Counter(random_params[name])
        assert set(counts) == set(values)
        observed = [counts[v] for v in values]
        assert _chi2_pvalue(stats, observed, [1 / len(values)] * len(values)) > 1e-3

    def test_categorical_choices_are_equally_likely_and_keep_their_type(
        self, random_params: dict[str, list[Any]], stats: Any
    ) -> None:
        counts = Counter((type(v).__name__, repr(v)) for v in random_params["c"])
        keys = [
            ("int", "1"),
            ("bool", "True"),
            ("float", "1.0"),
            ("NoneType", "None"),
            ("str", "'a'"),
        ]
        assert set(counts) == set(keys)
        assert _chi2_pvalue(stats, [counts[k] for k in keys], [0.2] * 5) > 1e-3

    def test_log_ints_follow_the_log_scale(
        self, random_params: dict[str, list[Any]], stats: Any
    ) -> None:
        # P(v) is the share of [log 0.5, log 20.5] that rounds to v.
        values = list(range(1, 21))
        width = math.log(20.5 / 0.5)
        probabilities = [math.log((v + 0.5) / (v - 0.5)) / width for v in values]
        counts = Counter(random_params["m"])
        observed = [counts[v] for v in values]
        assert _chi2_pvalue(stats, observed, probabilities) > 1e-3
        assert _chi2_pvalue(stats, observed, [1 / 20] * 20) < 1e-20

    def test_parameters_are_independent(
        self, random_params: dict[str, list[Any]], stats: Any
    ) -> None:
        # Each name hashes to its own stream; a shared stream would give rho = 1.
        rho = stats.spearmanr(random_params["x"], random_params["lr"]).statistic
        assert abs(rho) < 0.1

    def test_trials_do_not_depend_on_n_jobs(self) -> None:
        one = _run(RandomSampler(seed=7), _UNIFORM_SPACE, 64)
        four = _run(RandomSampler(seed=7), _UNIFORM_SPACE, 64, n_jobs=4)
        assert _by_number(one) == _by_number(four)

    def test_value_depends_only_on_seed_number_and_name(self) -> None:
        forward = _run(RandomSampler(seed=3), _UNIFORM_SPACE, 20)
        backward = _run(RandomSampler(seed=3), dict(reversed(_UNIFORM_SPACE.items())), 20)
        only_x = _run(RandomSampler(seed=3), {"x": _UNIFORM_SPACE["x"]}, 20)
        assert _by_number(forward) == _by_number(backward)
        assert {n: p["x"] for n, p in _by_number(forward).items()} == {
            n: p["x"] for n, p in _by_number(only_x).items()
        }
        other_seed = _run(RandomSampler(seed=4), _UNIFORM_SPACE, 20)
        pairs = zip(forward.trials, other_seed.trials, strict=True)
        assert all(a.params["x"] != b.params["x"] for a, b in pairs)

    @pytest.mark.parametrize("seed", [-1, 2**63, 1.5, "1", True])
    def test_bad_seed(self, seed: Any) -> None:
        with pytest.raises(ValueError, match="seed"):
            RandomSampler(seed=seed)


# === GridSampler ==============================================================================

_GRID_8X8 = {"x": list(range(8)), "y": [i / 8 for i in range(8)]}
_ALL_8X8 = set(itertools.product(range(8), [i / 8 for i in range(8)]))


def _grid_objective(trial: BaseTrial) -> float:
    return trial.suggest_int("x", 0, 7) + trial.suggest_float("y", 0.0, 1.0)


def _points(study: hyperdial.Study) -> list[tuple[int, float]]:
    return [(t.params["x"], t.params["y"]) for t in study.trials]


def _grid_values(dist: BaseDistribution) -> list[Any]:
    """A few values of ``dist`` (all choices of a categorical) for a grid axis."""
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    candidates = [dist.to_external_repr(unit_to_internal(dist, u)) for u in (0.0, 0.5, 1.0)]
    return list({(type(v), v): v for v in candidates}.values())


class TestGridSamplerContract:
    """The clauses of ``SamplerContract`` that apply to a grid, with spaces matching its grid."""

    @pytest.mark.parametrize("kind", sorted(DISTRIBUTION_KINDS))
    def test_every_kind_takes_exactly_its_grid_values(self, kind: str) -> None:
        dist = DISTRIBUTION_KINDS[kind]
        values = _grid_values(dist)
        study = _run(
            GridSampler({"p": values, "i": [0, 1]}, seed=0),
            {"p": dist, "i": IntDistribution(0, 1)},
            None,
        )
        trials = study.trials
        assert len(trials) == 2 * len(values)
        for t in trials:
            assert t.state == TrialState.COMPLETE
            assert_in_distribution(dist, t.params["p"], "p")
        got = Counter((type(t.params["p"]), repr(t.params["p"])) for t in trials)
        if dist.single():
            assert len(got) == 1
        else:
            assert got == Counter({(type(v), repr(v)): 2 for v in values})

    def test_categorical_identity(self) -> None:
        choices = [1, True, 1.0, None, "a"]
        study = _run(GridSampler({"c": choices}), {"c": CategoricalDistribution(choices)}, None)
        got = sorted((type(t.params["c"]).__name__, repr(t.params["c"])) for t in study.trials)
        assert got == sorted((type(c).__name__, repr(c)) for c in choices)

    def test_failing_nan_and_pruned_trials_keep_their_points(self) -> None:
        def objective(trial: BaseTrial) -> float:
            x, y = trial.suggest_int("x", 0, 7), trial.suggest_float("y", 0.0, 1.0)
            if x == 0:
                raise KeyError("on purpose")
            if x == 1:
                return math.nan
            if x == 2:
                raise TrialPruned()
            return x + y

        study = hyperdial.create_study(sampler=GridSampler(_GRID_8X8, seed=1))
        study.optimize(objective, catch=(KeyError,))
        points = _points(study)
        assert len(points) == 64 and set(points) == _ALL_8X8
        states = Counter(t.state for t in study.trials)
        assert states == {TrialState.FAIL: 16, TrialState.PRUNED: 8, TrialState.COMPLETE: 40}

    def test_multi_objective(self) -> None:
        study = hyperdial.create_study(
            sampler=GridSampler(_GRID_8X8, seed=0), directions=["minimize", "maximize"]
        )
        study.optimize(lambda t: (_grid_objective(t), t.params["x"] * 2.0))
        assert set(_points(study)) == _ALL_8X8
        assert all(t.values is not None and len(t.values) == 2 for t in study.trials)
        assert study.best_trials

    def test_ask_and_tell(self) -> None:
        study = hyperdial.create_study(sampler=GridSampler({"x": [0, 1, 2], "c": ["a", "b"]}))
        seen = set()
        for _ in range(6):
            trial = study.ask()
            seen.add((trial.suggest_int("x", 0, 2), trial.suggest_categorical("c", ["a", "b"])))
            study.tell(trial, 0.0)
        assert seen == set(itertools.product([0, 1, 2], ["a", "b"]))

    def test_reseed_rng_changes_nothing_it_should_not(self) -> None:
        sampler = GridSampler(_GRID_8X8, seed=5)
        study = hyperdial.create_study(sampler=sampler)
        study.optimize(_grid_objective, n_trials=10)
        sampler.reseed_rng()
        study.optimize(_grid_objective)
        points = _points(study)
        assert len(points) == 64 and set(points) == _ALL_8X8


class TestGridSampler:
    @pytest.mark.parametrize("n_jobs", [1, 4])
    @pytest.mark.parametrize("n_trials", [None, 100])
    def test_every_point_exactly_once(self, n_jobs: int, n_trials: int | None) -> None:
        sampler = GridSampler(_GRID_8X8, seed=0)
        study = hyperdial.create_study(sampler=sampler)
        study.optimize(_grid_objective, n_trials=n_trials, n_jobs=n_jobs)
        points = _points(study)
        assert len(points) == 64 and set(points) == _ALL_8X8
        assert all(t.state == TrialState.COMPLETE for t in study.trials)
        assert sampler.is_exhausted(study)
        study.optimize(_grid_objective, n_trials=5, n_jobs=n_jobs)  # nothing left to do
        assert len(study.trials) == 64

    def test_ask_after_exhaustion_raises(self) -> None:
        study = hyperdial.create_study(sampler=GridSampler({"x": [1, 2]}))
        for _ in range(2):
            trial = study.ask()
            study.tell(trial, trial.suggest_int("x", 0, 5))
        with pytest.raises(StudyExhausted):
            study.ask()
        assert len(study.trials) == 2  # the refused ask created no trial

    @pytest.mark.parametrize("seeds", [(0, 0), (0, 1), (None, None)])
    def test_two_workers_split_the_grid(self, seeds: tuple[int | None, int | None]) -> None:
        storage = InMemoryStorage()
        hyperdial.create_study(storage=storage, study_name="shared")
        workers = [
            hyperdial.load_study(
                study_name="shared", storage=storage, sampler=GridSampler(_GRID_8X8, seed=s)
            )
            for s in seeds
        ]
        errors: list[BaseException] = []

        def work(study: hyperdial.Study) -> None:
            try:
                study.optimize(_grid_objective, n_jobs=2)
            except BaseException as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        points = _points(workers[0])
        assert len(points) == 64 and set(points) == _ALL_8X8
        assert all(t.state == TrialState.COMPLETE for t in workers[0].trials)

    def test_parameter_not_in_the_grid(self) -> None:
        study = hyperdial.create_study(sampler=GridSampler({"x": [1, 2]}))

        def objective(trial: BaseTrial) -> float:
            return trial.suggest_int("x", 0, 5) + trial.suggest_float("lr", 0.0, 1.0)

        with pytest.raises(ValueError, match=r"'lr'.*not in the grid"):
            study.optimize(objective)
        assert [t.state for t in study.trials] == [TrialState.FAIL]

    @pytest.mark.parametrize(
        ("value", "dist"),
        [
            (20, IntDistribution(0, 10)),
            (0.5, IntDistribution(0, 10)),
            (True, IntDistribution(0, 10)),
            ("a", FloatDistribution(0.0, 1.0)),
            (0.3, FloatDistribution(0.0, 1.0, step=0.25)),
            (1e-9, FloatDistribution(1e-6, 1.0, log=True)),
            ("c", CategoricalDistribution(["a", "b"])),
            (1, CategoricalDistribution([True, "b"])),
        ],
    )
    def test_grid_value_outside_the_distribution(self, value: Any, dist: BaseDistribution) -> None:
        study = hyperdial.create_study(sampler=GridSampler({"x": [value]}))
        with pytest.raises(ValueError, match=re.escape(f"{value!r} of parameter 'x'")):
            study.optimize(lambda t: 0.0 if suggest(t, "x", dist) is None else 1.0)
        assert [t.state for t in study.trials] == [TrialState.FAIL]

    def test_enqueued_trials_take_no_grid_point(self) -> None:
        study = hyperdial.create_study(sampler=GridSampler({"x": [0, 1], "y": [0.0, 0.5]}))
        study.enqueue_trial({"x": 0, "y": 0.0})  # a grid point
        study.enqueue_trial({"x": 5})  # off the grid; y is picked from the grid
        study.optimize(lambda t: t.suggest_int("x", 0, 9) + t.suggest_float("y", 0.0, 1.0))
        trials = study.trials
        assert len(trials) == 6
        assert (trials[0].params["x"], trials[0].params["y"]) == (0, 0.0)
        assert trials[1].params["x"] == 5 and trials[1].params["y"] in (0.0, 0.5)
        grid = {(t.params["x"], t.params["y"]) for t in trials[2:]}
        assert grid == {(0, 0.0), (0, 0.5), (1, 0.0), (1, 0.5)}

    @pytest.mark.parametrize(
        "space",
        [
            {},
            [],
            {"x": []},
            {"x": [[1], [2]]},
            {"x": [{"a": 1}]},
            {"x": [1, 1]},
            {"x": [0.5, 0.5]},
            {"x": [math.nan, math.nan]},
            {"x": [object()]},
            {"x": "abc"},
            {"x": {"a", "b"}},
            {"x": 5},
            {1: [1, 2]},
            {1: [1], "a": [2]},
        ],
        ids=lambda s: repr(s)[:30],
    )
    def test_bad_search_spaces(self, space: Any) -> None:
        with pytest.raises(ValueError, match=r"`search_space` must be|Grid parameter"):
            GridSampler(space)

    def test_equal_values_of_different_types_are_different_points(self) -> None:
        sampler = GridSampler({"x": [1, True, 1.0]})
        assert sampler.n_points == 3

    def test_seed_fixes_the_visiting_order(self) -> None:
        def order(seed: int) -> list[tuple[int, float]]:
            study = hyperdial.create_study(sampler=GridSampler(_GRID_8X8, seed=seed))
            study.optimize(_grid_objective)
            return _points(study)

        assert order(3) == order(3)
        assert order(3) != order(4)
        assert sorted(order(3)) == sorted(_ALL_8X8)


# === QMCSampler ===============================================================================

_QMC_SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-2.0, 3.0),
    "n": IntDistribution(0, 9),
    "lr": FloatDistribution(1e-6, 1.0, log=True),
    "c": CategoricalDistribution([1, True, 1.0, None, "a"]),
    "q": FloatDistribution(0.0, 1.0, step=0.125),
    "m": IntDistribution(1, 1000, log=True),
}


def _expected(
    space: dict[str, BaseDistribution], coords: dict[str, int], point: np.ndarray
) -> dict[str, tuple[str, str]]:
    return _typed(
        {
            name: dist.to_external_repr(unit_to_internal(dist, float(point[coords[name]])))
            for name, dist in space.items()
        }
    )


class TestQMCSampler:
    @pytest.mark.parametrize("scramble", [True, False])
    def test_trial_n_takes_sobol_point_n(self, scramble: bool) -> None:
        n = 64
        study = _run(QMCSampler(scramble=scramble, seed=11), _QMC_SPACE, n)
        points = _core.sobol_sample(len(_QMC_SPACE), 0, n, scramble, 11, 1)
        coords = {name: i for i, name in enumerate(_QMC_SPACE)}
        for t in study.trials:
            assert _typed(t.params) == _expected(_QMC_SPACE, coords, points[t.number])

    def test_coordinates_in_order_of_first_appearance(self) -> None:
        zeta, mid, alpha = (
            FloatDistribution(0.0, 1.0),
            IntDistribution(0, 99),
            FloatDistribution(-1.0, 1.0),
        )

        def objective(trial: BaseTrial) -> float:
            suggest(trial, "zeta", zeta)
            if trial.number % 3 == 1:  # conditional, first seen in trial 1
                suggest(trial, "alpha", alpha)
            suggest(trial, "mid", mid)
            return 0.0

        study = hyperdial.create_study(sampler=QMCSampler(seed=5))
        study.optimize(objective, n_trials=32)
        points = _core.sobol_sample(3, 0, 32, True, 5, 1)
        coords = {"zeta": 0, "mid": 1, "alpha": 2}  # not sorted by name
        for t in study.trials:
            space = {"zeta": zeta, "mid": mid}
            if t.number % 3 == 1:
                space["alpha"] = alpha
            assert _typed(t.params) == _expected(space, coords, points[t.number])

    @pytest.mark.parametrize("seeds", [(None, None), (1, 2)])
    def test_two_samplers_on_one_study_share_one_sequence(
        self, seeds: tuple[int | None, int | None]
    ) -> None:
        storage = InMemoryStorage()
        space = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)}
        a = hyperdial.create_study(
            storage=storage, study_name="s", sampler=QMCSampler(seed=seeds[0])
        )
        b = hyperdial.load_study(
            study_name="s", storage=storage, sampler=QMCSampler(seed=seeds[1])
        )
        reversed_space = dict(reversed(space.items()))
        for i in range(32):  # alternate; the second worker suggests in the other order
            if i % 2 == 0:
                _run(a.sampler, space, 1, study=a)
            else:
                _run(b.sampler, reversed_space, 1, study=b)
        seed = int(storage.get_claims(a._study_id, _SEED_KEY)[_SEED_KEY])
        if seeds[0] is not None:
            assert seed == seeds[0]  # the first worker's seed holds for the study
        points = _core.sobol_sample(2, 0, 32, True, seed, 1)
        for t in a.trials:
            assert _typed(t.params) == _expected(space, {"x": 0, "y": 1}, points[t.number])
        # One scrambled Sobol sequence: every x falls in its own 1/32 of [0, 1).
        assert sorted(int(t.params["x"] * 32) for t in a.trials) == list(range(32))

    @pytest.mark.parametrize("scramble", [True, False])
    def test_first_256_trials_form_a_net(self, scramble: bool) -> None:
        # Sobol's first two coordinates are a (0, m, 2)-net: for every split a + b = 8, each of
        # the 2**a x 2**b boxes holds exactly one of the first 256 points (scrambling keeps it).
        space = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)}
        study = _run(QMCSampler(scramble=scramble, seed=3), space, 256)
        xy = [(t.params["x"], t.params["y"]) for t in study.trials]
        for a in range(9):
            boxes = {(int(x * 2**a), int(y * 2 ** (8 - a))) for x, y in xy}
            assert len(boxes) == 256, f"2**{a} x 2**{8 - a} boxes"

    def test_lower_discrepancy_than_random(self) -> None:
        qmc = pytest.importorskip("scipy.stats.qmc")
        space = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(4)}

        def discrepancy(sampler: BaseSampler) -> float:
            study = _run(sampler, space, 64)
            pts = np.array([[t.params[k] for k in space] for t in study.trials])
            return float(qmc.discrepancy(pts))

        sobol = [discrepancy(QMCSampler(seed=s)) for s in range(5)]
        random = [discrepancy(RandomSampler(seed=s)) for s in range(5)]
        # Measured: Sobol about 0.001 for every seed, random 0.008 to 0.022.
        assert max(sobol) < 0.3 * min(random)

    def test_halton_is_not_offered(self) -> None:
        with pytest.raises(ValueError, match=r"qmc_type.*'halton'"):
            QMCSampler(qmc_type="halton")

    def test_trials_do_not_depend_on_n_jobs(self) -> None:
        one = _run(QMCSampler(seed=9), _QMC_SPACE, 64)
        two = _run(QMCSampler(seed=9), _QMC_SPACE, 64, n_jobs=2)
        assert _by_number(one) == _by_number(two)

    def test_a_study_keeps_its_seed_across_samplers(self) -> None:
        storage = InMemoryStorage()
        first = hyperdial.create_study(storage=storage, study_name="s", sampler=QMCSampler(seed=1))
        _run(first.sampler, _QMC_SPACE, 8, study=first)
        again = hyperdial.load_study(study_name="s", storage=storage, sampler=QMCSampler(seed=2))
        _run(again.sampler, _QMC_SPACE, 8, study=again)
        reference = _run(QMCSampler(seed=1), _QMC_SPACE, 16)
        assert _by_number(again) == _by_number(reference)


# === unit-cube mapping ========================================================================


@st.composite
def _discrete_distributions(draw: st.DrawFn) -> BaseDistribution:
    """Ints, stepped floats and categoricals whose every cell of [0, 1) float64 can address.

    A 53-bit ``u`` cannot single out each of more than ~2**50 cells, so grids stay below
    2**45 points and log ints below 2**40.
    """
    kind = draw(st.sampled_from(["int", "int_step", "int_log", "float_step", "categorical"]))
    if kind == "categorical":
        choices = draw(
            st.lists(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
                min_size=1,
                max_size=12,
                unique_by=lambda c: (type(c), "nan" if c != c else c),
            )
        )
        return CategoricalDistribution(choices)
    if kind == "int_log":
        low = draw(st.integers(1, 2**40))
        return IntDistribution(low, draw(st.integers(low, 2**40)), log=True)
    if kind == "float_step":
        return draw(distribution_strategy(["float_step"]))
    low = draw(st.integers(-(2**53), 2**53 - 2**45))
    step = 1 if kind == "int" else draw(st.integers(1, 2**20))
    n = draw(st.integers(0, 2**45 // step))
    return IntDistribution(low, low + n * step, step=step)


def _n_values(dist: BaseDistribution) -> int:
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices)
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    assert isinstance(dist, FloatDistribution) and dist.step is not None
    return int(round((dist.high - dist.low) / dist.step)) + 1


def _value(dist: BaseDistribution, k: int) -> float:
    """The k-th value of a discrete distribution, internal form."""
    if isinstance(dist, CategoricalDistribution):
        return float(k)
    if isinstance(dist, IntDistribution):
        return float(dist.low + k * dist.step)
    assert isinstance(dist, FloatDistribution) and dist.step is not None
    return min(dist.low + k * dist.step, dist.high)


@settings(max_examples=300, deadline=None, database=None)
@given(_discrete_distributions(), st.randoms(use_true_random=False))
@example(IntDistribution(0, 10), None)
@example(IntDistribution(2 * 10**14, 2 * 10**14, log=True), None)
@example(IntDistribution(10**12, 10**12 + 100, log=True), None)
@example(CategoricalDistribution([1, True, 1.0, None, "a"]), None)
def test_round_trip_of_every_discrete_value(dist: BaseDistribution, rnd: Any) -> None:
    n = _n_values(dist)
    ks = (
        range(n)
        if n <= 1000
        else [*range(100), *range(n - 100, n)]
        + ([rnd.randrange(n) for _ in range(200)] if rnd is not None else [])
    )
    for k in ks:
        v = _value(dist, k)
        u = internal_to_unit(dist, v)
        assert 0.0 <= u < 1.0, (k, v, u)
        back = unit_to_internal(dist, u)
        assert back == v, f"value {k} of {dist!r}: {v!r} -> u={u!r} -> {back!r}"


@st.composite
def _continuous_with_value(draw: st.DrawFn) -> tuple[FloatDistribution, float]:
    dist = draw(distribution_strategy(["float", "float_log"]))
    assert isinstance(dist, FloatDistribution)
    if dist.low == dist.high:  # also low = 0.0, high = -0.0, which st.floats refuses
        return dist, dist.low
    return dist, draw(st.floats(dist.low, dist.high))


@settings(max_examples=300, deadline=None, database=None)
@given(_continuous_with_value())
@example((FloatDistribution(-_FMAX, _FMAX), 0.0))
@example((FloatDistribution(-_FMAX, _FMAX), -_FMAX))
@example((FloatDistribution(-_FMAX, _FMAX), 1e300))
@example((FloatDistribution(1e-300, 1e300, log=True), 1e-300))
@example((FloatDistribution(1e-300, 1e300, log=True), 3.0))
def test_round_trip_of_continuous_values(case: tuple[FloatDistribution, float]) -> None:
    dist, v = case
    u = internal_to_unit(dist, v)
    assert 0.0 <= u <= 1.0
    back = unit_to_internal(dist, u)
    if dist.log:
        # relative error of exp(log) is about |log v| ulps
        assert back == pytest.approx(v, rel=1e-12 * (1.0 + abs(math.log(v))))
    else:
        scale = max(abs(dist.low), abs(dist.high))
        assert back == pytest.approx(v, rel=0, abs=1e-12 * scale + 4 * 5e-324)


@settings(max_examples=500, deadline=None, database=None)
@given(distribution_strategy(), st.floats(0.0, 1.0))
@example(FloatDistribution(-_FMAX, _FMAX), 0.0)  # was NaN: high - low overflowed
@example(FloatDistribution(-_FMAX, _FMAX), 0.75)  # was always high
@example(IntDistribution(2 * 10**14, 2 * 10**14, log=True), 0.5)  # was ZeroDivisionError
@example(FloatDistribution(5e-324, 5e-324), 0.5)
def test_unit_to_internal_stays_inside(dist: BaseDistribution, u: float) -> None:
    _check_inside(dist, u)


def _check_inside(dist: BaseDistribution, u: float) -> None:
    v = unit_to_internal(dist, u)
    assert dist._contains(v)
    assert_in_distribution(dist, dist.to_external_repr(v))
    assert 0.0 <= internal_to_unit(dist, v) <= 1.0


def test_unit_to_internal_is_uniform_on_a_wide_float_range() -> None:
    d = FloatDistribution(-_FMAX, _FMAX)
    got = [unit_to_internal(d, u) for u in (0.0, 0.25, 0.5, 0.75)]
    assert got == pytest.approx([-_FMAX, -_FMAX / 2, 0.0, _FMAX / 2], rel=1e-12, abs=1e-300)


def test_unit_to_internal_clamps_u() -> None:
    d = FloatDistribution(0.0, 1.0)
    assert unit_to_internal(d, -0.5) == 0.0
    assert unit_to_internal(d, 1.5) <= 1.0
    assert unit_to_internal(IntDistribution(0, 3), 1.0) == 3.0
    assert unit_to_internal(CategoricalDistribution(["a", "b"]), 1.0) == 1.0


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, database=None)
@given(distribution_strategy(), st.floats(0.0, 1.0))
def test_unit_to_internal_stays_inside_thoroughly(dist: BaseDistribution, u: float) -> None:
    _check_inside(dist, u)


# === the BaseSampler protocol =================================================================


class _Recording(BaseSampler):
    """Records every hook call; proposes ``x`` jointly (0.25), everything else independently."""

    def __init__(self, relative_x: Any = 0.25) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.relative_x = relative_x
        self._random = RandomSampler(seed=0)

    def reserve(self, study: hyperdial.Study) -> dict[str, Any] | None:
        self.calls.append(("reserve",))
        return {"reserved_by": "recorder"}

    def before_trial(self, study: hyperdial.Study, trial: FrozenTrial) -> None:
        self.calls.append(("before_trial", trial.number, trial.state, dict(trial.params)))

    def infer_relative_search_space(
        self, study: hyperdial.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self.calls.append(("infer", trial.number))
        return {"x": FloatDistribution(0.0, 1.0)}

    def sample_relative(
        self, study: hyperdial.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self.calls.append(("relative", trial.number, sorted(search_space)))
        return {"x": self.relative_x}

    def sample_independent(
        self, study: hyperdial.Study, trial: FrozenTrial, name: str, dist: BaseDistribution
    ) -> Any:
        self.calls.append(("independent", trial.number, name))
        return self._random.sample_independent(study, trial, name, dist)

    def after_trial(
        self, study: hyperdial.Study, trial: FrozenTrial, state: TrialState, values: Any
    ) -> None:
        self.calls.append(("after_trial", trial.number, trial.state, state, values))


def test_protocol_hooks_run_in_order_and_relative_values_are_used() -> None:
    sampler = _Recording()
    study = hyperdial.create_study(sampler=sampler)
    seen: list[float] = []

    def objective(trial: BaseTrial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        assert trial.suggest_float("x", 0.0, 1.0) == x  # no second call to any hook
        y = trial.suggest_float("y", 0.0, 1.0)
        seen.extend([x, y])
        return x + y

    study.optimize(objective, n_trials=1)
    x, y = seen
    assert x == 0.25
    running = TrialState.RUNNING
    assert sampler.calls == [
        ("reserve",),
        ("before_trial", 0, running, {}),
        ("infer", 0),
        ("relative", 0, ["x"]),
        ("independent", 0, "y"),
        ("after_trial", 0, running, TrialState.COMPLETE, [0.25 + y]),
    ]
    (t,) = study.trials
    assert t.system_attrs["reserved_by"] == "recorder" and t.params == {"x": 0.25, "y": y}


def test_protocol_relative_sampling_is_lazy_and_only_for_an_equal_distribution() -> None:
    sampler = _Recording()
    study = hyperdial.create_study(sampler=sampler)
    study.optimize(lambda t: 0.0, n_trials=1)  # suggests nothing: no joint sampling
    assert [c[0] for c in sampler.calls] == ["reserve", "before_trial", "infer", "after_trial"]
    sampler.calls.clear()
    # "x" with another range than the relative search space's: sampled independently.
    study.optimize(lambda t: t.suggest_float("x", 0.0, 2.0), n_trials=1)
    assert ("independent", 1, "x") in sampler.calls
    assert not [c for c in sampler.calls if c[0] == "relative"]


def test_protocol_enqueued_trial_takes_no_reservation_and_its_value_wins() -> None:
    sampler = _Recording()
    study = hyperdial.create_study(sampler=sampler)
    study.enqueue_trial({"x": 0.75})
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert study.trials[0].params == {"x": 0.75}
    assert sampler.calls[0] == ("before_trial", 0, TrialState.RUNNING, {})
    assert ("reserve",) not in sampler.calls
    assert sampler.calls[-1][3:] == (TrialState.COMPLETE, [0.75])


@pytest.mark.parametrize(
    ("outcome", "state", "values"),
    [
        ("raise", TrialState.FAIL, None),
        ("nan", TrialState.FAIL, None),
        ("prune", TrialState.PRUNED, [3.0]),
        ("inf", TrialState.COMPLETE, [math.inf]),
    ],
)
def test_protocol_after_trial_sees_the_final_state_and_values(
    outcome: str, state: TrialState, values: list[float] | None
) -> None:
    sampler = _Recording()
    study = hyperdial.create_study(sampler=sampler)

    def objective(trial: BaseTrial) -> float:
        trial.report(3.0, 1)
        if outcome == "raise":
            raise KeyError("on purpose")
        if outcome == "prune":
            raise TrialPruned()
        return math.nan if outcome == "nan" else math.inf

    study.optimize(objective, n_trials=1, catch=(KeyError,))
    assert sampler.calls[-1] == ("after_trial", 0, TrialState.RUNNING, state, values)
    assert study.trials[0].state == state


def test_protocol_a_relative_value_outside_the_distribution_fails_the_trial() -> None:
    study = hyperdial.create_study(sampler=_Recording(relative_x=1.5))
    with pytest.raises(RuntimeError, match=r"proposed 1\.5 for parameter 'x'"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.FAIL]
