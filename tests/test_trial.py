"""Trial (live), FrozenTrial (record) and FixedTrial."""

from __future__ import annotations

import copy
import datetime
import math
from collections.abc import Callable
from typing import Any

import pytest

import hyperdial
from hyperdial import FixedTrial, TrialPruned, TrialState
from hyperdial.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hyperdial.pruners import BasePruner, NopPruner
from hyperdial.trial import FrozenTrial

MakeStudy = Callable[..., hyperdial.Study]
NAN = float("nan")


# -- suggestions ---------------------------------------------------------------------------------
def test_suggestions_have_the_right_type_and_range(make_study: MakeStudy) -> None:
    study = make_study()
    for _ in range(30):
        t = study.ask()
        x = t.suggest_float("x", -2.0, 3.0)
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        q = t.suggest_float("q", 0.0, 1.0, step=0.25)
        n = t.suggest_int("n", -3, 7)
        k = t.suggest_int("k", 1, 1000, log=True)
        s = t.suggest_int("s", 0, 10, step=5)
        c = t.suggest_categorical("c", ["a", "b", None])
        assert type(x) is float and -2.0 <= x <= 3.0
        assert type(lr) is float and 1e-5 <= lr <= 1e-1
        assert q in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert type(n) is int and -3 <= n <= 7
        assert type(k) is int and 1 <= k <= 1000
        assert s in (0, 5, 10) and type(s) is int
        assert c in ("a", "b", None)
        study.tell(t, 0.0)


def test_single_valued_distribution_returns_its_value(make_study: MakeStudy) -> None:
    t = make_study().ask()
    assert t.suggest_float("x", 2.5, 2.5) == 2.5
    assert t.suggest_int("n", 4, 4) == 4
    assert t.suggest_categorical("c", ["only"]) == "only"


def test_same_name_twice_returns_the_same_value(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    values = (
        t.suggest_float("x", 0.0, 1.0),
        t.suggest_int("n", 0, 10**6),
        t.suggest_categorical("c", list(range(50))),
    )
    for _ in range(3):
        assert t.suggest_float("x", 0.0, 1.0) == values[0]
        assert t.suggest_int("n", 0, 10**6) == values[1]
        assert t.suggest_categorical("c", list(range(50))) == values[2]
    assert t.params == {"x": values[0], "n": values[1], "c": values[2]}
    frozen = study.tell(t, 1.0)
    assert frozen.params == t.params


@pytest.mark.parametrize(
    "second",
    [
        lambda t: t.suggest_float("x", 0.0, 2.0),
        lambda t: t.suggest_float("x", 0.5, 1.0, log=True),
        lambda t: t.suggest_float("x", 0.0, 1.0, step=0.5),
        lambda t: t.suggest_int("x", 0, 1),
        lambda t: t.suggest_categorical("x", [0.0, 1.0]),
    ],
)
def test_same_name_with_another_distribution_raises(
    make_study: MakeStudy, second: Callable[[Any], Any]
) -> None:
    t = make_study().ask()
    first = t.suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match=r"'x' was already suggested"):
        second(t)
    assert t.params == {"x": first}
    assert t.distributions == {"x": FloatDistribution(0.0, 1.0)}


def test_categorical_with_equal_looking_choices_is_another_distribution(
    make_study: MakeStudy,
) -> None:
    t = make_study().ask()
    t.suggest_categorical("c", [1, 2])
    with pytest.raises(ValueError, match="'c' was already suggested"):
        t.suggest_categorical("c", [True, 2])


