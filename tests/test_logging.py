"""hyperdial's logger: one line per finished trial, warnings for failures, the progress bar."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import pytest

import hyperdial
from hyperdial.study import _optimize

MakeStudy = Callable[..., hyperdial.Study]
Records = list[logging.LogRecord]


def messages(records: Records, level: int) -> list[str]:
    return [r.getMessage() for r in records if r.levelno == level]


def test_one_info_line_per_finished_trial(make_study: MakeStudy, hyperdial_log: Records) -> None:
    study = make_study()
    for x in (0.5, 0.2, 0.9):
        study.enqueue_trial({"x": x})
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    lines = [m for m in messages(hyperdial_log, logging.INFO) if "finished" in m]
    best = ["Best is trial 0 with value 0.5.", "Best is trial 1 with value 0.2."]
    assert lines == [
        f"Trial 0 finished with value 0.5 and parameters {{'x': 0.5}}. {best[0]}",
        f"Trial 1 finished with value 0.2 and parameters {{'x': 0.2}}. {best[1]}",
        f"Trial 2 finished with value 0.9 and parameters {{'x': 0.9}}. {best[1]}",
    ]
    assert all(r.name.startswith("hyperdial.") for r in hyperdial_log)


def test_info_line_of_a_maximised_and_a_multi_objective_study(
    make_study: MakeStudy, hyperdial_log: Records
) -> None:
    study = make_study(direction="maximize")
    for v in (1.0, 3.0, 2.0):
        study.tell(study.ask(), v)
    assert messages(hyperdial_log, logging.INFO)[-1].endswith("Best is trial 1 with value 3.0.")
    multi = make_study(directions=["minimize", "maximize"])
    multi.tell(multi.ask(), [1.0, 2.0])
    assert messages(hyperdial_log, logging.INFO)[-1] == (
        "Trial 0 finished with values [1.0, 2.0] and parameters {}."
    )


def test_failures_log_a_warning_with_the_reason(
    make_study: MakeStudy, hyperdial_log: Records
) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> object:
        trial.suggest_int("n", 3, 3)
        if trial.number == 1:
            raise ValueError("no good")
        return None if trial.number == 0 else float("nan")

    study.optimize(objective, n_trials=3, catch=(ValueError,))
    warnings = messages(hyperdial_log, logging.WARNING)
    assert "Trial 0 failed with parameters {'n': 3}: the objective returned None." in warnings
    assert "Trial 2 failed with parameters {'n': 3}: the objective returned NaN." in warnings
    raised = [r for r in hyperdial_log if r.levelno == logging.WARNING and r.exc_info]
    assert len(raised) == 1 and "Trial 1 failed" in raised[0].getMessage()
    assert isinstance(raised[0].exc_info[1], ValueError)  # type: ignore[index]
    assert not [m for m in messages(hyperdial_log, logging.INFO) if "finished" in m]


def test_pruned_trials_are_logged(make_study: MakeStudy, hyperdial_log: Records) -> None:
    study = make_study()
    t = study.ask()
    t.report(1.0, 4)
    study.tell(t, state=hyperdial.TrialState.PRUNED)
    assert messages(hyperdial_log, logging.INFO) == ["Trial 0 pruned at step 4."]


def test_set_verbosity(make_study: MakeStudy, hyperdial_log: Records) -> None:
    hyperdial.logging.set_verbosity(logging.WARNING)
    assert hyperdial.logging.get_verbosity() == logging.WARNING
    study = make_study()
    study.optimize(lambda t: 1.0, n_trials=2)
    study.optimize(lambda t: None, n_trials=1)
    assert [r.levelno for r in hyperdial_log] == [logging.WARNING]
    hyperdial.logging.set_verbosity(logging.ERROR)
    study.optimize(lambda t: None, n_trials=1)
    assert len(hyperdial_log) == 1
    hyperdial.logging.set_verbosity(logging.INFO)
    study.optimize(lambda t: 1.0, n_trials=1)
    assert len(hyperdial_log) == 2 and hyperdial_log[-1].levelno == logging.INFO


def test_default_handler_and_propagation(make_study: MakeStudy) -> None:
    logger = logging.getLogger("hyperdial")
    handlers = list(logger.handlers)
    assert logger.propagate is False  # by default only hyperdial's own handler prints
    try:
        hyperdial.logging.disable_default_handler()
        assert len(logger.handlers) == len(handlers) - 1
        hyperdial.logging.enable_propagation()
        # A handler of our own on the root logger: only propagation can bring records there
        # (caplog may attach its handler to the "hyperdial" logger itself in newer pytest).
        records: list[logging.LogRecord] = []
        sink = logging.Handler()
        sink.emit = records.append  # type: ignore[method-assign]
        root = logging.getLogger()
        root.addHandler(sink)
        try:
            make_study().optimize(lambda t: 2.0, n_trials=1)
        finally:
            root.removeHandler(sink)
        assert [r.getMessage() for r in records] == [
            "Trial 0 finished with value 2.0 and parameters {}. Best is trial 0 with value 2.0."
        ]
    finally:
        hyperdial.logging.disable_propagation()
        hyperdial.logging.enable_default_handler()
        hyperdial.logging.enable_default_handler()  # idempotent
    # Compare as sets: the test runner may hang its own handlers on this logger too.
    assert set(logger.handlers) == set(handlers) and logger.propagate is False


def test_get_logger_names_children_of_hyperdial() -> None:
    assert hyperdial.logging.get_logger("mine").name == "hyperdial.mine"
    assert hyperdial.logging.get_logger("hyperdial.x").name == "hyperdial.x"


# -- progress bar ---------------------------------------------------------------------------------
def test_progress_bar_with_tqdm(make_study: MakeStudy, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    study = make_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, show_progress_bar=True)
    study.optimize(lambda t: 1.0, timeout=0.05, show_progress_bar=True, n_jobs=2)
    err = capsys.readouterr().err
    assert "3/3" in err and "best #" in err
    assert all(t.state == hyperdial.TrialState.COMPLETE for t in study.trials)


def test_progress_bar_without_tqdm_warns_once(
    make_study: MakeStudy, hyperdial_log: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(_optimize, "_tqdm_warned", False)
    study = make_study()
    study.optimize(lambda t: 1.0, n_trials=2, show_progress_bar=True)
    study.optimize(lambda t: 1.0, n_trials=2, show_progress_bar=True)
    notes = [m for m in messages(hyperdial_log, logging.WARNING) if "not installed" in m]
    assert len(notes) == 1 and "tqdm" in notes[0]
    assert len(study.trials) == 4


def test_no_progress_bar_no_tqdm_warning(
    make_study: MakeStudy, hyperdial_log: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(_optimize, "_tqdm_warned", False)
    make_study().optimize(lambda t: 1.0, n_trials=1)
    assert messages(hyperdial_log, logging.WARNING) == []
