"""``Study.optimize``: the outcome of every kind of return and exception, threads, limits.

Invariant checked after every scenario: no trial is left RUNNING.
"""

from __future__ import annotations

import _thread
import datetime
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial import TrialPruned, TrialState
from hyperdial.samplers import RandomSampler
from hyperdial.study import _optimize
from hyperdial.trial import FrozenTrial

MakeStudy = Callable[..., hyperdial.Study]
NAN = float("nan")
INF = float("inf")


def assert_no_running(study: hyperdial.Study) -> None:
    running = [t.number for t in study.trials if t.state == TrialState.RUNNING]
    assert running == [], f"trials left RUNNING: {running}"


def wait_for_workers(timeout: float = 5.0) -> None:
    """Joins hyperdial's worker threads, which may still finish a trial after an interrupt."""
    deadline = time.monotonic() + timeout
    for t in threading.enumerate():
        if t.name.startswith("hyperdial-worker"):
            t.join(max(0.0, deadline - time.monotonic()))
            assert not t.is_alive(), f"{t.name} is still running"


# -- what the objective returns ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("returned", "stored"),
    [
        (1.5, 1.5),
        (-3, -3.0),
        (0, 0.0),
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (np.array(2.5), 2.5),
        (True, 1.0),
        (np.True_, 1.0),
        (np.array(False), 0.0),
        (INF, INF),
        (-INF, -INF),
        ([4.0], 4.0),
    ],
)
def test_numbers_complete_the_trial(make_study: MakeStudy, returned: Any, stored: float) -> None:
    study = make_study()
    study.optimize(lambda t: returned, n_trials=2)
    for t in study.trials:
        assert t.state == TrialState.COMPLETE
        assert t.values == [stored] and type(t.values[0]) is float
        assert "fail_reason" not in t.system_attrs
    assert study.best_value == stored
    assert_no_running(study)


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (NAN, "returned NaN"),
        (np.float64(NAN), "returned NaN"),
        (None, "returned None"),
        ("1.5", "'1.5', which is not a number"),
        (b"1.5", "not a number"),
        (object(), "not a number"),
        ({"value": 1.0}, "not a number"),
        ([1.0, 2.0], "2 value(s) but the study has 1"),
        ([], "0 value(s) but the study has 1"),
        ([NAN], "returned NaN"),
        (np.array([1.0, 2.0]), "2 value(s)"),
        (1 + 2j, "not a number"),
        # float() of these raises OverflowError: the trial fails, the study must go on.
        (10**400, "too large for a float (~2**1329)"),
        (-(10**400), "too large for a float"),
        ([10**400], "too large for a float"),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_invalid_returns_fail_the_trial_and_the_study_goes_on(
    make_study: MakeStudy, returned: Any, reason: str
) -> None:
    study = make_study()
    study.optimize(lambda t: returned, n_trials=3)
    trials = study.trials
    assert len(trials) == 3
    for t in trials:
        assert t.state == TrialState.FAIL and t.values is None
        assert reason in t.system_attrs["fail_reason"]
        assert t.datetime_complete is not None
    assert_no_running(study)


@pytest.mark.parametrize(
    ("returned", "state"),
    [
        ((1.0, -INF), TrialState.COMPLETE),
        (np.array([1.0, 2.0]), TrialState.COMPLETE),
        (1.0, TrialState.FAIL),
        ([1.0, 2.0, 3.0], TrialState.FAIL),
        ([1.0, NAN], TrialState.FAIL),
        ([1.0, None], TrialState.FAIL),
        ([1.0, 10**400], TrialState.FAIL),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_multi_objective_returns(make_study: MakeStudy, returned: Any, state: TrialState) -> None:
    study = make_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: returned, n_trials=2)
    assert [t.state for t in study.trials] == [state, state]
    if state == TrialState.COMPLETE:
        assert study.trials[0].values == [float(v) for v in returned]
    assert_no_running(study)


# -- exceptions ----------------------------------------------------------------------------------
def test_an_exception_fails_the_trial_and_is_re_raised(make_study: MakeStudy) -> None:
    study = make_study()
    calls = []

    def objective(trial: hyperdial.Trial) -> float:
        calls.append(trial.number)
        trial.suggest_float("x", 0, 1)
        raise ValueError("bad things")

    with pytest.raises(ValueError, match="bad things"):
        study.optimize(objective, n_trials=5)
    assert calls == [0]
    (t,) = study.trials
    assert t.state == TrialState.FAIL and "x" in t.params
    assert t.system_attrs["fail_reason"] == "the objective raised ValueError: bad things"
    assert_no_running(study)


@pytest.mark.parametrize(
    "catch", [(ValueError,), ValueError, [KeyError, ValueError], (Exception,)]
)
def test_caught_exceptions_fail_the_trial_and_the_study_goes_on(
    make_study: MakeStudy, catch: Any
) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number % 2:
            raise ValueError(f"odd {trial.number}")
        return 1.0

    study.optimize(objective, n_trials=6, catch=catch)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL] * 3
    assert "odd 3" in study.trials[3].system_attrs["fail_reason"]
    assert_no_running(study)


