"""Fault injection for RDBStorage: every SQL statement of every operation fails once.

An SQLAlchemy ``before_cursor_execute`` hook counts the statements an operation sends and
raises a driver error at the k-th, for every k. After each fault:

* a hard error (a disk I/O error) reaches the caller as a hyperdial error, and the database
  holds the study as it was before the operation or as it is after it: nothing stored is
  lost or half-written (each transaction rolls back as a whole). An operation of several
  transactions may also stop between two of them, in a state listed in ``BETWEEN``;
* the storage object that saw the fault reads what a fresh one reads (its cache is not ahead
  of or behind the database), and the operation succeeds when run again;
* a transient error (``database is locked``) is retried and the operation is applied exactly
  once (no duplicate trial, no lost write);
* ``optimize`` leaves no trial RUNNING.

Operations use parameters with a single value, so a run with faults and the clean run record
the same values.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the faults are injected into SQLAlchemy")

from sqlalchemy import event

import hyperdial
from hyperdial.distributions import FloatDistribution
from hyperdial.exceptions import HyperdialError
from hyperdial.samplers import RandomSampler
from hyperdial.storages import RDBStorage
from hyperdial.trial import FrozenTrial, TrialState


class Faults:
    """Counts the statements an engine sends; raises ``error`` at statement ``fail_at``."""

    def __init__(self, storage: RDBStorage) -> None:
        self.count = 0
        self.fail_at: int | None = None
        self.error: BaseException | None = None
        event.listen(storage.engine, "before_cursor_execute", self._before)

    def _before(self, *args: Any) -> None:
        self.count += 1
        if self.count == self.fail_at:
            assert self.error is not None
            raise self.error

    def arm(self, fail_at: int | None, error: BaseException | None = None) -> None:
        self.count = 0
        self.fail_at = fail_at
        self.error = error


class Case:
    """A study with some history, the objects an operation needs, and the fault hook."""

    def __init__(self, path: Path, name: str) -> None:
        self.url = f"sqlite:///{path}"
        self.storage = RDBStorage(self.url, max_retries=3)
        self.study = hyperdial.create_study(
            storage=self.storage, study_name="s", sampler=RandomSampler(seed=0)
        )
        self.study.optimize(_objective, n_trials=2)
        self.study.set_user_attr("owner", "me")
        self.live = self.study.ask()
        self.live.suggest_float("x", 0.25, 0.25)
        if name == "ask_enqueued":
            self.study.enqueue_trial({"x": 0.25})
        self.faults = Faults(self.storage)


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", 0.25, 0.25)
    trial.report(x, 1)
    trial.set_user_attr("seen", [x])
    return x


def _added() -> FrozenTrial:
    return FrozenTrial(
        state=TrialState.COMPLETE,
        values=[1.0],
        params={"x": 0.25, "y": "b"},
        distributions={
            "x": FloatDistribution(0.25, 0.25),
            "y": hyperdial.distributions.CategoricalDistribution(["a", "b"]),
        },
        user_attrs={"k": [1, None]},
        intermediate_values={0: 2.0, 5: 1.5},
    )


OPERATIONS: dict[str, Callable[[Case], Any]] = {
    "ask": lambda c: c.study.ask(),
    "ask_enqueued": lambda c: c.study.ask(),  # pops the trial Case enqueued
    "suggest": lambda c: c.live.suggest_float("y", 0.5, 0.5),
    "report": lambda c: c.live.report(0.5, 3),
    "user_attr": lambda c: c.live.set_user_attr("k", [1, "a"]),
    "constraint": lambda c: c.live.set_constraint("c", -1.0),
    "tell": lambda c: c.study.tell(c.live, 0.25),
    "tell_fail": lambda c: c.study.tell(c.live, state=TrialState.FAIL),
    "tell_nan": lambda c: c.study.tell(c.live, float("nan")),
    "enqueue": lambda c: c.study.enqueue_trial({"x": 0.25}, user_attrs={"u": 1}),
    "add_trial": lambda c: c.study.add_trial(_added()),
    "study_attr": lambda c: c.study.set_user_attr("k", {"a": 1}),
    "create_study": lambda c: hyperdial.create_study(storage=c.storage, study_name="other"),
    "delete_study": lambda c: hyperdial.delete_study(study_name="s", storage=c.storage),
    "optimize": lambda c: c.study.optimize(_objective, n_trials=1),
}


# Operations of several transactions, and the states between them a fault may leave. Each is a
# state the operation, run again, completes.
BETWEEN: dict[str, Callable[[Case], Any]] = {
    # ``tell`` of an invalid value records the reason, then the FAIL state (the storage has no
    # write that does both); a fault between leaves the trial RUNNING with its reason.
    "tell_nan": lambda c: c.storage.set_trial_system_attr(
        c.live._trial_id, "fail_reason", "the objective returned NaN"
    ),
}


def snapshot(url: str) -> Any:
    """Every study and trial as a fresh storage reads them (times left out)."""
    storage = RDBStorage(url)
    try:
        out = []
        for info in storage.get_all_studies():
            trials = [
                (
                    t.number,
                    t.state.name,
                    t.values,
                    t.params,
                    t.user_attrs,
                    t.system_attrs,
                    t.intermediate_values,
                )
                for t in storage.get_all_trials(info.study_id)
            ]
            out.append(
                (info.study_name, storage.get_study_user_attrs(info.study_id), repr(trials))
            )
        return out
    finally:
        storage.remove_session()


def _view(case: Case) -> Any:
    """What the storage object that saw the faults reads, in ``snapshot``'s form."""
    out = []
    for info in case.storage.get_all_studies():
        trials = [
            (
                t.number,
                t.state.name,
                t.values,
                t.params,
                t.user_attrs,
                t.system_attrs,
                t.intermediate_values,
            )
            for t in case.storage.get_all_trials(info.study_id)
        ]
        out.append(
            (info.study_name, case.storage.get_study_user_attrs(info.study_id), repr(trials))
        )
    return out


