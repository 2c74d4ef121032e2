"""The ``Study.optimize`` loop: sequential or in threads, never leaving a trial RUNNING.

Interrupts (Ctrl-C, an exception from a callback, SIGTERM) fail every running trial before they
propagate. SIGTERM, which batch schedulers and Kubernetes send to stop a process, would end the
process without unwinding, so while ``optimize`` runs in the main thread it is turned into an
exception (:class:`_Terminated`) and, once the trials are failed, delivered again to the handler
that was installed before, which by default ends the process (see :class:`_SigtermGuard`).
"""

from __future__ import annotations

import gc
import numbers
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hyperdial import logging as _logging
from hyperdial.exceptions import StudyExhausted, TrialPruned, UpdateFinishedTrialError
from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import (
    FAIL_REASON_KEY,
    FAILED_TRIAL_KEY,
    FIXED_PARAMS_KEY,
    RETRY_HISTORY_KEY,
)
from hyperdial.trial._trial import Trial

if TYPE_CHECKING:
    from hyperdial.study._study import Study

__all__ = ["ObjectiveFuncType", "optimize"]

ObjectiveFuncType = Callable[[Trial], float | Sequence[float]]
CallbackType = Callable[["Study", FrozenTrial], None]

_logger = _logging.get_logger(__name__)
_tqdm_warned = False
# How long an interrupted run waits for workers that are creating a trial (one storage call).
_START_WAIT = 5.0