def test_an_exception_outside_catch_is_re_raised(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        raise KeyError("k")

    with pytest.raises(KeyError):
        study.optimize(objective, n_trials=3, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL]
    assert_no_running(study)


def test_trial_pruned_prunes_and_the_study_goes_on(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        trial.report(2.0, 0)
        if trial.number == 1:
            raise TrialPruned()
        return 1.0

    study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.COMPLETE,
    ]
    assert study.trials[1].value == 2.0
    assert "fail_reason" not in study.trials[1].system_attrs
    assert_no_running(study)


class FailingSampler(RandomSampler):
    def __init__(self, where: str) -> None:
        super().__init__(seed=0)
        self.where = where

    def before_trial(self, study: hyperdial.Study, trial: FrozenTrial) -> None:
        if self.where == "before_trial":
            raise RuntimeError("sampler broke in before_trial")

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        if self.where == "sample_independent":
            raise RuntimeError("sampler broke in sample_independent")
        return super().sample_independent(study, trial, name, dist)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        if self.where == "after_trial":
            raise RuntimeError("sampler broke in after_trial")


@pytest.mark.parametrize("n_jobs", [1, 3])
@pytest.mark.parametrize("where", ["before_trial", "sample_independent", "after_trial"])
def test_a_failing_sampler_fails_the_trial_and_propagates(
    make_study: MakeStudy, where: str, n_jobs: int
) -> None:
    study = make_study(sampler=FailingSampler(where))
    with pytest.raises(RuntimeError, match=f"sampler broke in {where}"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, n_jobs=n_jobs)
    trials = study.trials
    assert 1 <= len(trials) <= n_jobs
    for t in trials:
        assert t.state == TrialState.FAIL
        assert f"sampler broke in {where}" in t.system_attrs["fail_reason"]
    assert_no_running(study)


def test_a_failing_sampler_in_ask_leaves_no_running_trial(make_study: MakeStudy) -> None:
    study = make_study(sampler=FailingSampler("before_trial"))
    with pytest.raises(RuntimeError):
        study.ask()
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_a_failing_callback_propagates_after_the_trial_finished(make_study: MakeStudy) -> None:
    study = make_study()

    def callback(study: hyperdial.Study, frozen: FrozenTrial) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        study.optimize(lambda t: 1.0, n_trials=3, callbacks=[callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]
    assert_no_running(study)


# -- Ctrl-C --------------------------------------------------------------------------------------
def _interrupted(t: FrozenTrial) -> bool:
    return t.state == TrialState.FAIL and "KeyboardInterrupt" in t.system_attrs["fail_reason"]


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_keyboard_interrupt_in_the_objective(make_study: MakeStudy, n_jobs: int) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number == 5:
            raise KeyboardInterrupt
        time.sleep(0.002)
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=200, n_jobs=n_jobs)
    wait_for_workers()
    trials = study.trials
    assert _interrupted(trials[5])
    assert len(trials) < 200
    assert_no_running(study)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in the main thread, as in an interactive shell, also when
    pytest was started with SIGINT ignored (a background job of a non-interactive shell: Python
    then installs no handler, and neither a real SIGINT nor _thread.interrupt_main() raises)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_in_the_main_thread_with_one_job(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number == 3:
            # A real SIGINT, as Ctrl-C sends: it also breaks the blocking sleep below.
            threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
            time.sleep(5)
        return 1.0

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=100)
    assert time.monotonic() - start < 4
    trials = study.trials
    assert len(trials) == 4 and _interrupted(trials[3])
    assert_no_running(study)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_in_the_main_thread_while_workers_run(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number == 8:
            _thread.interrupt_main()  # as if Ctrl-C hit the main thread now
            time.sleep(0.3)
        time.sleep(0.01)
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10_000, n_jobs=4)
    wait_for_workers()
    trials = study.trials
    assert len(trials) < 10_000
    # Trial 8 was running when the interrupt arrived; whatever else was running failed with it.
    assert _interrupted(trials[8])
    assert_no_running(study)
    # The study is usable afterwards.
    study.optimize(lambda t: 0.0, n_trials=2, n_jobs=2)
    assert_no_running(study)


class _InterruptWhileCreating(hyperdial.storages.InMemoryStorage):
    """Ctrl-C arrives while a worker is creating trial 5: the trial exists, the worker has not
    yet registered it as running when the main thread fails the running trials."""

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        trial_id = super().create_new_trial(study_id, template_trial)
        if self.get_trial_number_from_id(trial_id) == 5:
            _thread.interrupt_main()
            time.sleep(1.0)  # the main thread handles the interrupt meanwhile (even if loaded)
        return trial_id


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_while_a_worker_creates_a_trial(make_study: MakeStudy) -> None:
    study = make_study(storage=_InterruptWhileCreating())

    def objective(trial: hyperdial.Trial) -> float:
        time.sleep(0.01)
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=1000, n_jobs=4)
    # When the interrupt propagates (the process may exit now, killing the daemon workers),
    # no trial may be RUNNING, including the one that was being created.
    assert_no_running(study)
    wait_for_workers()
    assert _interrupted(study.trials[5])
    assert_no_running(study)


