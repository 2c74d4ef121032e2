"""BOHBSampler: the budget choice, the view at a budget, fall-backs, and use in studies."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.distributions import CategoricalDistribution, FloatDistribution
from hyperdial.pruners import (
    HyperbandPruner,
    MedianPruner,
    SuccessiveHalvingPruner,
)
from hyperdial.samplers import BaseSampler, BOHBSampler, RandomSampler, TPESampler
from hyperdial.samplers._bohb import result_at_budget
from hyperdial.trial import FrozenTrial
from hyperdial.trial._system_attrs import BOHB_BUDGET_KEY as BUDGET_KEY
from hyperdial.trial._system_attrs import BOHB_MODE_KEY as MODE_KEY

X = FloatDistribution(0.0, 1.0)
C = CategoricalDistribution(["a", "b", "c"])


def _trial(
    x: float,
    curve: dict[int, float],
    state: TrialState = TrialState.COMPLETE,
    c: str = "a",
) -> FrozenTrial:
    value = curve[max(curve)] if state in (TrialState.COMPLETE, TrialState.PRUNED) else None
    return FrozenTrial(
        state=state,
        value=value,
        params={"x": x, "c": c},
        distributions={"x": X, "c": C},
        intermediate_values=curve,
    )


def _study(pruner: Any = None, sampler: BaseSampler | None = None) -> hyperdial.Study:
    return hyperdial.create_study(pruner=pruner, sampler=sampler or RandomSampler(seed=0))


def _hb() -> HyperbandPruner:
    return HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)  # rungs 1, 3, 9


def _history(study: hyperdial.Study) -> None:
    """10 trials reach step 1, 4 of them step 3, 2 of them step 9 (COMPLETE)."""
    for i in range(10):
        x = i / 10
        if i < 2:
            curve = {1: 5.0 - i, 3: 3.0 - i, 9: 1.0 - i}
            study.add_trial(_trial(x, curve))
        elif i < 4:
            study.add_trial(_trial(x, {1: 5.0 - i, 3: 3.0 - i}, TrialState.PRUNED))
        else:
            study.add_trial(_trial(x, {1: 5.0 - i}, TrialState.PRUNED))


# -- the view at a budget -------------------------------------------------------------------------
def test_result_at_budget_rules() -> None:
    t = _trial(0.5, {1: 4.0, 3: 2.0, 5: 1.5}, TrialState.PRUNED)
    at3 = result_at_budget(t, 3)
    assert at3.state == TrialState.COMPLETE and at3.value == 2.0
    assert at3.intermediate_values == {1: 4.0, 3: 2.0}  # nothing beyond the budget
    at2 = result_at_budget(t, 2)  # the first report at or after the budget
    assert at2.state == TrialState.COMPLETE and at2.value == 2.0
    assert result_at_budget(t, 9) is t  # pruned before the budget: shown as it is
    assert t.state == TrialState.PRUNED and t.value == 1.5  # never modified
    assert t.intermediate_values == {1: 4.0, 3: 2.0, 5: 1.5}

    running = _trial(0.5, {1: 4.0}, TrialState.RUNNING)
    assert result_at_budget(running, 1).state == TrialState.COMPLETE
    assert result_at_budget(running, 3) is running
    short = _trial(0.5, {1: 4.0, 2: 0.5})  # COMPLETE without reaching the budget
    assert result_at_budget(short, 9).value == 0.5
    nan = _trial(0.5, {1: math.nan, 3: 1.0}, TrialState.PRUNED)
    assert result_at_budget(nan, 1).state == TrialState.PRUNED
    assert result_at_budget(nan, 1).values is None
    failed = _trial(0.5, {1: 1.0}, TrialState.FAIL)
    assert result_at_budget(failed, 1) is failed


def test_the_view_is_read_only_and_follows_the_storage() -> None:
    study = _study(_hb(), BOHBSampler(seed=0, min_points_in_model=2))
    _history(study)
    view = study.sampler._view(study, 3)  # type: ignore[attr-defined]
    shown = view.get_trials(deepcopy=False)
    assert [t.state for t in shown] == [TrialState.COMPLETE] * 4 + [TrialState.PRUNED] * 6
    assert [t.value for t in shown[:4]] == [3.0, 2.0, 1.0, 0.0]
    changed, mark = view._storage.get_trials_changed_since(view._study_id, 0)
    assert [t.state for t in changed] == [t.state for t in shown]
    with pytest.raises(RuntimeError, match="read-only"):
        view._storage.create_new_trial(view._study_id)
    running = study.ask()
    running.report(-7.0, 4)  # another worker reaches step 3 and beyond
    changed, _ = view._storage.get_trials_changed_since(view._study_id, mark)
    assert [(t.number, t.state, t.value) for t in changed] == [(10, TrialState.COMPLETE, -7.0)]
    study.tell(running, -7.0)


# -- the budget choice ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_min", "budget"), [(1, 9), (2, 9), (3, 3), (4, 3), (5, 1), (10, 1), (11, None)]
)
def test_picks_the_highest_budget_with_enough_results(n_min: int, budget: int | None) -> None:
    study = _study(_hb())
    _history(study)
    assert BOHBSampler(min_points_in_model=n_min).choose_budget(study) == budget


def test_default_n_min_is_bohbs_n_min_plus_two() -> None:
    study = _study(_hb())
    _history(study)  # 2 parameters: N_min = 3, a model after N_min + 2 = 5 results
    assert BOHBSampler().choose_budget(study) == 1
    assert BOHBSampler(min_points_in_model=5).choose_budget(study) == 1
    assert BOHBSampler(min_points_in_model=4).choose_budget(study) == 3


def test_running_trials_count_once_they_report_and_nan_does_not() -> None:
    study = _study(_hb())
    _history(study)
    sampler = BOHBSampler(min_points_in_model=5)
    assert sampler.choose_budget(study) == 1
    a = study.ask()
    a.report(math.nan, 3)  # a NaN result at 3 is no result
    assert sampler.choose_budget(study) == 1
    b = study.ask()
    b.report(0.1, 3)  # another worker's running trial reaches rung 3
    assert sampler.choose_budget(study) == 3
    study.tell(a, state=TrialState.FAIL)
    study.tell(b, state=TrialState.FAIL)
    assert sampler.choose_budget(study) == 1  # failed trials never count


def test_candidate_budgets_without_a_multi_fidelity_pruner() -> None:
    study = _study(MedianPruner())
    _history(study)
    sampler = BOHBSampler(min_points_in_model=4)
    assert sampler._candidates(study, study.trials) == [1, 3, 9]
    assert sampler.choose_budget(study) == 3
    explicit = BOHBSampler(min_points_in_model=4, budgets=[2, 1])
    assert explicit.choose_budget(study) == 2  # 4 trials reported at a step >= 2


def test_candidate_budgets_of_successive_halving() -> None:
    study = _study(SuccessiveHalvingPruner(min_resource=2, reduction_factor=2))
    for i in range(6):
        study.add_trial(_trial(i / 6, {s: float(s) for s in range(1, 13)}))
    # rungs 2, 4, 8 and the full budget 12 (the longest COMPLETE trial)
    assert BOHBSampler()._candidates(study, study.trials) == [2, 4, 8, 12]
    capped = _study(SuccessiveHalvingPruner(min_resource=2, reduction_factor=2, max_resource=6))
    for i in range(6):
        capped.add_trial(_trial(i / 6, {s: float(s) for s in range(1, 13)}))
    # rungs 2, 4 and the pruner's full budget 6 (not the longest trial's 12)
    assert BOHBSampler()._candidates(capped, capped.trials) == [2, 4, 6]
    auto = _study(SuccessiveHalvingPruner())  # "auto" min_resource not resolved: every step
    auto.add_trial(_trial(0.1, {1: 1.0, 5: 1.0}, TrialState.PRUNED))
    assert BOHBSampler()._candidates(auto, auto.trials) == [1, 5]


def test_a_study_without_intermediate_values_uses_final_values() -> None:
    study = _study()
    sampler = BOHBSampler(min_points_in_model=3)
    assert sampler.choose_budget(study) is None
    for i in range(3):
        study.add_trial(
            FrozenTrial(
                state=TrialState.COMPLETE, value=i, params={"x": 0.1}, distributions={"x": X}
            )
        )
    assert sampler.choose_budget(study) == -1


# -- proposals ------------------------------------------------------------------------------------
def test_startup_is_random_when_no_budget_has_enough() -> None:
    sampler = BOHBSampler(seed=3, min_points_in_model=50, random_fraction=0.0)
    study = _study(_hb(), sampler)
    _history(study)
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    frozen = study._storage.get_trial(trial._trial_id)
    assert frozen.system_attrs[MODE_KEY] == "startup" and frozen.system_attrs[BUDGET_KEY] is None
    expected = RandomSampler(seed=3).sample_independent(study, frozen, "x", X)
    assert x == expected


def test_random_fraction_is_a_fixed_share_of_trial_numbers() -> None:
    sampler = BOHBSampler(seed=1, random_fraction=0.25)
    study = _study(_hb())
    modes = Counter(sampler._decide(study, FrozenTrial(number=n))[0] for n in range(4000))
    assert modes["random"] / 4000 == pytest.approx(0.25, abs=0.03)
    never = BOHBSampler(seed=1, random_fraction=0.0)
    always = BOHBSampler(seed=1, random_fraction=1.0)
    assert all(never._decide(study, FrozenTrial(number=n))[0] != "random" for n in range(200))
    assert all(always._decide(study, FrozenTrial(number=n))[0] == "random" for n in range(200))


@pytest.mark.parametrize("budget_n_min", [(3, 3), (9, 2), (1, 10)])
def test_model_proposals_equal_the_base_sampler_on_the_budgets_results(
    budget_n_min: tuple[int, int],
) -> None:
    """Reference: TPE on a study holding, by hand, each trial's result at the budget."""
    budget, n_min = budget_n_min
    bohb = BOHBSampler(TPESampler(seed=7, n_startup_trials=0), min_points_in_model=n_min)
    bohb._random_fraction = 0.0
    study = _study(_hb(), bohb)
    _history(study)
    assert bohb.choose_budget(study) == budget

    reference = _study(_hb(), TPESampler(seed=7, n_startup_trials=0))
    for t in study.trials:
        reached = [s for s in t.intermediate_values if s >= budget]
        if reached:  # every trial of _history is finite and either COMPLETE or PRUNED
            step = min(reached)
            curve = {s: v for s, v in t.intermediate_values.items() if s <= step}
            reference.add_trial(_trial(t.params["x"], curve, c=t.params["c"]))
        else:  # pruned below the budget: as it is
            reference.add_trial(
                _trial(t.params["x"], t.intermediate_values, t.state, t.params["c"])
            )

    for _ in range(3):
        got, want = study.ask(), reference.ask()
        assert got.suggest_float("x", 0.0, 1.0) == want.suggest_float("x", 0.0, 1.0)
        assert got.suggest_categorical("c", ["a", "b", "c"]) == want.suggest_categorical(
            "c", ["a", "b", "c"]
        )
        frozen = study._storage.get_trial(got._trial_id)
        assert frozen.system_attrs[MODE_KEY] == "model"
        assert frozen.system_attrs[BUDGET_KEY] == budget
        study.tell(got, state=TrialState.FAIL)
        reference.tell(want, state=TrialState.FAIL)