@pytest.mark.parametrize(
    ("suggest", "match"),
    [
        (lambda t: t.suggest_float("lr", 1.0, 0.0), r"Parameter 'lr': `low` <= `high`"),
        (lambda t: t.suggest_float("lr", 0.0, 1.0, log=True), r"Parameter 'lr': `low` must be >"),
        (lambda t: t.suggest_float("lr", 0.0, math.inf), r"Parameter 'lr': `high` must be finite"),
        (
            lambda t: t.suggest_float("lr", 0.0, 1.0, step=2.0),
            r"Parameter 'lr': `step` must be <=",
        ),
        (lambda t: t.suggest_int("n", 0, 9, log=True), r"Parameter 'n': `low` must be >= 1"),
        (lambda t: t.suggest_int("n", 0, 9, step=0), r"Parameter 'n': `step` must be a positive"),
        (lambda t: t.suggest_int("n", 0.5, 9), r"Parameter 'n': `low` must be an integer"),
        (lambda t: t.suggest_categorical("c", []), r"Parameter 'c': `choices` must contain"),
        (lambda t: t.suggest_categorical("c", "ab"), r"Parameter 'c': `choices` must be a seq"),
        (lambda t: t.suggest_categorical("c", [(1,)]), r"Parameter 'c': `choices` may only hold"),
        (lambda t: t.suggest_categorical("c", [[1]]), r"Parameter 'c': `choices` must be hash"),
        (lambda t: t.suggest_categorical("c", [1, 1]), r"Parameter 'c': `choices` must be dist"),
    ],
)
def test_invalid_suggestion_names_the_parameter(
    make_study: MakeStudy, suggest: Callable[[Any], Any], match: str
) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(ValueError, match=match):
        suggest(t)
    assert t.params == {}
    assert study.trials[0].params == {}


def test_a_step_not_dividing_the_range_warns_and_snaps(make_study: MakeStudy) -> None:
    study = make_study()
    for _ in range(10):
        t = study.ask()
        with pytest.warns(UserWarning, match=r"not divisible by step=0\.3.*replaced by 0\.9"):
            q = t.suggest_float("q", 0.0, 1.0, step=0.3)
        with pytest.warns(UserWarning, match=r"not divisible by step=4.*replaced by 8"):
            n = t.suggest_int("n", 0, 10, step=4)
        assert min(abs(q - g) for g in (0.0, 0.3, 0.6, 0.9)) < 1e-12
        assert n in (0, 4, 8)
        assert t.distributions["q"].high == pytest.approx(0.9)
        study.tell(t, q)


def test_the_snapping_warning_points_at_the_objective(make_study: MakeStudy) -> None:
    with pytest.warns(UserWarning, match="not divisible") as record:
        make_study().ask().suggest_int("n", 0, 10, step=3)
    assert record[0].filename == __file__


def test_parameter_name_must_be_a_string(make_study: MakeStudy) -> None:
    t = make_study().ask()
    with pytest.raises(TypeError, match="parameter name must be a str"):
        t.suggest_float(1, 0.0, 1.0)  # type: ignore[arg-type]


# -- categorical identity ------------------------------------------------------------------------
CHOICES: list[Any] = [1, True, 1.0]


def _identity_run(study: hyperdial.Study, n_trials: int) -> list[Any]:
    received: list[Any] = []

    def objective(trial: hyperdial.Trial) -> float:
        c = trial.suggest_categorical("c", CHOICES)
        received.append(c)
        return 0.0

    study.optimize(objective, n_trials=n_trials)
    return received


def test_categorical_identity_with_enqueued_choices(make_study: MakeStudy) -> None:
    study = make_study()
    forced = [CHOICES[i % 3] for i in range(30)]
    for c in forced:
        study.enqueue_trial({"c": c})
    received = _identity_run(study, len(forced))
    trials = study.trials
    assert len(trials) == len(forced) == len(received)
    for want, got, frozen in zip(forced, received, trials, strict=True):
        assert type(got) is type(want) and got == want
        stored = frozen.params["c"]
        assert type(stored) is type(want) and stored == want
        assert frozen.distributions["c"] == CategoricalDistribution(CHOICES)


def test_categorical_identity_with_sampled_choices(make_study: MakeStudy) -> None:
    study = make_study()
    received = _identity_run(study, 60)
    assert {type(c) for c in received} == {int, bool, float}  # every choice was drawn
    for got, frozen in zip(received, study.trials, strict=True):
        stored = frozen.params["c"]
        assert type(stored) is type(got) and stored == got
    assert type(study.trials[0].params["c"]) is type(
        study.get_trials(deepcopy=False)[0].params["c"]
    )


