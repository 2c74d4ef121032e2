"""Optuna's trial API: ``create_trial`` and the suggest API of ``FrozenTrial``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.trial import FrozenTrial, create_trial

MakeStudy = Callable[..., hyperdial.Study]

SPACE: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-5, 5),
    "n": IntDistribution(1, 8, log=True),
    "c": CategoricalDistribution(["a", "b", None]),
}


def _objective(trial: hyperdial.trial.BaseTrial | FrozenTrial) -> float:
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 8, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None])
    trial.report(x, 0)
    assert not trial.should_prune()
    trial.set_user_attr("seen", True)
    return x * n + (c == "a")


# -- create_trial --------------------------------------------------------------------------------
def test_create_trial_defaults_to_complete_with_times() -> None:
    t = create_trial(params={"x": 1.0}, distributions={"x": SPACE["x"]}, value=2.0)
    assert isinstance(t, FrozenTrial)
    assert t.state == TrialState.COMPLETE
    assert (t.number, t.trial_id, t.value, t.params) == (-1, -1, 2.0, {"x": 1.0})
    assert t.datetime_start is not None and t.datetime_start.tzinfo is not None
    assert t.datetime_complete == t.datetime_start


def test_create_trial_waiting_and_running_have_no_completion() -> None:
    waiting = create_trial(state=TrialState.WAITING)
    assert waiting.datetime_start is None and waiting.datetime_complete is None
    running = create_trial(state=TrialState.RUNNING)
    assert running.datetime_start is not None and running.datetime_complete is None


def test_create_trial_carries_every_field() -> None:
    t = create_trial(
        state=TrialState.PRUNED,
        values=[1.5],
        params={"n": 4, "c": None},
        distributions={"n": SPACE["n"], "c": SPACE["c"]},
        user_attrs={"u": [1, 2]},
        system_attrs={"s": "v"},
        intermediate_values={0: 3.0, 2: 1.5},
        constraints={"c0": 0.5},
    )
    assert t.values == [1.5] and t.params == {"n": 4, "c": None}
    assert t.user_attrs == {"u": [1, 2]} and t.system_attrs["s"] == "v"
    assert t.intermediate_values == {0: 3.0, 2: 1.5}
    assert t.constraints == {"c0": 0.5} and not t.is_feasible()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),  # COMPLETE without a value
        ({"value": 1.0, "values": [1.0]}, ValueError),
        ({"value": 1.0, "params": {"x": 1.0}}, ValueError),  # no distribution for x
        ({"value": 1.0, "params": {"x": 9.0}, "distributions": {"x": SPACE["x"]}}, ValueError),
        ({"value": 1.0, "intermediate_values": {-1: 0.0}}, ValueError),
        ({"value": "1"}, TypeError),
        ({"state": TrialState.FAIL, "value": 1.0}, ValueError),
        ({"value": 1.0, "user_attrs": {"k": object()}}, TypeError),
    ],
)
def test_create_trial_rejects_inconsistent_fields(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        create_trial(**kwargs)  # type: ignore[arg-type]


def test_created_trials_are_added_to_a_study(make_study: MakeStudy) -> None:
    study = make_study()
    study.add_trial(create_trial(params={"x": 0.0}, distributions={"x": SPACE["x"]}, value=3.0))
    study.add_trial(create_trial(params={"x": 1.0}, distributions={"x": SPACE["x"]}, value=1.0))
    assert [t.number for t in study.trials] == [0, 1]
    assert study.best_params == {"x": 1.0}


def test_create_trial_is_exported_like_optuna() -> None:
    assert hyperdial.trial.create_trial is create_trial
    assert "create_trial" in hyperdial.trial.__all__


# -- FrozenTrial as a trial ----------------------------------------------------------------------
def test_rerunning_the_objective_on_the_best_trial_gives_its_value(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(_objective, n_trials=8)
    best = study.best_trial
    assert _objective(best) == study.best_value
    # Writes to the record stay in the record: storage is not touched.
    best.set_user_attr("rerun", 1)
    assert best.user_attrs["rerun"] == 1
    assert "rerun" not in study.best_trial.user_attrs


def test_frozen_suggest_returns_the_stored_values_with_their_types() -> None:
    t = create_trial(params={"x": 1.25, "n": 4, "c": None}, distributions=SPACE, value=0.0)
    assert t.suggest_float("x", -5, 5) == 1.25
    n = t.suggest_int("n", 1, 8, log=True)
    assert n == 4 and type(n) is int
    assert t.suggest_categorical("c", ["a", "b", None]) is None


def test_frozen_suggest_without_a_stored_value_raises() -> None:
    t = create_trial(params={"x": 1.0}, distributions={"x": SPACE["x"]}, value=0.0)
    with pytest.raises(ValueError, match="'y'"):
        t.suggest_float("y", 0, 1)


def test_frozen_suggest_of_another_kind_raises() -> None:
    t = create_trial(params={"x": 1.0}, distributions={"x": SPACE["x"]}, value=0.0)
    with pytest.raises(ValueError, match="'x'"):
        t.suggest_int("x", -5, 5)
    with pytest.raises(ValueError, match="log"):
        t.suggest_float("x", 0.5, 5, log=True)


def test_frozen_suggest_with_a_new_range_replaces_the_distribution() -> None:
    t = create_trial(params={"x": 1.0}, distributions={"x": SPACE["x"]}, value=0.0)
    old = t.distributions
    assert t.suggest_float("x", 0, 2) == 1.0
    assert t.distributions["x"] == FloatDistribution(0, 2)
    assert old["x"] == SPACE["x"]  # a new dict: shared records are left alone


def test_frozen_suggest_outside_the_distribution_warns() -> None:
    t = create_trial(params={"x": 4.0}, distributions={"x": SPACE["x"]}, value=0.0)
    with pytest.warns(UserWarning, match="not a value of"):
        assert t.suggest_float("x", 0, 2) == 4.0


def test_frozen_report_and_should_prune_change_nothing() -> None:
    t = create_trial(params={}, distributions={}, value=0.0, intermediate_values={0: 1.0})
    t.report(5.0, 1)
    assert t.intermediate_values == {0: 1.0}
    assert t.should_prune() is False


def test_frozen_set_user_attr_and_constraint_check_their_input() -> None:
    t = create_trial(value=0.0)
    t.set_user_attr("k", {"a": 1})
    assert t.user_attrs == {"k": {"a": 1}}
    with pytest.raises(TypeError):
        t.set_user_attr("bad", object())
    t.set_constraint("c", -1)
    assert t.constraints == {"c": -1.0} and t.is_feasible()
    with pytest.raises(ValueError, match="NaN"):
        t.set_constraint("c", float("nan"))
