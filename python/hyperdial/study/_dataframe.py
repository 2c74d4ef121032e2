"""``Study.trials_dataframe``: one row per trial, one column per attribute (or entry of one).

Columns follow Optuna's naming so that analysis code written for it keeps working: each name in
``attrs`` is a ``FrozenTrial`` attribute (a leading underscore is dropped from the column name);
dict attributes (``params``, ``user_attrs``, …) spread into one column per key, ``values`` into
one column per objective (named by ``Study.set_metric_names`` when set). With ``multi_index``
the columns are ``(attribute, key)`` pairs; without it they are joined with ``_``
(``params_x``), an empty key leaving the bare attribute name (``number``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial.trial._frozen import FrozenTrial
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    import pandas as pd

    from hyperdial.study._study import Study

__all__ = ["trials_dataframe"]

_ALLOWED = frozenset(
    {
        "number",
        "trial_id",
        "_trial_id",
        "state",
        "value",
        "values",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params",
        "distributions",
        "user_attrs",
        "system_attrs",
        "intermediate_values",
        "constraints",
        "last_step",
    }
)


def _check_attrs(attrs: Any) -> tuple[str, ...]:
    if isinstance(attrs, str) or not isinstance(attrs, Sequence):
        raise TypeError(f"`attrs` must be a tuple of attribute names, got {attrs!r}.")
    for a in attrs:
        if a not in _ALLOWED:
            raise ValueError(
                f"`attrs`: {a!r} is not a trial attribute; allowed: {sorted(_ALLOWED)}."
            )
    return tuple(attrs)


def _cells(
    trial: FrozenTrial, attr: str, n_obj: int, metric_names: list[str] | None
) -> list[tuple[Any, Any]]:
    """``[(key, value), ...]`` of one attribute of one trial; key "" for a single column."""
    value = getattr(trial, attr)
    if attr == "values":
        vals: list[Any] = [None] * n_obj if value is None else list(value)
        keys: list[Any] = list(range(n_obj)) if metric_names is None else list(metric_names)
        return list(zip(keys, vals, strict=True))
    if attr == "value":
        return [("" if metric_names is None else metric_names[0], value)]
    if isinstance(value, TrialState):
        return [("", value.name)]
    if isinstance(value, dict):
        return list(value.items())
    return [("", value)]


def trials_dataframe(study: Study, attrs: Sequence[str], multi_index: bool) -> pd.DataFrame:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "Study.trials_dataframe needs pandas: pip install pandas (or hyperdial[test])."
        ) from None
    attrs = _check_attrs(attrs)
    trials = study._get_trials()
    if not trials:
        return pd.DataFrame()
    n_obj = len(study.directions)
    if n_obj > 1:
        attrs = tuple("values" if a == "value" else a for a in attrs)
    attrs = tuple(dict.fromkeys(attrs))  # each attribute once, first position kept
    metric_names = study.metric_names
    groups: dict[str, set[Any]] = {a: set() for a in attrs}
    rows: list[dict[tuple[str, Any], Any]] = []
    for t in trials:
        row: dict[tuple[str, Any], Any] = {}
        for a in attrs:
            column = a.lstrip("_")
            for key, v in _cells(t, a, n_obj, metric_names):
                row[(column, key)] = v
                groups[a].add(key)
        rows.append(row)
    columns: list[tuple[str, Any]] = []
    for a in attrs:
        column = a.lstrip("_")
        if a == "values" and metric_names is not None:
            keys: list[Any] = list(metric_names)  # the user's order, not sorted
        else:
            keys = sorted(groups[a], key=lambda k: (str(type(k)), k))
        columns.extend((column, k) for k in keys)
    df = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns))
    if not multi_index:
        df.columns = ["_".join(str(p) for p in c if p != "") for c in columns]
    return df