# -- report and prune ----------------------------------------------------------------------------
class PruneAfterStep2(BasePruner):
    def prune(self, study: hyperdial.Study, trial: FrozenTrial) -> bool:
        return trial.last_step is not None and trial.last_step >= 2


def test_nop_pruner_never_prunes(make_study: MakeStudy) -> None:
    study = make_study(pruner=NopPruner())
    t = study.ask()
    for step in range(5):
        t.report(1.0 / (step + 1), step)
        assert t.should_prune() is False
    assert study.tell(t, 0.1).state == TrialState.COMPLETE


@pytest.mark.parametrize(
    ("reported", "expected_value"),
    [([3.0, 2.0, 1.0, 0.5], 1.0), ([5.0, 4.0, NAN, 0.5], 4.0)],
)
def test_custom_pruner_prunes_with_the_last_finite_value(
    make_study: MakeStudy, reported: list[float], expected_value: float
) -> None:
    study = make_study(pruner=PruneAfterStep2())
    seen: list[int] = []

    def objective(trial: hyperdial.Trial) -> float:
        for step, v in enumerate(reported):
            trial.report(v, step)
            seen.append(step)
            if trial.should_prune():
                raise TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=1)
    (frozen,) = study.trials
    assert seen == [0, 1, 2]
    assert frozen.state == TrialState.PRUNED
    assert frozen.value == expected_value
    assert len(frozen.intermediate_values) == 3
    assert frozen.intermediate_values[0] == reported[0]
    assert frozen.datetime_complete is not None


