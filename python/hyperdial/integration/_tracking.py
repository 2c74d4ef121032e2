"""What every experiment-tracker callback records about a finished trial.

The MLflow, Weights & Biases and TensorBoard callbacks log the same facts (the trial's
number, state, parameters, objective values under their metric names, intermediate values,
times and attributes); this module derives them once from the study and the frozen trial, so
the callbacks differ only in how their tracker stores them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperdial.study import Study
    from hyperdial.trial import FrozenTrial

__all__ = ["check_metric_name", "metric_names", "scalar_params", "tag_text", "trial_tags"]

# The longest tag value MLflow and W&B keep without complaint is in the thousands of
# characters; a longer attribute (a stack trace, a large dict) is cut with a marker.
_MAX_TAG_CHARS = 5000


def check_metric_name(metric_name: object) -> str | tuple[str, ...]:
    """Validates the ``metric_name=`` argument of a tracker callback.

    Raises:
        TypeError: not a str or a sequence of str.
        ValueError: an empty sequence or repeated names.
    """
    if isinstance(metric_name, str):
        return metric_name
    if not isinstance(metric_name, Sequence) or not all(isinstance(n, str) for n in metric_name):
        raise TypeError(
            f"`metric_name` must be a str or a sequence of str, got {type(metric_name).__name__}."
        )
    names = tuple(metric_name)
    if not names:
        raise ValueError("`metric_name` must name at least one objective.")
    if len(set(names)) != len(names):
        raise ValueError(f"`metric_name` has repeated names: {list(names)}.")
    return names


def metric_names(metric_name: str | tuple[str, ...], study: Study) -> list[str]:
    """One metric name per objective of ``study``.

    A single name serves a single-objective study as is and is numbered (``value_0``,
    ``value_1``, …) for several objectives. When the caller kept the default ``"value"`` and
    the study has names from :meth:`~hyperdial.Study.set_metric_names`, those are used.

    Raises:
        ValueError: a sequence of names whose length is not the number of objectives.
    """
    n_objectives = len(study.directions)
    if metric_name == "value" and study.metric_names is not None:
        return list(study.metric_names)
    if isinstance(metric_name, str):
        if n_objectives == 1:
            return [metric_name]
        return [f"{metric_name}_{i}" for i in range(n_objectives)]
    if len(metric_name) != n_objectives:
        raise ValueError(
            f"`metric_name` has {len(metric_name)} names but the study has {n_objectives} "
            f"objective(s); give one name per objective or a single name."
        )
    return list(metric_name)


def tag_text(value: object) -> str:
    """``value`` as tag text, cut to a length every tracker stores."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _MAX_TAG_CHARS:
        text = text[: _MAX_TAG_CHARS - 3] + "..."
    return text


def scalar_params(trial: FrozenTrial) -> dict[str, Any]:
    """The trial's parameters with values a tracker can store as they are.

    Numbers and strings pass through; other categorical choices (None, tuples, objects) are
    given as their ``repr``, so a tracker never rejects a trial for its parameter types.
    """
    out: dict[str, Any] = {}
    for name, value in trial.params.items():
        if isinstance(value, bool) or value is None:
            out[name] = repr(value) if value is None else value
        elif isinstance(value, (int, float, str)):
            out[name] = value
        else:
            out[name] = repr(value)
    return out


def trial_tags(
    study: Study, trial: FrozenTrial, *, study_user_attrs: bool, trial_user_attrs: bool
) -> dict[str, str]:
    """Tags that say which trial of which study a tracker's run is, and how it ended."""
    tags = {
        "number": str(trial.number),
        "study_name": study.study_name,
        "state": trial.state.name,
        "direction": ",".join(d.name for d in study.directions),
        "datetime_start": "" if trial.datetime_start is None else trial.datetime_start.isoformat(),
        "datetime_complete": (
            "" if trial.datetime_complete is None else trial.datetime_complete.isoformat()
        ),
    }
    for name, distribution in trial.distributions.items():
        tags[f"distribution:{name}"] = tag_text(distribution)
    if trial_user_attrs:
        for key, value in trial.user_attrs.items():
            tags[f"trial_user_attr:{key}"] = tag_text(value)
    if study_user_attrs:
        for key, value in study.user_attrs.items():
            tags[f"study_user_attr:{key}"] = tag_text(value)
    return tags
