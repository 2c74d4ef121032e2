"""The Study API: creating and loading, ask/tell, the queue, added trials, best trials."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperdial
from hyperdial import StudyDirection, TrialState
from hyperdial.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hyperdial.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from hyperdial.storages import InMemoryStorage
from hyperdial.trial import FrozenTrial

MakeStudy = Callable[..., hyperdial.Study]
NAN = float("nan")
INF = float("inf")


def complete(values: list[float], **kwargs: Any) -> FrozenTrial:
    return FrozenTrial(state=TrialState.COMPLETE, values=values, **kwargs)


# -- create / load / delete ----------------------------------------------------------------------
def test_default_direction_is_minimize(make_study: MakeStudy) -> None:
    study = make_study()
    assert study.direction == StudyDirection.MINIMIZE
    assert study.directions == [StudyDirection.MINIMIZE]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"direction": "maximize"}, [StudyDirection.MAXIMIZE]),
        ({"direction": "MINIMIZE"}, [StudyDirection.MINIMIZE]),
        ({"direction": StudyDirection.MAXIMIZE}, [StudyDirection.MAXIMIZE]),
        ({"directions": ["maximize"]}, [StudyDirection.MAXIMIZE]),
        (
            {"directions": ["minimize", "maximize", StudyDirection.MINIMIZE]},
            [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE],
        ),
    ],
)
def test_directions(
    make_study: MakeStudy, kwargs: dict[str, Any], expected: list[StudyDirection]
) -> None:
    assert make_study(**kwargs).directions == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "minimize", "directions": ["minimize"]}, "`direction` or `directions`"),
        ({"direction": "min"}, "`direction` must be 'minimize' or 'maximize', got 'min'"),
        ({"direction": StudyDirection.NOT_SET}, "`direction` must be"),
        ({"direction": 1}, "`direction` must be"),
        ({"directions": ["minimize", "up"]}, "`direction` must be .*'up'"),
        ({"directions": []}, "`directions` must be a non-empty list"),
        ({"directions": "minimize"}, "`directions` must be a non-empty list"),
    ],
)
def test_bad_directions(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        hyperdial.create_study(**kwargs)


def test_direction_of_a_multi_objective_study_raises(make_study: MakeStudy) -> None:
    study = make_study(directions=["minimize", "maximize"])
    with pytest.raises(RuntimeError, match="use `directions`"):
        _ = study.direction
    with pytest.raises(RuntimeError, match="use `best_trials`"):
        _ = study.best_trial


def test_generated_names_are_unique() -> None:
    storage = InMemoryStorage()
    a = hyperdial.create_study(storage=storage)
    b = hyperdial.create_study(storage=storage)
    assert a.study_name and b.study_name and a.study_name != b.study_name
    assert sorted(hyperdial.get_all_study_names(storage)) == sorted([a.study_name, b.study_name])


def test_other_storage_arguments_are_refused_clearly() -> None:
    with pytest.raises(TypeError, match="`storage` must be"):
        hyperdial.create_study(storage=42)  # type: ignore[arg-type]


def test_load_if_exists() -> None:
    storage = InMemoryStorage()
    first = hyperdial.create_study(storage=storage, study_name="s", direction="maximize")
    first.add_trial(complete([1.0]))
    with pytest.raises(DuplicatedStudyError):
        hyperdial.create_study(storage=storage, study_name="s", direction="maximize")
    again = hyperdial.create_study(
        storage=storage, study_name="s", direction="maximize", load_if_exists=True
    )
    assert again.study_name == "s" and len(again.trials) == 1
    # Without a direction the stored one is kept; a different one is an error.
    unspecified = hyperdial.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert unspecified.direction == StudyDirection.MAXIMIZE
    with pytest.raises(ValueError, match="exists with directions"):
        hyperdial.create_study(
            storage=storage, study_name="s", direction="minimize", load_if_exists=True
        )
    assert hyperdial.get_all_study_names(storage) == ["s"]


def test_load_study() -> None:
    storage = InMemoryStorage()
    with pytest.raises(ValueError, match="holds 0 studies"):
        hyperdial.load_study(study_name=None, storage=storage)
    created = hyperdial.create_study(storage=storage, study_name="one")
    created.add_trial(complete([2.0]))
    by_name = hyperdial.load_study(study_name="one", storage=storage)
    only = hyperdial.load_study(study_name=None, storage=storage)
    assert by_name.study_name == only.study_name == "one"
    assert by_name.best_value == only.best_value == 2.0
    hyperdial.create_study(storage=storage, study_name="two")
    with pytest.raises(ValueError, match="holds 2 studies"):
        hyperdial.load_study(study_name=None, storage=storage)
    with pytest.raises(KeyError):
        hyperdial.load_study(study_name="three", storage=storage)
    with pytest.raises(ValueError, match="`storage` is required"):
        hyperdial.load_study(study_name="one", storage=None)


def test_delete_study_and_names() -> None:
    storage = InMemoryStorage()
    assert hyperdial.get_all_study_names(storage) == []
    for name in ("a", "b", "c"):
        hyperdial.create_study(storage=storage, study_name=name).add_trial(complete([0.0]))
    hyperdial.delete_study(study_name="b", storage=storage)
    assert sorted(hyperdial.get_all_study_names(storage)) == ["a", "c"]
    with pytest.raises(KeyError):
        hyperdial.load_study(study_name="b", storage=storage)
    with pytest.raises(KeyError):
        hyperdial.delete_study(study_name="b", storage=storage)
    # The name is free again, and the new study starts empty.
    assert hyperdial.create_study(storage=storage, study_name="b").trials == []
    assert len(hyperdial.load_study(study_name="a", storage=storage).trials) == 1


def test_bad_sampler_or_pruner() -> None:
    with pytest.raises(TypeError, match="`sampler` must be a BaseSampler"):
        hyperdial.create_study(sampler=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`pruner` must be a BasePruner"):
        hyperdial.create_study(pruner=object())  # type: ignore[arg-type]


# -- ask / tell -----------------------------------------------------------------------------------
def test_tell_by_trial_and_by_number(make_study: MakeStudy) -> None:
    study = make_study()
    t0, t1 = study.ask(), study.ask()
    f1 = study.tell(1, 5.0)
    f0 = study.tell(t0, 3)
    assert (f0.number, f0.state, f0.values) == (0, TrialState.COMPLETE, [3.0])
    assert (f1.number, f1.state, f1.values) == (1, TrialState.COMPLETE, [5.0])
    assert t1.number == 1
    assert [t.values for t in study.trials] == [[3.0], [5.0]]


def test_tell_twice(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    first = study.tell(t, 1.0)
    with pytest.raises(UpdateFinishedTrialError, match="already finished"):
        study.tell(t, 2.0)
    with pytest.raises(UpdateFinishedTrialError):
        study.tell(t.number, state=TrialState.FAIL)
    again = study.tell(t, 2.0, skip_if_finished=True)
    assert again.state == TrialState.COMPLETE and again.values == [1.0]
    assert again.datetime_complete == first.datetime_complete
    assert study.trials[0].values == [1.0]


def test_tell_pruned_and_fail(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    t.report(0.7, 0)
    t.report(0.4, 5)
    pruned = study.tell(t, state=TrialState.PRUNED)
    assert pruned.state == TrialState.PRUNED and pruned.values == [0.4]
    failed = study.tell(study.ask(), 1.0, state=TrialState.FAIL)
    assert failed.state == TrialState.FAIL and failed.values is None
    complete_ = study.tell(study.ask(), 1.0, state=TrialState.COMPLETE)
    assert complete_.state == TrialState.COMPLETE and complete_.values == [1.0]


@pytest.mark.parametrize("state", [TrialState.RUNNING, TrialState.WAITING])
def test_tell_with_an_unfinished_state(make_study: MakeStudy, state: TrialState) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(ValueError, match="`state` must be COMPLETE, PRUNED, FAIL or None"):
        study.tell(t, 1.0, state=state)
    assert study.trials[0].state == TrialState.RUNNING
    study.tell(t, 1.0)


def test_tell_with_a_state_that_is_no_state(make_study: MakeStudy) -> None:
    study = make_study()
    with pytest.raises(ValueError, match="99 is not a valid TrialState"):
        study.tell(study.ask(), 1.0, state=99)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (None, "returned None"),
        (NAN, "NaN"),
        ([1.0, 2.0], "2 value"),
        ("1.0", "not a number"),
        (10**400, "too large for a float"),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_tell_invalid_values_fails_with_a_reason(
    make_study: MakeStudy, values: Any, reason: str
) -> None:
    study = make_study()
    frozen = study.tell(study.ask(), values)
    assert frozen.state == TrialState.FAIL and frozen.values is None
    assert reason in frozen.system_attrs["fail_reason"]


def test_tell_multi_objective(make_study: MakeStudy) -> None:
    study = make_study(directions=["minimize", "maximize"])
    assert study.tell(study.ask(), [1.0, -INF]).values == [1.0, -INF]
    bad = study.tell(study.ask(), 1.0)
    assert bad.state == TrialState.FAIL
    assert "1 value(s) but the study has 2" in bad.system_attrs["fail_reason"]


def test_tell_unknown_or_foreign_trials(make_study: MakeStudy) -> None:
    study, other = make_study(), make_study()
    with pytest.raises(ValueError, match="has no trial number 3"):
        study.tell(3, 1.0)
    with pytest.raises(ValueError, match="belongs to another study"):
        study.tell(other.ask(), 1.0)
    with pytest.raises(TypeError, match="`trial` must be a Trial or a trial number"):
        study.tell("0", 1.0)  # type: ignore[arg-type]


def test_tell_refuses_an_enqueued_trial_that_never_ran(make_study: MakeStudy) -> None:
    study = make_study()
    study.enqueue_trial({"x": 0.5})
    with pytest.raises(ValueError, match="Trial 0 is WAITING"):
        study.tell(0, 1.0)
    t = study.ask()  # the queued trial is still there to run
    assert t.number == 0 and t.suggest_float("x", 0, 1) == 0.5
    assert study.tell(0, 1.0).state == TrialState.COMPLETE


def test_ask_with_fixed_distributions(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask({"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])})
    assert set(t.params) == {"x", "c"}
    assert 0 <= t.params["x"] <= 1 and t.params["c"] in ("a", "b")
    assert t.suggest_float("x", 0, 1) == t.params["x"]


# -- enqueue --------------------------------------------------------------------------------------
def test_enqueued_params_are_used_and_missing_ones_sampled(make_study: MakeStudy) -> None:
    study = make_study()
    study.enqueue_trial({"x": 0.25, "c": "b"}, user_attrs={"source": "manual"})
    study.enqueue_trial({"n": 7})
    assert [t.state for t in study.trials] == [TrialState.WAITING, TrialState.WAITING]

    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("c", ["a", "b"])
        return x + trial.suggest_int("n", 0, 10)

    study.optimize(objective, n_trials=3)
    t0, t1, t2 = study.trials
    assert (t0.params["x"], t0.params["c"]) == (0.25, "b")
    assert 0 <= t0.params["n"] <= 10
    assert t0.user_attrs == {"source": "manual"}
    assert t1.params["n"] == 7 and 0.0 <= t1.params["x"] <= 1.0
    assert t2.state == TrialState.COMPLETE and "fixed_params" not in t2.system_attrs


@pytest.mark.parametrize("value", [5.0, "0.5", None])
def test_enqueued_value_outside_the_distribution_warns_and_is_resampled(
    make_study: MakeStudy, value: Any
) -> None:
    study = make_study()
    study.enqueue_trial({"x": value})
    with pytest.warns(UserWarning, match="Enqueued value for parameter 'x' is ignored"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    (t,) = study.trials
    assert t.state == TrialState.COMPLETE and 0.0 <= t.params["x"] <= 1.0


def test_enqueued_values_run_in_order_and_once(make_study: MakeStudy) -> None:
    study = make_study()
    for i in range(5):
        study.enqueue_trial({"i": i})
    study.optimize(lambda t: t.suggest_int("i", 0, 100), n_trials=8)
    params = [t.params["i"] for t in study.trials]
    assert params[:5] == [0, 1, 2, 3, 4]
    assert len(study.trials) == 8
    assert study.get_trials(states=(TrialState.WAITING,)) == []


def test_enqueue_skip_if_exists(make_study: MakeStudy) -> None:
    study = make_study()
    study.enqueue_trial({"x": 0.5, "c": 1})
    study.enqueue_trial({"x": 0.5, "c": 1}, skip_if_exists=True)  # queued: skipped
    study.enqueue_trial({"x": 0.5, "c": True}, skip_if_exists=True)  # True is not 1
    study.enqueue_trial({"x": NAN, "c": 1}, skip_if_exists=True)
    study.enqueue_trial({"x": NAN, "c": 1}, skip_if_exists=True)  # NaN equals NaN here
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)  # other names
    assert len(study.trials) == 4

    def objective(trial: hyperdial.Trial) -> float:
        trial.suggest_categorical("c", [1, True, 1.0])
        return 0.0

    study.optimize(objective, n_trials=4)
    assert [type(t.params["c"]) for t in study.trials[:3]] == [int, bool, int]
    # Finished trials count too. Once the parameter is known to be categorical, 1.0 is a
    # choice of its own (while queued, 1 and 1.0 match: they are one value of a float).
    study.enqueue_trial({"x": 0.5, "c": True}, skip_if_exists=True)
    study.enqueue_trial({"x": 0.5, "c": 1}, skip_if_exists=True)
    assert len(study.trials) == 4
    study.enqueue_trial({"x": 0.5, "c": 1.0}, skip_if_exists=True)
    assert len(study.trials) == 5
    study.enqueue_trial({"x": 0.5, "c": 1})  # without skip_if_exists it is queued again
    assert len(study.trials) == 6


def test_enqueue_skip_if_exists_matches_sampled_trials(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(lambda t: t.suggest_int("n", 0, 3), n_trials=1)
    n = study.trials[0].params["n"]
    study.enqueue_trial({"n": n}, skip_if_exists=True)
    study.enqueue_trial({"n": float(n)}, skip_if_exists=True)
    assert len(study.trials) == 1
    study.enqueue_trial({"n": (n + 1) % 4}, skip_if_exists=True)
    assert len(study.trials) == 2


def test_enqueue_rejects_bad_input(make_study: MakeStudy) -> None:
    study = make_study()
    with pytest.raises(TypeError, match="`params` must be a dict"):
        study.enqueue_trial([("x", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Enqueued parameter 'x'.*JSON"):
        study.enqueue_trial({"x": object()})
    with pytest.raises(TypeError, match=r"User attribute 'u'.*JSON"):
        study.enqueue_trial({"x": 1}, user_attrs={"u": object()})
    assert study.trials == []


# -- add_trial -----------------------------------------------------------------------------------
def test_add_trial(make_study: MakeStudy) -> None:
    study = make_study()
    dists = {"x": FloatDistribution(0, 1), "c": CategoricalDistribution([1, True])}
    study.add_trial(complete([0.3], params={"x": 0.5, "c": True}, distributions=dists))
    study.add_trials(
        [
            FrozenTrial(state=TrialState.FAIL, params={"x": 0.1}, distributions={"x": dists["x"]}),
            FrozenTrial(state=TrialState.PRUNED, value=0.9),
            complete([0.2], user_attrs={"k": "v"}),
        ]
    )
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2, 3]
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.PRUNED,
        TrialState.COMPLETE,
    ]
    assert trials[0].params == {"x": 0.5, "c": True} and type(trials[0].params["c"]) is bool
    assert trials[0].distributions == dists
    assert trials[3].user_attrs == {"k": "v"}
    assert all(t.datetime_complete is not None for t in trials)
    assert study.best_trial.number == 3
    # The next trial of the study continues the numbering.
    assert study.ask().number == 4


@pytest.mark.parametrize(
    ("trial", "match"),
    [
        (FrozenTrial(state=TrialState.COMPLETE), "COMPLETE trial needs `values`"),
        (complete([NAN]), "cannot have NaN values"),
        (FrozenTrial(state=TrialState.FAIL, value=1.0), "FAIL trial cannot have values"),
        (FrozenTrial(state=TrialState.RUNNING), "RUNNING trial cannot be added"),
        (complete([1.0, 2.0]), "2 values but the study has 1"),
        (complete([1.0], params={"x": 0.5}), "must name the same parameters"),
        (
            complete([1.0], params={}, distributions={"x": FloatDistribution(0, 1)}),
            "must name the same parameters",
        ),
        (
            complete([1.0], params={"x": 2.0}, distributions={"x": FloatDistribution(0, 1)}),
            "Parameter 'x': 2.0 is not a value",
        ),
        (
            complete([1.0], params={"n": 3}, distributions={"n": IntDistribution(0, 10, step=2)}),
            "Parameter 'n': 3 is not a value",
        ),
        (
            complete([1.0], params={"c": 1}, distributions={"c": CategoricalDistribution([True])}),
            "not one of the choices",
        ),
    ],
)
def test_add_trial_rejects(make_study: MakeStudy, trial: FrozenTrial, match: str) -> None:
    study = make_study()
    with pytest.raises(ValueError, match=match):
        study.add_trial(trial)
    assert study.trials == []


def test_add_trial_needs_a_frozen_trial(make_study: MakeStudy) -> None:
    with pytest.raises(TypeError, match="`trial` must be a FrozenTrial"):
        make_study().add_trial({"values": [1.0]})  # type: ignore[arg-type]


# -- best trial(s) -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("direction", "values", "best_number"),
    [
        ("minimize", [3.0, 1.0, 2.0, 1.0], 1),
        ("maximize", [1.0, 3.0, 3.0, 2.0], 1),
        ("minimize", [INF, 5.0, -INF, -INF], 2),
        ("maximize", [-INF, INF, 0.0], 1),
    ],
)
def test_best_trial(
    make_study: MakeStudy, direction: str, values: list[float], best_number: int
) -> None:
    study = make_study(direction=direction)
    for i, v in enumerate(values):
        dist = {"i": IntDistribution(0, 10)}
        study.add_trial(complete([v], params={"i": i}, distributions=dist))
        study.add_trial(FrozenTrial(state=TrialState.FAIL))  # never best
        _ = study.best_trial  # the cache is read incrementally: use it between additions
    assert study.best_trial.number == 2 * best_number
    assert study.best_value == values[best_number]
    assert study.best_params == {"i": best_number}


def test_best_tie_goes_to_the_earliest_trial_whatever_the_finishing_order(
    make_study: MakeStudy,
) -> None:
    study = make_study()
    t0, t1 = study.ask(), study.ask()
    study.tell(t1, 1.0)
    assert study.best_trial.number == 1
    study.tell(t0, 1.0)
    assert study.best_trial.number == 0


def test_best_trial_without_a_completed_trial(make_study: MakeStudy) -> None:
    study = make_study()
    with pytest.raises(ValueError, match="No trial is completed"):
        _ = study.best_trial
    study.ask()
    study.tell(study.ask(), None)
    study.add_trial(FrozenTrial(state=TrialState.PRUNED, value=0.0))
    with pytest.raises(ValueError, match="No trial is completed"):
        _ = study.best_value
    with pytest.raises(ValueError, match="No trial is completed"):
        _ = study.best_params


def _constrained(value: float, c: float) -> FrozenTrial:
    return complete([value], system_attrs={"constraints": {"c": c}})


def test_best_trial_honours_constraints(make_study: MakeStudy) -> None:
    study = make_study()
    study.add_trial(_constrained(-10.0, 0.5))  # best value, infeasible
    with pytest.raises(ValueError, match="None of the 1 completed trials is feasible"):
        _ = study.best_trial
    study.add_trial(_constrained(3.0, 0.0))  # feasible (<= 0)
    study.add_trial(_constrained(1.0, -2.0))
    study.add_trial(_constrained(0.5, 1e-9))
    assert study.best_trial.number == 2 and study.best_value == 1.0
    assert [t.number for t in study.best_trials] == [2]


def test_best_trials_for_one_objective_are_the_ties(make_study: MakeStudy) -> None:
    study = make_study()
    for v in [2.0, 1.0, 3.0, 1.0]:
        study.add_trial(complete([v]))
    assert [t.number for t in study.best_trials] == [1, 3]


def _dominates(a: list[float], b: list[float]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def _brute_force_front(values: list[list[float]], directions: list[str]) -> list[int]:
    signs = [-1.0 if d == "maximize" else 1.0 for d in directions]
    loss = [[s * v for s, v in zip(signs, row, strict=True)] for row in values]
    return [
        i
        for i, li in enumerate(loss)
        if not any(_dominates(lj, li) for j, lj in enumerate(loss) if j != i)
    ]


coordinate = st.one_of(st.integers(-3, 3).map(float), st.sampled_from([INF, -INF, 0.5]))


@st.composite
def pareto_cases(draw: st.DrawFn) -> tuple[list[str], list[list[float]]]:
    k = draw(st.sampled_from([2, 3]))
    directions = draw(st.lists(st.sampled_from(["minimize", "maximize"]), min_size=k, max_size=k))
    values = draw(st.lists(st.lists(coordinate, min_size=k, max_size=k), max_size=25))
    return directions, values


@settings(max_examples=50, deadline=None)
@given(pareto_cases())
def test_best_trials_is_the_pareto_front(case: tuple[list[str], list[list[float]]]) -> None:
    directions, values = case
    study = hyperdial.create_study(directions=directions)
    for row in values:
        study.add_trial(complete(row))
        study.add_trial(FrozenTrial(state=TrialState.FAIL))
    got = [t.number for t in study.best_trials]
    assert got == [2 * i for i in _brute_force_front(values, directions)]
    assert all(t.state == TrialState.COMPLETE for t in study.best_trials)


def test_best_trials_leaves_infeasible_trials_out() -> None:
    study = hyperdial.create_study(directions=["minimize", "minimize"])
    study.add_trial(complete([0.0, 0.0], system_attrs={"constraints": {"c": 1.0}}))
    study.add_trial(complete([1.0, 2.0]))
    study.add_trial(complete([2.0, 1.0]))
    study.add_trial(complete([2.0, 2.0]))
    assert [t.number for t in study.best_trials] == [1, 2]


# -- trials ---------------------------------------------------------------------------------------
def test_trials_and_get_trials(make_study: MakeStudy) -> None:
    study = make_study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), None)
    study.ask()
    study.enqueue_trial({"x": 1.0})
    study.tell(study.ask(), state=TrialState.PRUNED)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.RUNNING,
        TrialState.PRUNED,
    ]
    # The enqueued trial was popped by the last ask.
    assert study.trials[3].system_attrs["fixed_params"] == {"x": 1.0}
    study.enqueue_trial({"x": 2.0})

    def numbers(states: Any) -> list[int]:
        return [t.number for t in study.get_trials(states=states)]

    assert numbers(None) == [0, 1, 2, 3, 4]
    assert numbers((TrialState.COMPLETE,)) == [0]
    assert numbers([TrialState.FAIL, TrialState.PRUNED]) == [1, 3]
    assert numbers({TrialState.WAITING}) == [4]
    assert numbers(()) == []


def test_trials_are_copies(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    t = study.trials[0]
    t.params["x"] = 99.0
    t.user_attrs["new"] = 1
    t.values = [123.0]
    fresh = study.trials[0]
    assert fresh.params["x"] != 99.0 and fresh.user_attrs == {} and fresh.values != [123.0]


def test_trials_dataframe(make_study: MakeStudy) -> None:
    pd = pytest.importorskip("pandas")
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("tag", f"t{trial.number}")
        trial.set_constraint("c", -1.0)
        return x

    study.optimize(objective, n_trials=3)
    study.tell(study.ask(), None)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == 4
    cols = list(df.columns)
    assert cols[:2] == ["number", "value"] and cols[-1] == "state"
    for c in ("datetime_start", "datetime_complete", "duration", "params_x", "user_attrs_tag"):
        assert c in cols
    assert "constraints_c" in cols
    assert df["number"].tolist() == [0, 1, 2, 3]
    assert df["state"].tolist() == ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"]
    assert df["value"].tolist()[:3] == [t.value for t in study.trials[:3]]
    assert math.isnan(df["value"].tolist()[3])
    assert df["user_attrs_tag"].tolist()[:3] == ["t0", "t1", "t2"]

    multi = study.trials_dataframe(multi_index=True)
    assert isinstance(multi.columns, pd.MultiIndex)
    assert ("params", "x") in multi.columns and ("number", "") in multi.columns
    assert multi[("params", "x")].tolist()[:3] == df["params_x"].tolist()[:3]


def test_trials_dataframe_multi_objective(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study(directions=["minimize", "maximize"])
    study.tell(study.ask(), [1.0, 2.0])
    df = study.trials_dataframe()
    assert "values_0" in df.columns and "values_1" in df.columns and "value" not in df.columns
    assert df[["values_0", "values_1"]].values.tolist() == [[1.0, 2.0]]


def test_trials_dataframe_of_an_empty_study(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    assert len(make_study().trials_dataframe()) == 0


def test_trials_dataframe_without_pandas(
    make_study: MakeStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    study = make_study()
    with pytest.raises(ImportError, match=r"trials_dataframe needs pandas: pip install pandas"):
        study.trials_dataframe()


# -- stop and nesting -----------------------------------------------------------------------------
def test_stop_in_a_callback_stops_optimize(make_study: MakeStudy) -> None:
    study = make_study()

    def stop_at_3(study: hyperdial.Study, frozen: FrozenTrial) -> None:
        if frozen.number == 3:
            study.stop()

    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100, callbacks=[stop_at_3])
    assert len(study.trials) == 4
    # The next optimize runs normally.
    study.optimize(lambda t: 0.0, n_trials=2)
    assert len(study.trials) == 6


def test_stop_outside_optimize_raises(make_study: MakeStudy) -> None:
    with pytest.raises(RuntimeError, match="only be called while `optimize` runs"):
        make_study().stop()


def test_nested_optimize_raises(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        study.optimize(lambda t: 0.0, n_trials=1)
        return 0.0

    with pytest.raises(RuntimeError, match="Nested or concurrent `optimize`"):
        study.optimize(objective, n_trials=1)
    (t,) = study.trials
    assert t.state == TrialState.FAIL
    assert "Nested" in t.system_attrs["fail_reason"]
    study.optimize(lambda t: 0.0, n_trials=1)  # the lock was released
    assert study.trials[-1].state == TrialState.COMPLETE


def test_enqueue_accepts_numpy_scalars_as_their_python_values() -> None:
    import numpy as np

    study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"n": np.int64(3), "x": np.float32(0.5), "c": np.str_("b")})

    def objective(trial: hyperdial.Trial) -> float:
        n = trial.suggest_int("n", 0, 5)
        x = trial.suggest_float("x", 0, 1)
        c = trial.suggest_categorical("c", ["a", "b"])
        assert (type(n), type(x), type(c)) == (int, float, str)
        return n + x

    study.optimize(objective, n_trials=1)
    assert study.trials[0].params == {"n": 3, "x": 0.5, "c": "b"}
    assert study.trials[0].state == hyperdial.TrialState.COMPLETE