# -- threads -------------------------------------------------------------------------------------
def test_eight_threads_fifty_trials_each(make_study: MakeStudy) -> None:
    study = make_study()
    workers: set[str] = set()

    def objective(trial: hyperdial.Trial) -> float:
        workers.add(threading.current_thread().name)
        time.sleep(0.0005)  # lets the other workers take trials meanwhile
        return trial.suggest_float("x", -1, 1) ** 2

    study.optimize(objective, n_trials=400, n_jobs=8)
    # The trials ran in worker threads, not in the caller's, and in more than one of them.
    assert all(name.startswith("hyperdial-worker") for name in workers)
    assert 2 <= len(workers) <= 8
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(400))
    assert [t.number for t in trials] == list(range(400))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.trial_id for t in trials}) == 400
    assert_no_running(study)


def test_enqueued_trials_run_exactly_once_under_threads(make_study: MakeStudy) -> None:
    study = make_study()
    for i in range(20):
        study.enqueue_trial({"i": 10**9 + i})
    received: list[int] = []
    lock = threading.Lock()

    def objective(trial: hyperdial.Trial) -> float:
        i = trial.suggest_int("i", 0, 2 * 10**9)
        with lock:
            received.append(i)
        time.sleep(0.001)
        return float(i)

    study.optimize(objective, n_trials=60, n_jobs=8)
    enqueued = [10**9 + i for i in range(20)]
    for v in enqueued:
        assert received.count(v) == 1
    stored = [t.params["i"] for t in study.trials]
    for v in enqueued:
        assert stored.count(v) == 1
    assert len(study.trials) == 60
    assert study.get_trials(states=(TrialState.WAITING,)) == []
    assert_no_running(study)


