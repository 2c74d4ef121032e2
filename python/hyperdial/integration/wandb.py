"""Log a study to Weights & Biases (``pip install "hyperdial[wandb]"``).

Example:
    >>> import hyperdial
    >>> from hyperdial.integration.wandb import WeightsAndBiasesCallback
    >>> wandbc = WeightsAndBiasesCallback(metric_name="accuracy",
    ...                                   wandb_kwargs={"project": "my-project"})
    >>> study = hyperdial.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=20, callbacks=[wandbc])  # doctest: +SKIP

By default the whole study is one W&B run: each finished trial adds one row to its history
(the trial number, state, parameters and objective values), so W&B's own panels (parallel
coordinates, parameter importance) show the study. With ``as_multirun=True`` each trial is a
run of its own, grouped under the study's name, with the parameters as the run's config and
the intermediate values (``trial.report``) as its history; an objective wrapped by
:meth:`WeightsAndBiasesCallback.track_in_wandb` can then log to its trial's run itself.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import wandb

from hyperdial.integration._tracking import (
    check_metric_name,
    metric_names,
    scalar_params,
    trial_tags,
)
from hyperdial.trial import TrialState

if TYPE_CHECKING:
    from hyperdial.study import Study
    from hyperdial.trial import FrozenTrial, Trial

__all__ = ["WeightsAndBiasesCallback"]

_Objective = TypeVar("_Objective", bound=Callable[..., Any])

# wandb.init arguments the callback sets itself when each trial is a run.
_RESERVED_MULTIRUN = ("name", "reinit", "resume", "id")


class WeightsAndBiasesCallback:
    """A study callback that logs finished trials to Weights & Biases.

    Args:
        metric_name: The name under which the objective value is logged; for several
            objectives one name per objective, or one name that is numbered (``value_0``, …).
            With the default, names set by :meth:`~hyperdial.Study.set_metric_names` are used.
        wandb_kwargs: Passed on to ``wandb.init`` (``project``, ``entity``, ``mode``,
            ``dir``, ``tags``, …). Without ``group``, runs of a multirun study are grouped by
            the study's name.
        as_multirun: One W&B run per trial instead of one run for the study.

    The study's run (without ``as_multirun``) is started when the first trial is logged and
    stays open for further studies and trials; call :meth:`finish` (or ``wandb.finish()``)
    when done. If the caller has a run of their own active, the study logs into that run
    instead and leaves it open. Set ``WANDB_MODE=offline`` (or
    ``wandb_kwargs={"mode": "offline"}``) to log without an account and upload later with
    ``wandb sync``.

    Raises:
        TypeError, ValueError: bad ``metric_name`` or ``wandb_kwargs`` (at construction), or
            a ``metric_name`` whose length is not the number of objectives (when logged).
    """

    def __init__(
        self,
        metric_name: str | Sequence[str] = "value",
        wandb_kwargs: dict[str, Any] | None = None,
        as_multirun: bool = False,
    ) -> None:
        self._metric_name = check_metric_name(metric_name)
        if wandb_kwargs is not None and not isinstance(wandb_kwargs, dict):
            raise TypeError(
                f"`wandb_kwargs` must be a dict of wandb.init arguments or None, "
                f"got {type(wandb_kwargs).__name__}."
            )
        self._wandb_kwargs = dict(wandb_kwargs or {})
        if as_multirun:
            clash = [k for k in _RESERVED_MULTIRUN if k in self._wandb_kwargs]
            if clash:
                raise ValueError(
                    f"`wandb_kwargs` must not set {clash} with as_multirun=True: each trial's "
                    f"run is named after its trial and started anew by the callback."
                )
        self._as_multirun = as_multirun
        self._lock = threading.Lock()
        self._run: Any = None
        self._owns_run = False
        # Runs started by track_in_wandb, by (study name, trial number), finished by __call__.
        self._trial_runs: dict[tuple[str, int], Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_run"] = None
        state["_trial_runs"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        names = metric_names(self._metric_name, study)
        values: dict[str, float] = {}
        if trial.state == TrialState.COMPLETE and trial.values is not None:
            values = dict(zip(names, (float(v) for v in trial.values), strict=True))
        params = scalar_params(trial)
        if self._as_multirun:
            with self._lock:
                run = self._trial_runs.pop((study.study_name, trial.number), None)
            if run is None:
                run = self._start_trial_run(study, trial)
            run.config.update(params, allow_val_change=True)
            if trial.intermediate_values:
                # Against its own step axis: W&B drops a row whose ``step=`` is not past the
                # run's last, and a tracked objective may have logged rows already.
                run.define_metric("intermediate_value", step_metric="trial_step")
                for step, value in sorted(trial.intermediate_values.items()):
                    run.log({"trial_step": int(step), "intermediate_value": float(value)})
            run.summary.update(
                {
                    **trial_tags(study, trial, study_user_attrs=False, trial_user_attrs=True),
                    **values,
                }
            )
            run.finish(exit_code=0 if trial.state == TrialState.COMPLETE else 1)
            return
        with self._lock:
            run = self._study_run(study)
            run.log(
                {
                    "trial_number": trial.number,
                    "state": trial.state.name,
                    **params,
                    **values,
                }
            )

    def track_in_wandb(self) -> Callable[[_Objective], _Objective]:
        """Wraps an objective so that its ``wandb.log`` calls go to its trial's run.

        With ``as_multirun=True`` the trial's run is started before the objective runs and
        completed by the callback afterwards (pass the callback to ``study.optimize`` too);
        otherwise the objective logs to the study's run.

        Example:
            >>> wandbc = WeightsAndBiasesCallback(as_multirun=True)
            >>> @wandbc.track_in_wandb()
            ... def objective(trial):
            ...     x = trial.suggest_float("x", -10, 10)
            ...     wandb.log({"x_squared": x * x})
            ...     return (x - 2) ** 2
            >>> study.optimize(objective, n_trials=10, callbacks=[wandbc])  # doctest: +SKIP
        """

        def decorator(func: _Objective) -> _Objective:
            @functools.wraps(func)
            def wrapper(trial: Trial, *args: Any, **kwargs: Any) -> Any:
                study = trial.study
                if self._as_multirun:
                    run = self._start_trial_run(study, trial)
                    with self._lock:
                        self._trial_runs[(study.study_name, trial.number)] = run
                else:
                    with self._lock:
                        self._study_run(study)
                return func(trial, *args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorator

    def finish(self) -> None:
        """Finishes the study's run (without ``as_multirun``), if one was started."""
        with self._lock:
            if self._run is not None and self._owns_run:
                self._run.finish()
            self._run = None

    def _study_run(self, study: Study) -> Any:
        if self._run is None and wandb.run is not None and "reinit" not in self._wandb_kwargs:
            # The caller's own run is active: the study logs into it and leaves it open.
            self._run = wandb.run
            self._owns_run = False
        if self._run is None:
            kwargs = dict(self._wandb_kwargs)
            kwargs.setdefault("name", study.study_name)
            config = dict(kwargs.pop("config", None) or {})
            config.setdefault("study_name", study.study_name)
            config.setdefault("directions", [d.name for d in study.directions])
            self._run = wandb.init(config=config, **kwargs)
            self._owns_run = True
            self._run.define_metric("*", step_metric="trial_number")
        return self._run

    def _start_trial_run(self, study: Study, trial: FrozenTrial | Trial) -> Any:
        kwargs = dict(self._wandb_kwargs)
        kwargs.setdefault("group", study.study_name)
        config = dict(kwargs.pop("config", None) or {})
        config.update(
            {
                "study_name": study.study_name,
                "trial_number": trial.number,
                "directions": [d.name for d in study.directions],
            }
        )
        # With no other run active the trial's run becomes W&B's current run, so that
        # ``wandb.log`` inside a tracked objective logs to it; otherwise it is created beside
        # the active one (another trial's or the caller's), which it leaves alone.
        reinit: Literal["default", "create_new"] = "default" if wandb.run is None else "create_new"
        run = wandb.init(name=f"trial-{trial.number}", reinit=reinit, config=config, **kwargs)
        return run