def test_pruned_without_finite_reports_has_no_value(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    t.report(NAN, 0)
    frozen = study.tell(t, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED and frozen.values is None


def test_report_same_step_twice_warns_and_keeps_the_first(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    t.report(1.5, 3)
    with pytest.warns(UserWarning, match="already reported a value at step 3"):
        t.report(9.0, 3)
    t.report(2.0, 4)
    frozen = study.tell(t, 0.0)
    assert frozen.intermediate_values == {3: 1.5, 4: 2.0}


@pytest.mark.parametrize("step", [-1, 1.5, True, "2", None])
def test_report_rejects_a_bad_step(make_study: MakeStudy, step: Any) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(ValueError, match="`step` must be a non-negative integer"):
        t.report(1.0, step)
    assert study.trials[0].intermediate_values == {}


@pytest.mark.parametrize("value", ["1.0", None, [1.0]])
def test_report_rejects_a_non_number(make_study: MakeStudy, value: Any) -> None:
    t = make_study().ask()
    with pytest.raises(TypeError, match="`value` must be a real number"):
        t.report(value, 0)


def test_report_rejects_a_number_beyond_float64(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(ValueError, match=r"`value` must fit in a float, got .*2\*\*1329"):
        t.report(10**400, 0)
    assert study.trials[0].intermediate_values == {}


def test_report_accepts_numpy_scalars_and_infinities(make_study: MakeStudy) -> None:
    np = pytest.importorskip("numpy")
    study = make_study()
    t = study.ask()
    t.report(np.float32(0.5), 0)
    t.report(np.array(2.0), 1)
    t.report(-math.inf, 2)
    assert study.tell(t, 0.0).intermediate_values == {0: 0.5, 1: 2.0, 2: -math.inf}


def test_report_in_multi_objective_study_takes_one_number_per_objective(
    make_study: MakeStudy,
) -> None:
    study = make_study(directions=["minimize", "maximize"])
    t = study.ask()
    with pytest.raises(TypeError, match="sequence of 2 numbers"):
        t.report(1.0, 0)
    t.report([1.0, 2.0], 0)  # tests/test_pruners_multi_objective.py covers the rest
    assert t.should_prune() is False  # the default NopPruner


# -- attributes and constraints ------------------------------------------------------------------
def test_user_attrs_round_trip(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    value = {"layers": [64, 32], "name": "net", "ok": True, "none": None, "lr": 0.5}
    t.set_user_attr("model", value)
    t.set_user_attr("n", 3)
    t.set_user_attr("n", 4)  # overwriting is allowed while running
    assert t.user_attrs == {"model": value, "n": 4}
    frozen = study.tell(t, 1.0)
    assert frozen.user_attrs == {"model": value, "n": 4}
    assert study.trials[0].user_attrs == {"model": value, "n": 4}


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", {"k": object()}])
def test_user_attr_must_be_json(make_study: MakeStudy, value: Any) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(TypeError, match=r"User attribute 'key'.*JSON-serialisable"):
        t.set_user_attr("key", value)
    assert study.trials[0].user_attrs == {}


def test_user_attr_key_must_be_a_string(make_study: MakeStudy) -> None:
    t = make_study().ask()
    with pytest.raises(TypeError, match="keys must be str"):
        t.set_user_attr(1, "x")  # type: ignore[arg-type]


def test_constraints_are_stored(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    t.set_constraint("memory", 0.5)
    t.set_constraint("latency", -2)
    t.set_constraint("memory", -1.0)  # the last value counts
    frozen = study.tell(t, 1.0)
    assert frozen.constraints == {"memory": -1.0, "latency": -2.0}
    assert frozen.system_attrs["constraints"] == {"memory": -1.0, "latency": -2.0}
    assert frozen.is_feasible()


def test_constraint_nan_is_a_value_error(make_study: MakeStudy) -> None:
    t = make_study().ask()
    with pytest.raises(ValueError, match="Constraint 'c' must not be NaN"):
        t.set_constraint("c", NAN)


@pytest.mark.parametrize("value", ["1.0", None, True, [0.0]])
def test_constraint_must_be_a_number(make_study: MakeStudy, value: Any) -> None:
    t = make_study().ask()
    with pytest.raises(TypeError, match="Constraint 'c' must be a real number"):
        t.set_constraint("c", value)


def test_constraint_beyond_float64_is_a_value_error(make_study: MakeStudy) -> None:
    study = make_study()
    t = study.ask()
    with pytest.raises(ValueError, match=r"Constraint 'c' must fit in a float"):
        t.set_constraint("c", -(10**400))
    assert study.trials[0].constraints == {}
    with pytest.raises(ValueError, match=r"Constraint 'c' must fit in a float"):
        FixedTrial({}).set_constraint("c", 10**400)
    with pytest.raises(ValueError, match=r"`value` must fit in a float"):
        FixedTrial({}).report(10**400, 0)


# -- number, params, times -----------------------------------------------------------------------
def test_number_params_distributions_and_times(make_study: MakeStudy) -> None:
    study = make_study()
    before = datetime.datetime.now(datetime.timezone.utc)
    trials = [study.ask() for _ in range(3)]
    assert [t.number for t in trials] == [0, 1, 2]
    t = trials[1]
    x = t.suggest_float("x", 0.0, 1.0)
    n = t.suggest_int("n", 1, 3)
    assert t.params == {"x": x, "n": n}
    assert t.distributions == {"x": FloatDistribution(0.0, 1.0), "n": IntDistribution(1, 3)}
    start = t.datetime_start
    assert start is not None and start.tzinfo is not None
    assert start.utcoffset() == datetime.timedelta(0)
    assert before <= start <= datetime.datetime.now(datetime.timezone.utc)
    assert t.datetime_complete is None
    frozen = study.tell(t, 2.0)
    after = datetime.datetime.now(datetime.timezone.utc)
    assert frozen.number == 1 and frozen.value == 2.0 and frozen.values == [2.0]
    assert frozen.params == {"x": x, "n": n}
    assert frozen.distributions == t.distributions
    assert frozen.datetime_start == start
    assert frozen.datetime_complete is not None
    assert start <= frozen.datetime_complete <= after
    assert frozen.datetime_complete.utcoffset() == datetime.timedelta(0)
    assert frozen.duration == frozen.datetime_complete - start
    assert t.datetime_complete == frozen.datetime_complete
    running = study.trials[2]
    assert running.state == TrialState.RUNNING and running.datetime_complete is None


def test_trial_from_optimize_records_params_as_suggested(make_study: MakeStudy) -> None:
    study = make_study()
    got: list[dict[str, Any]] = []

    def objective(trial: hyperdial.Trial) -> float:
        trial.suggest_float("a", 0.0, 1.0)
        trial.suggest_categorical("b", ["u", "v"])
        got.append(trial.params)
        return 1.0

    study.optimize(objective, n_trials=5)
    assert [t.params for t in study.trials] == got


class _StampingSampler(hyperdial.samplers.RandomSampler):
    """Writes a system attribute in ``before_trial`` (as samplers that reserve work do)."""

    def before_trial(self, study: hyperdial.Study, trial: FrozenTrial) -> None:
        study._storage.set_trial_system_attr(trial._trial_id, "stamp", trial.number)


def test_the_trial_sees_what_before_trial_wrote(make_study: MakeStudy) -> None:
    study = make_study(sampler=_StampingSampler(seed=0))
    trial = study.ask()
    assert trial.system_attrs["stamp"] == trial.number
    trial.suggest_float("x", 0.0, 1.0)
    assert trial.system_attrs["stamp"] == trial.number  # kept by later suggestions


def test_frozen_trial_deepcopy_shares_nothing_mutable() -> None:
    dist = CategoricalDistribution([1, True, "a"])
    t = FrozenTrial(
        number=3,
        state=TrialState.COMPLETE,
        values=[1.0, 2.0],
        params={"c": True, "x": 0.5},
        distributions={"c": dist, "x": FloatDistribution(0, 1)},
        user_attrs={"flat": 1, "nested": {"k": [1, 2]}},
        system_attrs={"s": "v"},
        intermediate_values={0: 1.5, 3: -2.0},
        trial_id=7,
    )
    t.params["odd"] = [1, 2]  # not a valid parameter value, but deepcopy must still copy it
    c = copy.deepcopy(t)
    assert c == t and c is not t
    for attr in ("params", "distributions", "user_attrs", "system_attrs", "intermediate_values"):
        assert getattr(c, attr) is not getattr(t, attr), attr
    assert c.values is not t.values
    assert c.user_attrs["nested"] is not t.user_attrs["nested"]
    assert c.user_attrs["nested"]["k"] is not t.user_attrs["nested"]["k"]
    assert c.params["odd"] is not t.params["odd"]
    assert c.distributions["c"] is dist  # immutable: shared
    c.user_attrs["nested"]["k"].append(3)
    c.params["odd"].append(3)
    assert c.values is not None
    c.values[0] = 0.0
    c.intermediate_values[0] = 0.0
    assert t.user_attrs["nested"]["k"] == [1, 2] and t.params["odd"] == [1, 2]
    assert t.values == [1.0, 2.0] and t.intermediate_values[0] == 1.5


def test_frozen_trial_copy_is_shallow() -> None:
    t = FrozenTrial(number=1, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)})
    c = copy.copy(t)
    assert c == t and c is not t and c.params is t.params


# -- FixedTrial ----------------------------------------------------------------------------------
def _objective(trial: hyperdial.trial.BaseTrial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 5)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    return x**2 + n + (0.5 if act == "tanh" else 0.0)


def test_fixed_trial_runs_an_objective() -> None:
    t = FixedTrial({"x": 3, "n": 2.0, "act": "tanh"}, number=7)
    assert _objective(t) == 11.5
    assert t.params == {"x": 3.0, "n": 2, "act": "tanh"}
    assert type(t.params["x"]) is float and type(t.params["n"]) is int
    assert t.number == 7
    assert t.distributions["act"] == CategoricalDistribution(["relu", "tanh"])
    assert t.datetime_start is not None and t.datetime_start.tzinfo is not None
    assert t.suggest_float("x", -10.0, 10.0) == 3.0


def test_fixed_trial_missing_parameter() -> None:
    with pytest.raises(ValueError, match=r"no value for parameter 'act'.*\['n', 'x'\]"):
        _objective(FixedTrial({"x": 0.0, "n": 1}))


@pytest.mark.parametrize(
    "params",
    [
        {"x": 11.0, "n": 1, "act": "relu"},
        {"x": 0.0, "n": 0, "act": "relu"},
        {"x": 0.0, "n": 1.5, "act": "relu"},
        {"x": 0.0, "n": 1, "act": "gelu"},
        {"x": "0", "n": 1, "act": "relu"},
        {"x": NAN, "n": 1, "act": "relu"},
    ],
)
def test_fixed_trial_value_outside_the_distribution(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"Parameter '(x|n|act)'"):
        _objective(FixedTrial(params))


def test_fixed_trial_step_grid_is_checked() -> None:
    t = FixedTrial({"q": 0.3})
    with pytest.raises(ValueError, match="Parameter 'q'"):
        t.suggest_float("q", 0.0, 1.0, step=0.25)
    assert FixedTrial({"q": 0.75}).suggest_float("q", 0.0, 1.0, step=0.25) == 0.75


@pytest.mark.parametrize("choice", CHOICES)
def test_fixed_trial_categorical_identity(choice: Any) -> None:
    got = FixedTrial({"c": choice}).suggest_categorical("c", CHOICES)
    assert type(got) is type(choice) and got == choice


def test_fixed_trial_rejects_a_look_alike_choice() -> None:
    with pytest.raises(ValueError, match="Parameter 'c'"):
        FixedTrial({"c": True}).suggest_categorical("c", [1, 1.0])


def test_fixed_trial_same_name_with_another_distribution() -> None:
    t = FixedTrial({"x": 0.5})
    t.suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="'x' was already suggested"):
        t.suggest_float("x", 0.0, 2.0)


def test_fixed_trial_report_attrs_and_constraints() -> None:
    t = FixedTrial({})
    t.report(1.0, 0)
    t.report(2.0, 0)  # the first value is kept
    assert t.intermediate_values == {0: 1.0}
    assert t.should_prune() is False
    with pytest.raises(ValueError, match="`step`"):
        t.report(1.0, -1)
    t.set_user_attr("k", [1, 2])
    assert t.user_attrs == {"k": [1, 2]}
    with pytest.raises(TypeError, match="JSON"):
        t.set_user_attr("bad", object())
    t.set_constraint("c", 0.0)
    assert t.constraints == {"c": 0.0}
    with pytest.raises(ValueError, match="NaN"):
        t.set_constraint("c", NAN)
    with pytest.raises(TypeError, match="real number"):
        t.set_constraint("c", "0")


# -- system attributes ---------------------------------------------------------------------------
def test_system_attribute_keys_are_distinct_and_documented() -> None:
    from hyperdial.trial import _system_attrs

    keys = {name: getattr(_system_attrs, name) for name in _system_attrs.__all__}
    assert len(set(keys.values())) == len(keys)  # no two constants share a spelling
    doc = " ".join((_system_attrs.__doc__ or "").split())
    for name, key in keys.items():
        assert f'``"{key}"`` (:data:`{name}`)' in doc, name


def test_system_attribute_keys_written_by_hyperdial_use_the_shared_spelling(
    make_study: MakeStudy,
) -> None:
    from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, FAIL_REASON_KEY, FIXED_PARAMS_KEY

    study = make_study()
    study.enqueue_trial({"x": 0.5})
    t = study.ask()
    assert study._storage.get_trial(t._trial_id).system_attrs[FIXED_PARAMS_KEY] == {"x": 0.5}
    t.set_constraint("c", 1.0)
    assert study._storage.get_trial(t._trial_id).system_attrs[CONSTRAINTS_KEY] == {"c": 1.0}

    def fails(trial: hyperdial.Trial) -> float:
        raise RuntimeError("boom")

    study.optimize(fails, n_trials=1, catch=(RuntimeError,))
    assert "boom" in study.trials[-1].system_attrs[FAIL_REASON_KEY]
