"""Optuna's search-space helpers, BruteForceSampler and PartialFixedSampler."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import StudyExhausted
from hyperdial.samplers import BaseSampler, BruteForceSampler, PartialFixedSampler, RandomSampler
from hyperdial.search_space import IntersectionSearchSpace, intersection_search_space
from hyperdial.study import Study
from hyperdial.testing import SamplerContract
from hyperdial.trial import FrozenTrial, create_trial

MakeStudy = Callable[..., hyperdial.Study]

X: BaseDistribution = FloatDistribution(0, 1)
N: BaseDistribution = IntDistribution(0, 3)


def test_new_names_are_exported_like_optuna() -> None:
    for name in ("BruteForceSampler", "PartialFixedSampler"):
        assert name in hyperdial.samplers.__all__
    assert "search_space" in hyperdial.__all__
    assert hyperdial.search_space.intersection_search_space is intersection_search_space


# -- search_space --------------------------------------------------------------------------------
def _t(state: TrialState, **dists: BaseDistribution) -> FrozenTrial:
    params = {k: d.to_external_repr(0 if not isinstance(d, FloatDistribution) else d.low)
              for k, d in dists.items()}  # fmt: skip
    value = 0.0 if state in (TrialState.COMPLETE, TrialState.PRUNED) else None
    return create_trial(state=state, value=value, params=params, distributions=dists)


def test_intersection_counts_complete_trials_and_pruned_on_request() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=X, n=N, c=CategoricalDistribution(["a"])),
        _t(TrialState.PRUNED, x=X),
        _t(TrialState.FAIL),
        _t(TrialState.RUNNING),
        _t(TrialState.COMPLETE, n=N, x=X, c=CategoricalDistribution(["a"])),
    ]
    space = intersection_search_space(trials)
    assert list(space) == ["c", "n", "x"]  # sorted by name
    assert intersection_search_space(trials, include_pruned=True) == {"x": X}
    assert intersection_search_space([]) == {}


def test_intersection_leaves_out_parameters_whose_range_changed() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=X, n=N),
        _t(TrialState.COMPLETE, x=FloatDistribution(0, 2), n=N),
    ]
    assert intersection_search_space(trials) == {"n": N}


def test_incremental_intersection_follows_the_study(make_study: MakeStudy) -> None:
    study = make_study()
    incremental = IntersectionSearchSpace()
    pruned_too = IntersectionSearchSpace(include_pruned=True)
    assert incremental.calculate(study) == {}
    for i in range(6):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        if i != 3:
            trial.suggest_int("n", 0, 3)
        study.tell(trial, 1.0, state=TrialState.PRUNED if i == 3 else None)
        expected = intersection_search_space(study.trials)
        assert incremental.calculate(study, use_cache=True) == expected
        assert pruned_too.calculate(study) == intersection_search_space(
            study.trials, include_pruned=True
        )
    assert list(incremental.calculate(study)) == ["n", "x"]
    assert list(pruned_too.calculate(study)) == ["x"]
    # Given another study, it starts over for that one.
    other = make_study()
    other.add_trial(create_trial(params={"z": 0.5}, distributions={"z": X}, value=0.0))
    assert list(incremental.calculate(other)) == ["z"]


# -- BruteForceSampler ---------------------------------------------------------------------------
def _conditional(trial: hyperdial.Trial) -> float:
    if trial.suggest_categorical("kind", ["float", "int"]) == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    a = trial.suggest_int("a", 1, 3)
    b = trial.suggest_int("b", a, 3)  # a range that depends on a
    return a + b


def _combinations(study: Study) -> list[tuple[Any, ...]]:
    return [tuple(sorted(t.params.items())) for t in study.trials]


def test_brute_force_tries_every_branch_of_a_conditional_space_once() -> None:
    study = hyperdial.create_study(sampler=BruteForceSampler(seed=1))
    study.optimize(_conditional)
    combos = _combinations(study)
    # 5 values of x, and (a, b) with 1 <= a <= b <= 3: 6 pairs.
    assert len(combos) == 11 and len(set(combos)) == 11
    floats = sorted(t.params["x"] for t in study.trials if "x" in t.params)
    assert floats == [1.0, 1.5, 2.0, 2.5, 3.0]
    pairs = sorted((t.params["a"], t.params["b"]) for t in study.trials if "a" in t.params)
    assert pairs == [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]
    # Exhausted: nothing more is started, with optimize or ask.
    study.optimize(_conditional, n_trials=5)
    assert len(study.trials) == 11
    with pytest.raises(StudyExhausted):
        study.ask()


def test_brute_force_order_depends_on_the_seed_only() -> None:
    def run(seed: int) -> list[tuple[Any, ...]]:
        study = hyperdial.create_study(sampler=BruteForceSampler(seed=seed))
        study.optimize(_conditional)
        return _combinations(study)

    assert run(3) == run(3)
    assert run(3) != run(4)
    assert sorted(run(3)) == sorted(run(4))


def test_brute_force_counts_failed_and_pruned_trials_as_tried() -> None:
    def objective(trial: hyperdial.Trial) -> float:
        n = trial.suggest_int("n", 0, 3)
        if n == 1:
            raise hyperdial.TrialPruned
        if n == 2:
            raise ValueError("boom")
        return n

    study = hyperdial.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, catch=ValueError)
    assert sorted(t.params["n"] for t in study.trials) == [0, 1, 2, 3]


def test_brute_force_refuses_an_infinite_distribution() -> None:
    study = hyperdial.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match="step"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_brute_force_on_a_single_point_and_without_parameters() -> None:
    study = hyperdial.create_study(sampler=BruteForceSampler())
    study.optimize(lambda t: t.suggest_float("x", 2.0, 2.0) + t.suggest_int("n", 5, 5))
    assert [t.params for t in study.trials] == [{"x": 2.0, "n": 5}]
    empty = hyperdial.create_study(sampler=BruteForceSampler())
    empty.optimize(lambda t: 1.0, n_trials=10)
    assert len(empty.trials) == 1


def test_brute_force_ignores_trials_off_its_grid() -> None:
    """An added trial with a continuous parameter is no grid point: it closes no branch."""
    study = hyperdial.create_study(sampler=BruteForceSampler(seed=0))
    study.add_trial(create_trial(params={"n": 0.5}, distributions={"n": X}, value=0.0))
    study.optimize(lambda t: t.suggest_float("n", 0, 1, step=0.5), n_trials=10)
    assert sorted(t.params["n"] for t in study.trials[1:]) == [0.0, 0.5, 1.0]


def test_brute_force_refuses_a_range_that_changed() -> None:
    study = hyperdial.create_study(sampler=BruteForceSampler(seed=0))
    old: dict[str, BaseDistribution] = {"n": IntDistribution(0, 1)}
    study.add_trial(create_trial(params={"n": 0}, distributions=old, value=0.0))
    with pytest.raises(ValueError, match="range changes"):
        study.optimize(lambda t: t.suggest_int("n", 0, 2), n_trials=10)


@pytest.mark.parametrize(("avoid_premature_stop", "n_run"), [(False, 1), (True, 2)])
def test_brute_force_running_trials_and_premature_stop(
    avoid_premature_stop: bool, n_run: int
) -> None:
    """A running trial's value counts as tried by default; with avoid_premature_stop the
    study goes on until that value has finished (trying it a second time)."""
    study = hyperdial.create_study(
        sampler=BruteForceSampler(seed=0, avoid_premature_stop=avoid_premature_stop)
    )
    running = study.ask()
    held = running.suggest_int("n", 0, 1)
    study.optimize(lambda t: t.suggest_int("n", 0, 1), n_trials=10)
    done = [t.params["n"] for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(done) == n_run
    assert done[0] == 1 - held
    if avoid_premature_stop:
        assert done[1] == held


# -- PartialFixedSampler -------------------------------------------------------------------------
class _Recorder(BaseSampler):
    """A base sampler recording the calls it gets; samples the joint space at its low ends."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.spaces: list[dict[str, BaseDistribution]] = []
        self._space = IntersectionSearchSpace()

    def reserve(self, study: Study) -> dict[str, Any] | None:
        self.calls.append("reserve")
        return None

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self.calls.append("before_trial")

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._space.calculate(study)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self.spaces.append(search_space)
        return {name: d.to_external_repr(0) for name, d in search_space.items()}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: Any
    ) -> Any:
        self.calls.append(f"independent:{param_name}")
        return param_distribution.to_external_repr(1)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.calls.append("after_trial")

    def reseed_rng(self) -> None:
        self.calls.append("reseed_rng")