class _ProgressBar:
    def __init__(self, show: bool, n_trials: int | None, timeout: float | None) -> None:
        global _tqdm_warned
        self._bar: Any = None
        self._lock = threading.Lock()
        if not show:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            if not _tqdm_warned:
                _tqdm_warned = True
                _logger.warning(
                    "show_progress_bar=True needs tqdm, which is not installed "
                    "(pip install tqdm); optimising without a progress bar."
                )
            return
        self._bar = tqdm(total=n_trials, desc="trials")
        self._timeout = timeout

    def update(self, study: Study, frozen: FrozenTrial) -> None:
        if self._bar is None:
            return
        with self._lock:
            if frozen.state == TrialState.COMPLETE and len(study.directions) == 1:
                try:
                    best = study.best_trial
                    self._bar.set_postfix_str(f"best #{best.number}: {best.value:.6g}")
                except ValueError:
                    pass
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Run:
    """State shared by the workers of one ``optimize`` call."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self.lock = threading.Lock()
        self.remaining = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.stop = threading.Event()
        self.running: set[int] = set()
        # Workers (thread idents) between take_slot and the end of creating their trial.
        self.starting: set[int] = set()
        self.started = threading.Condition(self.lock)
        self.error: BaseException | None = None
        self.interrupted: BaseException | None = None

    def take_slot(self) -> bool:
        with self.lock:
            if self.stop.is_set():
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            if self.remaining is not None:
                if self.remaining <= 0:
                    return False
                self.remaining -= 1
            self.starting.add(threading.get_ident())
            return True

    def register(self, trial_id: int) -> None:
        """Notes a trial a worker has just created or popped as running.

        Raises:
            RuntimeError: the run was interrupted while the worker created the trial (after
                ``fail_running`` looked at the running trials); ``Study._ask`` then fails it.
        """
        with self.lock:
            if self.interrupted is not None:
                raise RuntimeError(f"interrupted by {_name(self.interrupted)}")
            self.running.add(trial_id)

    def start_ended(self) -> None:
        """The calling worker's trial is registered, or failed (or never created)."""
        with self.lock:
            self.starting.discard(threading.get_ident())
            self.started.notify_all()

    def fail_running(self, study: Study, e: BaseException) -> None:
        """Marks every running trial FAIL, also those other workers are creating right now."""
        me = threading.get_ident()
        with self.lock:
            self.interrupted = e  # a trial registered from now on fails in its worker
            # A worker inside `create_new_trial` has a RUNNING trial nobody knows of yet: wait
            # until it has registered it (then it is in `running`) or failed it.
            self.started.wait_for(lambda: not (self.starting - {me}), timeout=_START_WAIT)
            running = list(self.running)
        for trial_id in running:
            _fail_interrupted(study, trial_id, e)

    def fail(self, e: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = e
        self.stop.set()


class _Terminated(BaseException):
    """SIGTERM arrived while ``optimize`` ran (a BaseException, like KeyboardInterrupt, so an
    objective's ``except Exception`` does not swallow it)."""

    def __str__(self) -> str:
        return "SIGTERM"


class _SigtermGuard:
    """Turns SIGTERM into :class:`_Terminated` while ``optimize`` runs in the main thread.

    The handler installed before is kept and given the signal:

    * a Python function: it is called first, from this guard's handler. If it raises (say
      ``SystemExit``), that exception unwinds ``optimize`` and fails the running trials; if it
      returns, the objective goes on, as it would without hyperdial;
    * the default action: the guard raises :class:`_Terminated`; once ``optimize`` has failed
      the running trials, :meth:`deliver` restores the default and sends SIGTERM again, so the
      process ends as it would have, killed by SIGTERM;
    * ignored, or a handler installed outside Python: nothing is installed.

    ``exit`` restores the previous handler.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers, and it is the one signals reach
        previous = signal.getsignal(signal.SIGTERM)
        if previous is None or previous == signal.SIG_IGN:
            return
        self._previous = previous
        signal.signal(signal.SIGTERM, self._handle)
        self._installed = True

    def _handle(self, signum: int, frame: Any) -> None:
        if callable(self._previous):
            self._previous(signum, frame)
            return
        raise _Terminated()

    def exit(self) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)
            self._installed = False

    def deliver(self) -> None:
        """Ends the process with SIGTERM's default action (the handler was the default)."""
        self.exit()
        os.kill(os.getpid(), signal.SIGTERM)
        # Only reached if SIGTERM is blocked in this thread: exit as a shell reports it.
        raise SystemExit(128 + int(signal.SIGTERM))


def _name(e: BaseException) -> str:
    """How a fail reason names an interruption."""
    return "SIGTERM" if isinstance(e, _Terminated) else type(e).__name__


def _finished_elsewhere(study: Study, trial_id: int) -> FrozenTrial | None:
    """The stored record of a trial that something else finished while this worker ran it, or
    None if the trial is still running here.

    Another worker's heartbeat reaper fails a trial whose heartbeats stopped for longer than the
    grace period, e.g. while this process was paused or starved of CPU. This worker then drops
    the trial's result with a warning and goes on with the next trial: the reaper's verdict
    stands (and its retry, if the storage retries, runs the parameters again).
    """
    frozen = study._storage.get_trial(trial_id)
    if not frozen.state.is_finished():
        return None
    reason = frozen.system_attrs.get(FAIL_REASON_KEY)
    _logger.warning(
        f"Trial {frozen.number} was finished as {frozen.state.name} by another worker while "
        f"this one ran it{f' ({reason})' if reason else ''}; its result here is dropped and "
        f"the optimisation goes on."
    )
    return frozen


def _fail_interrupted(study: Study, trial_id: int, e: BaseException) -> None:
    """Fails a trial an interruption stopped; after SIGTERM, also enqueues its parameters again
    when the storage retries failed trials (``RDBStorage(max_retry=...)``), as its heartbeat
    reaper does for a worker that died: a preempted job's trial is run again by the next one."""
    study._fail_trial(trial_id, f"interrupted by {_name(e)}")
    max_retry = getattr(study._storage, "max_retry", 0)
    if not isinstance(e, _Terminated) or not isinstance(max_retry, int) or max_retry <= 0:
        return
    try:
        failed = study._storage.get_trial(trial_id)
        history = [*failed.system_attrs.get(RETRY_HISTORY_KEY, []), failed.number]
        if len(history) > max_retry:
            return
        template = FrozenTrial(
            state=TrialState.WAITING,
            user_attrs=failed.user_attrs,
            system_attrs={
                FIXED_PARAMS_KEY: failed.params,
                FAILED_TRIAL_KEY: failed.number,
                RETRY_HISTORY_KEY: history,
            },
        )
        study._storage.create_new_trial(study._study_id, template)
    except Exception:  # best effort, as failing the trial is: the process is ending
        _logger.exception(f"Could not enqueue a retry of trial id {trial_id}.")


def _is_int(x: Any) -> bool:
    """An integer that is not a bool (plain ints without the slow numbers.Integral check)."""
    return type(x) is int or (not isinstance(x, bool) and isinstance(x, numbers.Integral))


def _check_args(
    n_trials: Any, timeout: Any, n_jobs: Any, catch: Any
) -> tuple[int, tuple[type[BaseException], ...]]:
    if n_trials is not None and (not _is_int(n_trials) or int(n_trials) < 0):
        raise ValueError(f"`n_trials` must be None or an integer >= 0, got {n_trials!r}.")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, numbers.Real)
        or not float(timeout) > 0
    ):
        raise ValueError(f"`timeout` must be None or a number of seconds > 0, got {timeout!r}.")
    if not _is_int(n_jobs) or not (int(n_jobs) == -1 or int(n_jobs) >= 1):
        raise ValueError(f"`n_jobs` must be -1 or an integer >= 1, got {n_jobs!r}.")
    n = int(n_jobs) if int(n_jobs) > 0 else (os.cpu_count() or 1)
    if isinstance(catch, type):
        catch = (catch,)
    try:
        catch_t = tuple(catch)
    except TypeError:
        raise TypeError(
            f"`catch` must be an exception class or an iterable of them, got {catch!r}."
        ) from None
    for c in catch_t:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(f"`catch` must hold exception classes, got {c!r}.")
    return n, catch_t