def test_exception_in_a_worker_thread_is_re_raised(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number == 10:
            raise ZeroDivisionError("worker")
        return 1.0

    with pytest.raises(ZeroDivisionError, match="worker"):
        study.optimize(objective, n_trials=100, n_jobs=4)
    assert study.trials[10].state == TrialState.FAIL
    assert len(study.trials) < 100
    assert_no_running(study)


def test_catch_with_threads(make_study: MakeStudy) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        if trial.number % 3 == 0:
            raise ValueError("x")
        return 1.0

    study.optimize(objective, n_trials=30, n_jobs=4, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) == 10 and states.count(TrialState.COMPLETE) == 20
    assert_no_running(study)


def test_n_jobs_minus_one_uses_the_cpus(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(lambda t: 0.0, n_trials=10, n_jobs=-1)
    assert len(study.trials) == 10
    assert_no_running(study)


# -- limits and arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_timeout_stops(make_study: MakeStudy, n_jobs: int) -> None:
    study = make_study()

    def objective(trial: hyperdial.Trial) -> float:
        time.sleep(0.02)
        return 0.0

    start = time.monotonic()
    study.optimize(objective, timeout=0.25, n_jobs=n_jobs)
    # It ran until the timeout and then stopped: no new trial after the deadline. (How soon after
    # it returns depends on the machine's load, so that is not asserted.)
    assert time.monotonic() - start >= 0.25
    deadline = study.trials[0].datetime_start + datetime.timedelta(seconds=0.25)
    assert all(t.datetime_start <= deadline for t in study.trials)
    assert 2 <= len(study.trials) <= n_jobs * (0.25 / 0.02 + 2)
    assert_no_running(study)


def test_n_trials_counts_this_call_only(make_study: MakeStudy) -> None:
    study = make_study()
    study.optimize(lambda t: 0.0, n_trials=0)
    assert study.trials == []
    study.optimize(lambda t: 0.0, n_trials=3)
    study.optimize(lambda t: 0.0, n_trials=2, n_jobs=4)
    assert len(study.trials) == 5


def test_callbacks_see_every_finished_trial(make_study: MakeStudy) -> None:
    study = make_study()
    seen: list[tuple[int, TrialState]] = []

    def objective(trial: hyperdial.Trial) -> Any:
        return [1.0, None, NAN][trial.number % 3]

    study.optimize(
        objective, n_trials=6, callbacks=[lambda s, t: seen.append((t.number, t.state))]
    )
    assert seen == [(i, TrialState.COMPLETE if i % 3 == 0 else TrialState.FAIL) for i in range(6)]


def test_gc_after_trial(make_study: MakeStudy, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(_optimize.gc, "collect", lambda *a: calls.append(1) or 0)
    study = make_study()
    study.optimize(lambda t: 0.0, n_trials=3)
    assert calls == []
    study.optimize(lambda t: 0.0, n_trials=3, gc_after_trial=True)
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_trials": -1}, ValueError, "`n_trials`"),
        ({"n_trials": 1.5}, ValueError, "`n_trials`"),
        ({"n_trials": True}, ValueError, "`n_trials`"),
        ({"n_trials": "3"}, ValueError, "`n_trials`"),
        ({"timeout": 0}, ValueError, "`timeout`"),
        ({"timeout": -1.0}, ValueError, "`timeout`"),
        ({"timeout": NAN}, ValueError, "`timeout`"),
        ({"timeout": "1"}, ValueError, "`timeout`"),
        ({"timeout": True}, ValueError, "`timeout`"),
        ({"n_jobs": 0}, ValueError, "`n_jobs`"),
        ({"n_jobs": -2}, ValueError, "`n_jobs`"),
        ({"n_jobs": 1.5}, ValueError, "`n_jobs`"),
        ({"n_jobs": None}, ValueError, "`n_jobs`"),
        ({"n_jobs": True}, ValueError, "`n_jobs`"),
        ({"catch": ["ValueError"]}, TypeError, "`catch`"),
        ({"catch": (ValueError, 3)}, TypeError, "`catch`"),
        ({"catch": 42}, TypeError, "`catch`"),
        ({"catch": None}, TypeError, "`catch`"),
        ({"catch": int}, TypeError, "`catch`"),
    ],
)
def test_bad_arguments(
    make_study: MakeStudy, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    study = make_study()
    kwargs.setdefault("n_trials", 1)
    with pytest.raises(error, match=match):
        study.optimize(lambda t: 0.0, **kwargs)
    assert study.trials == []
    study.optimize(lambda t: 0.0, n_trials=1)  # nothing was left locked
    assert len(study.trials) == 1


def test_func_must_be_callable(make_study: MakeStudy) -> None:
    with pytest.raises(TypeError, match="`func` must be callable"):
        make_study().optimize(3.0, n_trials=1)  # type: ignore[arg-type]