@pytest.fixture
def make_case(tmp_path: Path) -> Iterator[Callable[[str], Case]]:
    cases: list[Case] = []

    def make(name: str) -> Case:
        case = Case(tmp_path / f"case{len(cases)}.db", name)
        cases.append(case)
        return case

    yield make
    for case in cases:
        case.storage.remove_session()


def _clean(make_case: Callable[[str], Case], name: str) -> tuple[Any, Any, int]:
    """The snapshots before and after a fault-free run, and its number of statements."""
    case = make_case(name)
    before = snapshot(case.url)
    case.faults.arm(None)
    OPERATIONS[name](case)
    return before, snapshot(case.url), case.faults.count


def _disk_error() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("disk I/O error (injected)")


def _locked() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("database is locked (injected)")


@pytest.mark.parametrize("name", sorted(set(OPERATIONS) - {"optimize"}))
def test_a_failed_statement_loses_and_half_writes_nothing(
    make_case: Callable[[str], Case], name: str
) -> None:
    before, after, n = _clean(make_case, name)
    assert n >= 1 and before != after
    allowed = [before, after]
    if name in BETWEEN:
        case = make_case(name)
        BETWEEN[name](case)
        allowed.append(snapshot(case.url))
    for k in range(1, n + 1):
        case = make_case(name)
        case.faults.arm(k, _disk_error())
        with pytest.raises(HyperdialError, match="injected"):
            OPERATIONS[name](case)
        got = snapshot(case.url)
        assert got in allowed, f"{name}: fault at statement {k} of {n}"
        assert _view(case) == got, f"{name}: the storage's cache disagrees after fault {k}"
        if got != after:
            case.faults.arm(None)
            OPERATIONS[name](case)  # the operation works once the fault is gone
            assert snapshot(case.url) == after, f"{name}: re-run after fault {k}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_a_transient_error_at_any_statement_is_retried_and_applied_once(
    make_case: Callable[[str], Case], name: str
) -> None:
    _, after, n = _clean(make_case, name)
    for k in range(1, n + 1):
        case = make_case(name)
        case.faults.arm(k, _locked())
        OPERATIONS[name](case)
        assert case.faults.count > n, f"{name}: statement {k} was not retried"
        assert snapshot(case.url) == after, f"{name}: transient fault at statement {k}"


def test_optimize_leaves_no_trial_running_whatever_statement_fails(
    make_case: Callable[[str], Case],
) -> None:
    _, _, n = _clean(make_case, "optimize")
    for k in range(1, n + 1):
        case = make_case("optimize")
        case.faults.arm(k, _disk_error())
        with contextlib.suppress(HyperdialError):
            OPERATIONS["optimize"](case)
        trials = RDBStorage(case.url).get_all_trials(case.study._study_id)
        states = [t.state for t in trials if t.number != case.live.number]
        assert TrialState.RUNNING not in states, f"fault at statement {k} of {n}: {trials}"