class _Spy(BaseSampler):
    def __init__(self) -> None:
        self.seen: list[list[tuple[int, TrialState, float | None]]] = []

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        self.seen.append([(t.number, t.state, t.value) for t in study.get_trials()])
        return 0.5


def test_any_base_sampler_sees_the_study_at_the_budget() -> None:
    spy = _Spy()
    study = _study(_hb(), BOHBSampler(spy, min_points_in_model=4, random_fraction=0.0))
    _history(study)
    study.ask().suggest_float("x", 0.0, 1.0)
    seen = spy.seen[0]
    assert seen[:4] == [(i, TrialState.COMPLETE, 3.0 - i) for i in range(4)]
    assert [s for _, s, _ in seen[4:10]] == [TrialState.PRUNED] * 6
    assert seen[10][1] == TrialState.RUNNING


# -- in studies -----------------------------------------------------------------------------------
def _objective(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    kind = trial.suggest_categorical("kind", ["good", "bad"])
    value = 0.0
    for step in range(1, 10):
        value = (x - 1.0) ** 2 + (0.0 if kind == "good" else 1.0) + 1.0 / step
        trial.report(value, step)
        if trial.should_prune():
            raise hyperdial.TrialPruned()
    return value


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_bohb_with_hyperband_in_optimize(n_jobs: int) -> None:
    study = hyperdial.create_study(
        sampler=BOHBSampler(seed=0), pruner=HyperbandPruner(1, 9, reduction_factor=3)
    )
    study.optimize(_objective, n_trials=60, n_jobs=n_jobs)
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.RUNNING] == 0 and states[TrialState.FAIL] == 0
    assert states[TrialState.PRUNED] > 0
    modes = Counter(t.system_attrs[MODE_KEY] for t in study.trials)
    assert modes["model"] > 20 and modes["random"] > 5 and modes["startup"] > 0
    budgets = {
        t.system_attrs[BUDGET_KEY] for t in study.trials if t.system_attrs[MODE_KEY] == "model"
    }
    assert budgets <= {1, 3, 9}
    model = [t for t in study.trials if t.system_attrs[MODE_KEY] == "model"][-15:]
    assert Counter(t.params["kind"] for t in model)["good"] >= 10  # the model found the good kind


def test_bohb_with_sqlite_storage(tmp_path: Any) -> None:
    pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{tmp_path / 'bohb.db'}"
    study = hyperdial.create_study(
        storage=url,
        study_name="bohb",
        sampler=BOHBSampler(seed=1),
        pruner=HyperbandPruner(1, 9),
    )
    study.optimize(_objective, n_trials=25)
    loaded = hyperdial.load_study(study_name="bohb", storage=url)
    assert all(MODE_KEY in t.system_attrs for t in loaded.trials)
    assert any(t.system_attrs[MODE_KEY] == "model" for t in loaded.trials)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"base": object()}, TypeError, "base"),
        ({"base": BOHBSampler()}, TypeError, "base"),
        ({"min_points_in_model": 0}, ValueError, "min_points_in_model"),
        ({"min_points_in_model": 2.5}, ValueError, "min_points_in_model"),
        ({"random_fraction": 1.5}, ValueError, "random_fraction"),
        ({"random_fraction": math.nan}, ValueError, "random_fraction"),
        ({"budgets": [1, -2]}, ValueError, "budgets"),
        ({"budgets": []}, ValueError, "budgets"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_validation(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        BOHBSampler(**kwargs)