def _xy(trial: hyperdial.Trial) -> float:
    return trial.suggest_int("x", 0, 5) + trial.suggest_int("y", 0, 5)


def test_partial_fixed_holds_the_fixed_values(make_study: MakeStudy) -> None:
    study = make_study(sampler=PartialFixedSampler({"y": 4}, RandomSampler(seed=0)))
    study.optimize(_xy, n_trials=10)
    assert {t.params["y"] for t in study.trials} == {4}
    assert len({t.params["x"] for t in study.trials}) > 1


def test_partial_fixed_takes_fixed_parameters_out_of_the_joint_space(
    make_study: MakeStudy,
) -> None:
    base = _Recorder()
    sampler = PartialFixedSampler({"y": 3}, base)
    study = make_study(sampler=sampler)
    study.optimize(_xy, n_trials=3)
    assert [list(s) for s in base.spaces if s] == [["x"], ["x"]]
    # The first trial has no history (x chosen independently), the others x jointly.
    assert [t.params for t in study.trials] == [
        {"x": 1, "y": 3},
        {"x": 0, "y": 3},
        {"x": 0, "y": 3},
    ]
    # Every hook of the base sampler runs; it is never asked for the fixed parameter.
    assert base.calls.count("reserve") == 3 and base.calls.count("after_trial") == 3
    assert base.calls.count("before_trial") == 3 and "independent:y" not in base.calls
    sampler.reseed_rng()
    assert base.calls[-1] == "reseed_rng"


def test_partial_fixed_value_outside_the_distribution_warns_and_samples(
    make_study: MakeStudy,
) -> None:
    study = make_study(sampler=PartialFixedSampler({"y": 9}, _Recorder()))
    with pytest.warns(UserWarning, match="'y'"):
        study.optimize(_xy, n_trials=1)
    assert study.trials[0].params["y"] == 1


def test_partial_fixed_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="fixed_params"):
        PartialFixedSampler([("y", 1)], RandomSampler())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="base_sampler"):
        PartialFixedSampler({"y": 1}, "random")  # type: ignore[arg-type]


class TestPartialFixedSamplerContract(SamplerContract):
    """With nothing of the objective's fixed, the wrapper must behave as any sampler."""

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return PartialFixedSampler({"not suggested": 1}, RandomSampler(seed=seed))
