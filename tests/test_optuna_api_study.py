"""Optuna's study API: MaxTrialsCallback, copy_study, study summaries, metric names and
``trials_dataframe(attrs=..., multi_index=...)``."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import hyperdial
from hyperdial import TrialState
from hyperdial.distributions import BaseDistribution, FloatDistribution
from hyperdial.exceptions import DuplicatedStudyError
from hyperdial.storages import BaseStorage, InMemoryStorage, RDBStorage
from hyperdial.study import MaxTrialsCallback, StudySummary, get_all_study_summaries
from hyperdial.trial import create_trial

MakeStudy = Callable[..., hyperdial.Study]


def _x(trial: hyperdial.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def test_new_names_are_exported_like_optuna() -> None:
    for name in ("copy_study", "get_all_study_summaries", "create_trial"):
        assert name in hyperdial.__all__ and hasattr(hyperdial, name)
    for name in ("MaxTrialsCallback", "StudySummary", "copy_study", "get_all_study_summaries"):
        assert name in hyperdial.study.__all__ and hasattr(hyperdial.study, name)


# -- MaxTrialsCallback ---------------------------------------------------------------------------
def test_max_trials_callback_counts_trials_of_every_call(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(_x, n_trials=3)
    study.optimize(_x, n_trials=50, callbacks=[MaxTrialsCallback(7)])
    assert len(study.trials) == 7


def test_max_trials_callback_counts_only_the_given_states(make_study: MakeStudy) -> None:
    def objective(trial: hyperdial.Trial) -> float:
        x = _x(trial)
        if trial.number % 2 == 0:
            raise hyperdial.TrialPruned
        return x

    study = make_study()
    study.optimize(objective, n_trials=50, callbacks=[MaxTrialsCallback(3)])
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 3 and len(states) == 6

    every = make_study()
    every.optimize(objective, n_trials=50, callbacks=[MaxTrialsCallback(3, states=None)])
    assert len(every.trials) == 3


def test_max_trials_callback_rejects_a_non_integer() -> None:
    with pytest.raises(TypeError, match="n_trials"):
        MaxTrialsCallback(2.5)  # type: ignore[arg-type]


# -- copy_study ----------------------------------------------------------------------------------
def _filled_study(storage: BaseStorage, multi: bool = False) -> hyperdial.Study:
    """Two COMPLETE trials, a FAIL, a WAITING one taken up and left RUNNING."""
    directions = ["minimize", "maximize"] if multi else ["minimize"]
    study = hyperdial.create_study(study_name="src", storage=storage, directions=directions)
    study.set_user_attr("u", [1, 2])
    study.set_metric_names(["loss", "acc"] if multi else ["loss"])
    for i in range(3):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        if not multi:
            trial.report(x, 0)  # (report is for single-objective studies)
        trial.set_user_attr("i", i)
        values = [x, -x] if multi else x
        study.tell(trial, values if i < 2 else None, state=None if i < 2 else TrialState.FAIL)
    study.enqueue_trial({"x": 0.5})
    study.ask()  # left RUNNING
    return study


def _same_trials(a: hyperdial.Study, b: hyperdial.Study) -> None:
    ta, tb = a.trials, b.trials
    assert len(ta) == len(tb) == 4
    for x, y in zip(ta, tb, strict=True):
        assert (x.number, x.state, x.values, x.params) == (y.number, y.state, y.values, y.params)
        assert x.distributions == y.distributions
        assert x.intermediate_values == y.intermediate_values
        assert x.user_attrs == y.user_attrs
        assert x.datetime_start == y.datetime_start
        assert x.datetime_complete == y.datetime_complete


def test_copy_study_copies_directions_attributes_and_every_trial() -> None:
    src, dst = InMemoryStorage(), InMemoryStorage()
    study = _filled_study(src)
    hyperdial.copy_study(from_study_name="src", from_storage=src, to_storage=dst)
    copy = hyperdial.load_study(study_name="src", storage=dst)
    assert copy.directions == study.directions
    assert copy.user_attrs == {"u": [1, 2]} and copy.metric_names == ["loss"]
    assert copy.trials[0].intermediate_values == {0: copy.trials[0].params["x"]}
    _same_trials(study, copy)
    assert copy.trials[3].state == TrialState.RUNNING


def test_copy_study_between_sqlite_and_memory_with_a_new_name(tmp_path: Path) -> None:
    rdb = RDBStorage(f"sqlite:///{tmp_path / 'a.db'}")
    study = _filled_study(rdb, multi=True)
    memory = InMemoryStorage()
    hyperdial.copy_study(
        from_study_name="src", from_storage=rdb, to_storage=memory, to_study_name="dst"
    )
    _same_trials(study, hyperdial.load_study(study_name="dst", storage=memory))


def test_copy_study_refuses_an_existing_name_and_a_missing_source() -> None:
    src, dst = InMemoryStorage(), InMemoryStorage()
    hyperdial.create_study(study_name="src", storage=src)
    hyperdial.create_study(study_name="src", storage=dst)
    with pytest.raises(DuplicatedStudyError):
        hyperdial.copy_study(from_study_name="src", from_storage=src, to_storage=dst)
    with pytest.raises(KeyError):
        hyperdial.copy_study(from_study_name="nope", from_storage=src, to_storage=dst)


# -- get_all_study_summaries ---------------------------------------------------------------------
def test_study_summaries_describe_every_study() -> None:
    storage = InMemoryStorage()
    single = hyperdial.create_study(study_name="one", storage=storage, direction="maximize")
    single.set_user_attr("k", "v")
    dists: dict[str, BaseDistribution] = {"x": FloatDistribution(0, 1)}
    for v in (1.0, 3.0, 3.0, 2.0):
        single.add_trial(create_trial(params={"x": v / 4}, distributions=dists, value=v))
    # Infeasible trials are never the best, as for Study.best_trial.
    single.add_trial(create_trial(value=9.0, constraints={"c": 1.0}))
    _filled_study(storage, multi=True)
    hyperdial.create_study(study_name="empty", storage=storage)

    summaries = get_all_study_summaries(storage)
    by_name = {s.study_name: s for s in summaries}
    assert sorted(by_name) == ["empty", "one", "src"]
    one = by_name["one"]
    assert isinstance(one, StudySummary)
    assert one.direction == hyperdial.StudyDirection.MAXIMIZE
    assert one.n_trials == 5 and one.user_attrs == {"k": "v"}
    assert one.best_trial is not None and one.best_trial.number == 1
    assert one.best_trial.value == 3.0
    assert one.datetime_start == min(t.datetime_start for t in single.trials)  # type: ignore[type-var]
    assert one.study_id == single._study_id

    multi = by_name["src"]
    assert multi.best_trial is None and multi.n_trials == 4
    assert len(multi.directions) == 2 and multi.system_attrs["study:metric_names"] == [
        "loss",
        "acc",
    ]
    with pytest.raises(RuntimeError, match="directions"):
        _ = multi.direction
    empty = by_name["empty"]
    assert (empty.best_trial, empty.n_trials, empty.datetime_start) == (None, 0, None)

    assert get_all_study_summaries(storage, include_best_trial=False)[0].best_trial is None
    assert sorted(summaries, reverse=True)[0].study_id == max(s.study_id for s in summaries)


# -- metric names --------------------------------------------------------------------------------
def test_metric_names_are_stored_with_the_study(make_study: MakeStudy) -> None:
    study = make_study(directions=["minimize", "maximize"])
    assert study.metric_names is None
    study.set_metric_names(["loss", "acc"])
    assert study.metric_names == ["loss", "acc"]
    again = hyperdial.load_study(study_name=study.study_name, storage=study._storage)
    assert again.metric_names == ["loss", "acc"]


@pytest.mark.parametrize(
    ("names", "error"),
    [(["a"], ValueError), (["a", "b", "c"], ValueError), (["a", "a"], ValueError)],
)
def test_metric_names_need_one_distinct_name_per_objective(
    make_study: MakeStudy, names: list[str], error: type[Exception]
) -> None:
    study = make_study(directions=["minimize", "maximize"])
    with pytest.raises(error, match="metric_names"):
        study.set_metric_names(names)
    with pytest.raises(TypeError, match="metric_names"):
        study.set_metric_names(["a", 1])  # type: ignore[list-item]
    assert study.metric_names is None


# -- trials_dataframe ----------------------------------------------------------------------------
def test_dataframe_attrs_choose_and_order_the_columns(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        a = trial.suggest_int("a", 0, 3)
        trial.report(x, 0)
        trial.report(2 * x, 3)
        return x + a

    study.optimize(objective, n_trials=3)
    df = study.trials_dataframe(attrs=("state", "params", "_trial_id", "intermediate_values"))
    assert list(df.columns) == [
        "state",
        "params_a",
        "params_x",
        "trial_id",
        "intermediate_values_0",
        "intermediate_values_3",
    ]
    assert df["state"].tolist() == ["COMPLETE"] * 3
    assert df["params_x"].tolist() == [t.params["x"] for t in study.trials]
    multi = study.trials_dataframe(attrs=("number", "intermediate_values"), multi_index=True)
    assert list(multi.columns) == [
        ("number", ""),
        ("intermediate_values", 0),
        ("intermediate_values", 3),
    ]


def test_dataframe_default_columns_follow_optuna(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study()
    study.optimize(_x, n_trials=2)
    assert list(study.trials_dataframe().columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "state",
    ]


def test_dataframe_names_values_by_metric_names(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study(directions=["minimize", "maximize"])
    study.tell(study.ask(), [1.0, 2.0])
    study.tell(study.ask(), None, state=TrialState.FAIL)
    df = study.trials_dataframe(attrs=("number", "value"))
    assert list(df.columns) == ["number", "values_0", "values_1"]
    study.set_metric_names(["zeta", "alpha"])  # the user's order, not sorted
    df = study.trials_dataframe(attrs=("number", "values"), multi_index=True)
    assert list(df.columns) == [("number", ""), ("values", "zeta"), ("values", "alpha")]
    assert df[("values", "zeta")].tolist()[0] == 1.0
    assert math.isnan(df[("values", "alpha")].tolist()[1])


def test_dataframe_names_a_single_value_by_its_metric_name(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study()
    study.set_metric_names(["loss"])
    study.optimize(_x, n_trials=1)
    assert list(study.trials_dataframe(attrs=("value",)).columns) == ["value_loss"]


def test_dataframe_rejects_unknown_attrs(make_study: MakeStudy) -> None:
    pytest.importorskip("pandas")
    study = make_study()
    study.optimize(_x, n_trials=1)
    with pytest.raises(ValueError, match="'parms'"):
        study.trials_dataframe(attrs=("parms",))
    with pytest.raises(TypeError, match="attrs"):
        study.trials_dataframe(attrs="params")  # type: ignore[arg-type]


def test_import_hyperdial_does_not_load_the_new_study_modules() -> None:
    code = (
        "import sys, hyperdial; print(sorted(m for m in sys.modules if m in ("
        "'hyperdial.study._summary', 'hyperdial.study._callbacks', "
        "'hyperdial.study._dataframe', 'hyperdial.search_space')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
