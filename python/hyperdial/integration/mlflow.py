"""Log every trial of a study to MLflow (``pip install "hyperdial[mlflow]"``).

Example:
    >>> import hyperdial
    >>> from hyperdial.integration.mlflow import MLflowCallback
    >>> mlflc = MLflowCallback(tracking_uri="sqlite:///mlflow.db", metric_name="loss")
    >>> study = hyperdial.create_study(study_name="svm")
    >>> study.optimize(objective, n_trials=20, callbacks=[mlflc])  # doctest: +SKIP

Each finished trial becomes one MLflow run named after its number, in the experiment named
after the study: the parameters as run parameters, the objective values as metrics under
their names, the intermediate values (``trial.report``) as the history of the metric
``intermediate_value``, and the study name, trial number, state, directions, times and
distributions as tags. Code inside the objective can log to the trial's own run as well
(artifacts, its own metrics) when the objective is wrapped by :meth:`track_in_mlflow`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import mlflow
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

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

__all__ = ["MLflowCallback"]

_Objective = TypeVar("_Objective", bound=Callable[..., Any])

# How a trial's end reads as an MLflow run status (a pruned trial was stopped early: KILLED).
_RUN_STATUS = {
    TrialState.COMPLETE: "FINISHED",
    TrialState.PRUNED: "KILLED",
    TrialState.FAIL: "FAILED",
}

# MLflow's log_batch takes at most this many metric values per call.
_BATCH = 1000


class MLflowCallback:
    """A study callback that records each finished trial as an MLflow run.

    Args:
        tracking_uri: Where MLflow stores runs (``"sqlite:///mlflow.db"``, a server's
            ``http://`` address, …); None keeps MLflow's own setting (``MLFLOW_TRACKING_URI``
            or its default). Given, it becomes MLflow's tracking URI for the process, as
            ``mlflow.set_tracking_uri`` does.
        metric_name: The name under which the objective value is logged; for several
            objectives one name per objective, or one name that is numbered (``value_0``, …).
            With the default, names set by :meth:`~hyperdial.Study.set_metric_names` are used.
        create_experiment: Log into an experiment named after the study (created when
            missing). False logs into MLflow's active experiment.
        mlflow_kwargs: Passed on to ``mlflow.start_run`` for every trial's run, e.g.
            ``{"nested": True}`` to make the runs children of a run the caller has started,
            or ``{"tags": {...}}``.
        tag_study_user_attrs: Also tag each run with the study's user attributes.
        tag_trial_user_attrs: Tag each run with the trial's user attributes.

    Raises:
        TypeError, ValueError: a ``metric_name`` that is not a str or a sequence of distinct
            str (at construction), or whose length is not the number of objectives (when a
            trial of the study is logged).
        RuntimeError: MLflow refused to log (the tracking server is unreachable, the
            experiment is deleted, …); the message names the trial and MLflow's reason.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        metric_name: str | Sequence[str] = "value",
        create_experiment: bool = True,
        mlflow_kwargs: dict[str, Any] | None = None,
        tag_study_user_attrs: bool = False,
        tag_trial_user_attrs: bool = True,
    ) -> None:
        self._tracking_uri = tracking_uri
        self._metric_name = check_metric_name(metric_name)
        self._create_experiment = create_experiment
        if mlflow_kwargs is not None and not isinstance(mlflow_kwargs, dict):
            raise TypeError(
                f"`mlflow_kwargs` must be a dict of mlflow.start_run arguments or None, "
                f"got {type(mlflow_kwargs).__name__}."
            )
        self._mlflow_kwargs = dict(mlflow_kwargs or {})
        for reserved in ("run_id", "run_name", "experiment_id"):
            if reserved in self._mlflow_kwargs and (
                reserved != "experiment_id" or create_experiment
            ):
                raise ValueError(
                    f"`mlflow_kwargs` must not set {reserved!r}: the callback chooses it "
                    f"(one run per trial, named after its number"
                    f"{', in the experiment named after the study' if create_experiment else ''})."
                )
        self._tag_study_user_attrs = tag_study_user_attrs
        self._tag_trial_user_attrs = tag_trial_user_attrs
        self._lock = threading.Lock()
        self._experiments: dict[str, str] = {}
        # Runs started by track_in_mlflow, by (study name, trial number), finished by __call__.
        self._open_runs: dict[tuple[str, int], str] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_open_runs"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        names = metric_names(self._metric_name, study)
        with self._lock:
            run_id = self._open_runs.pop((study.study_name, trial.number), None)
        try:
            run = self._start_run(study, trial, run_id)
            try:
                self._log_trial(run.info.run_id, study, trial, names)
            finally:
                mlflow.end_run(status=_RUN_STATUS.get(trial.state, "FAILED"))
        except MlflowException as exc:
            raise RuntimeError(
                f"MLflowCallback could not log trial {trial.number} of study "
                f"{study.study_name!r}: {exc.message}"
            ) from exc

    def track_in_mlflow(self) -> Callable[[_Objective], _Objective]:
        """Wraps an objective so that it runs inside its trial's MLflow run.

        Inside the objective, ``mlflow.log_metric``, ``mlflow.log_artifact`` and the like log
        to the same run this callback then completes with the trial's parameters and values.
        Pass the callback to ``study.optimize(..., callbacks=[mlflc])`` as well.

        Example:
            >>> mlflc = MLflowCallback(tracking_uri="sqlite:///mlflow.db")
            >>> @mlflc.track_in_mlflow()
            ... def objective(trial):
            ...     x = trial.suggest_float("x", -10, 10)
            ...     mlflow.log_metric("x_squared", x * x)
            ...     return (x - 2) ** 2
            >>> study.optimize(objective, n_trials=10, callbacks=[mlflc])  # doctest: +SKIP
        """

        def decorator(func: _Objective) -> _Objective:
            @functools.wraps(func)
            def wrapper(trial: Trial, *args: Any, **kwargs: Any) -> Any:
                study = trial.study
                with self._start_run(study, trial, None) as run:
                    with self._lock:
                        self._open_runs[(study.study_name, trial.number)] = run.info.run_id
                    return func(trial, *args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorator

    def _start_run(
        self, study: Study, trial: FrozenTrial | Trial, run_id: str | None
    ) -> mlflow.ActiveRun:
        if self._tracking_uri is not None:
            mlflow.set_tracking_uri(self._tracking_uri)
        kwargs = dict(self._mlflow_kwargs)
        if run_id is not None:
            kwargs.pop("tags", None)
            return mlflow.start_run(run_id=run_id, **kwargs)
        if self._create_experiment:
            kwargs["experiment_id"] = self._experiment_id(study.study_name)
        return mlflow.start_run(run_name=str(trial.number), **kwargs)

    def _experiment_id(self, name: str) -> str:
        with self._lock:
            cached = self._experiments.get(name)
            if cached is not None:
                return cached
            client = mlflow.MlflowClient()
            experiment = client.get_experiment_by_name(name)
            if experiment is not None:
                experiment_id = str(experiment.experiment_id)
            else:
                try:
                    experiment_id = str(client.create_experiment(name))
                except MlflowException:
                    # Another process created it between the look-up and the creation.
                    found = client.get_experiment_by_name(name)
                    if found is None:
                        raise
                    experiment_id = str(found.experiment_id)
            self._experiments[name] = experiment_id
            return experiment_id

    def _log_trial(self, run_id: str, study: Study, trial: FrozenTrial, names: list[str]) -> None:
        client = mlflow.MlflowClient()
        params = scalar_params(trial)
        if params:
            mlflow.log_params(params)
        mlflow.set_tags(
            trial_tags(
                study,
                trial,
                study_user_attrs=self._tag_study_user_attrs,
                trial_user_attrs=self._tag_trial_user_attrs,
            )
        )
        now = int(time.time() * 1000)
        metrics = [
            Metric("intermediate_value", float(value), now, int(step))
            for step, value in sorted(trial.intermediate_values.items())
        ]
        if trial.state == TrialState.COMPLETE and trial.values is not None:
            metrics.extend(
                Metric(name, float(value), now, 0)
                for name, value in zip(names, trial.values, strict=True)
            )
        for start in range(0, len(metrics), _BATCH):
            client.log_batch(run_id, metrics=metrics[start : start + _BATCH])
