"""Log a study to TensorBoard's HParams dashboard (``pip install "hyperdial[tensorboard]"``).

Example:
    >>> import hyperdial
    >>> from hyperdial.integration.tensorboard import TensorBoardCallback
    >>> tensorboard_callback = TensorBoardCallback("logs/", metric_name="accuracy")
    >>> study = hyperdial.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=20, callbacks=[tensorboard_callback])  # doctest: +SKIP

Then ``tensorboard --logdir logs/`` shows each trial as a run (``logs/trial-<number>``) in
the HParams dashboard, with its parameters, objective values and, under *Scalars*, its
intermediate values (``trial.report``) by step. The event files are written with
tensorboardX, which needs neither TensorFlow nor PyTorch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tensorboardX import SummaryWriter
from tensorboardX.summary import hparams

from hyperdial.distributions import CategoricalDistribution
from hyperdial.integration._tracking import check_metric_name, metric_names, scalar_params
from hyperdial.trial import TrialState

if TYPE_CHECKING:
    from hyperdial.study import Study
    from hyperdial.trial import FrozenTrial

__all__ = ["TensorBoardCallback"]


class TensorBoardCallback:
    """A study callback that writes each finished trial as a TensorBoard run.

    Args:
        dirname: The log directory; each trial writes to ``<dirname>/trial-<number>``.
        metric_name: The name under which the objective value is logged; for several
            objectives one name per objective, or one name that is numbered (``value_0``, …).
            The default uses the names set by :meth:`~hyperdial.Study.set_metric_names`, if
            any.

    Only complete trials carry objective values; pruned and failed trials are written with
    their parameters, state and intermediate values, so the dashboard shows where they
    stopped.

    Raises:
        TypeError, ValueError: a ``dirname`` that is not a path, a bad ``metric_name``.
    """

    def __init__(
        self, dirname: str | os.PathLike[str], metric_name: str | Sequence[str] = "value"
    ):
        if not isinstance(dirname, (str, os.PathLike)):
            raise TypeError(f"`dirname` must be a path, got {type(dirname).__name__}.")
        self._dirname = os.fspath(dirname)
        self._metric_name = check_metric_name(metric_name)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        names = metric_names(self._metric_name, study)
        params = scalar_params(trial)
        metrics: dict[str, float] = {}
        if trial.state == TrialState.COMPLETE and trial.values is not None:
            metrics = dict(zip(names, (float(v) for v in trial.values), strict=True))
        # HParams needs a metric value for every run it lists; a trial without values shows
        # NaN there.
        hparam_metrics = {name: metrics.get(name, float("nan")) for name in names}
        params["state"] = trial.state.name
        experiment, start, end = hparams(params, hparam_metrics)
        _add_discrete_domains(experiment, trial)
        with (
            self._lock,
            SummaryWriter(logdir=os.path.join(self._dirname, f"trial-{trial.number}")) as writer,
        ):
            file_writer = writer._get_file_writer()
            file_writer.add_summary(experiment)
            file_writer.add_summary(start)
            file_writer.add_summary(end)
            for name, value in metrics.items():
                writer.add_scalar(name, value, 0)
            for step, value in sorted(trial.intermediate_values.items()):
                writer.add_scalar("intermediate_value", float(value), int(step))


def _add_discrete_domains(experiment: Any, trial: FrozenTrial) -> None:
    """Lists each categorical parameter's choices as its domain in the HParams summary.

    With the domain, the dashboard offers every choice as a filter, not only the ones the
    trials drew so far.
    """
    from tensorboardX.proto.api_pb2 import Experiment
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData

    for value in experiment.value:
        plugin = HParamsPluginData()
        plugin.ParseFromString(value.metadata.plugin_data.content)
        if not plugin.HasField("experiment"):
            continue
        exp: Experiment = plugin.experiment
        for info in exp.hparam_infos:
            distribution = trial.distributions.get(info.name)
            if not isinstance(distribution, CategoricalDistribution):
                continue
            choices = distribution.choices
            kinds = {_domain_kind(c) for c in choices}
            if len(kinds) != 1 or None in kinds:
                # A domain holds values of one type only; mixed choices go without one.
                continue
            for choice in choices:
                entry = info.domain_discrete.values.add()
                if isinstance(choice, bool):
                    entry.bool_value = choice
                elif isinstance(choice, str):
                    entry.string_value = choice
                elif isinstance(choice, (int, float)):
                    entry.number_value = float(choice)
        value.metadata.plugin_data.content = plugin.SerializeToString()


def _domain_kind(choice: object) -> str | None:
    if isinstance(choice, bool):
        return "bool"
    if isinstance(choice, str):
        return "str"
    if isinstance(choice, (int, float)):
        return "number"
    return None