def optimize(
    study: Study,
    func: ObjectiveFuncType,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[CallbackType] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    if not callable(func):
        raise TypeError(f"`func` must be callable, got {func!r}.")
    n_threads, catch_t = _check_args(n_trials, timeout, n_jobs, catch)
    callbacks_l = list(callbacks or [])
    if not study._optimize_lock.acquire(blocking=False):
        raise RuntimeError("Nested or concurrent `optimize` calls on one Study are not allowed.")
    run = _Run(n_trials, timeout)
    study._stop_event = run.stop
    bar = _ProgressBar(show_progress_bar, n_trials, timeout)
    guard = _SigtermGuard()

    def work() -> None:
        while run.take_slot():
            try:
                frozen = _run_trial(study, func, catch_t, run)
            except StudyExhausted as e:
                with run.lock:
                    first = not run.stop.is_set()
                    run.stop.set()
                if first:
                    _logger.info(f"Stopping: {e}")
                return
            for cb in callbacks_l:
                cb(study, frozen)
            bar.update(study, frozen)
            if gc_after_trial:
                gc.collect()

    def thread_main() -> None:
        try:
            work()
        except BaseException as e:  # surfaced by the main thread
            run.fail(e)

    terminated = False
    try:
        if n_threads == 1:
            try:
                work()
            except BaseException as e:
                run.fail_running(study, e)  # a no-op unless an interrupt hit between steps
                terminated = isinstance(e, _Terminated)
                raise
        else:
            threads = [
                threading.Thread(target=thread_main, name=f"hyperdial-worker-{i}", daemon=True)
                for i in range(n_threads)
            ]
            for t in threads:
                t.start()
            try:
                for t in threads:
                    while t.is_alive():
                        t.join(0.05)
            except BaseException as e:  # Ctrl-C and SIGTERM reach the main thread only
                run.stop.set()
                run.fail_running(study, e)
                terminated = isinstance(e, _Terminated)
                raise
            if run.error is not None:
                raise run.error
    finally:
        guard.exit()
        study._stop_event = None
        bar.close()
        study._optimize_lock.release()
        if terminated:
            guard.deliver()


def _run_trial(
    study: Study,
    func: ObjectiveFuncType,
    catch: tuple[type[BaseException], ...],
    run: _Run,
) -> FrozenTrial:
    try:
        trial = study._ask(None, run.register)
    finally:
        run.start_ended()
    trial_id = trial._trial_id
    func_err: Exception | None = None
    try:
        values: Any = None
        state: TrialState | None = None
        reason: str | None = None
        try:
            values = func(trial)
        except TrialPruned:
            state = TrialState.PRUNED
        except Exception as e:
            func_err = e
            state = TrialState.FAIL
            reason = f"the objective raised {type(e).__name__}: {e}"
            _logger.warning(
                f"Trial {trial.number} failed with parameters {trial.params} because the "
                f"objective raised:",
                exc_info=e,
            )
            study._storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
        frozen = study._tell(trial_id, values, state, skip_if_finished=False, fail_reason=None)
    except UpdateFinishedTrialError as e:
        finished = _finished_elsewhere(study, trial_id)
        if finished is None:
            _fail_interrupted(study, trial_id, e)
            raise
        return finished
    except BaseException as e:
        _fail_interrupted(study, trial_id, e)
        raise
    finally:
        with run.lock:
            run.running.discard(trial_id)
    if func_err is not None and not isinstance(func_err, catch):
        raise func_err
    return frozen
