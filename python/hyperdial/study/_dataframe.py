from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from hyperdial.study._study import Study

__all__ = ["trials_dataframe"]


def trials_dataframe(study: Study, multi_index: bool = False) -> pd.DataFrame:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "Study.trials_dataframe needs pandas: pip install pandas (or hyperdial[test])."
        ) from None
    trials = study._get_trials()
    n_obj = len(study.directions)
    rows: list[dict[tuple[str, str], Any]] = []
    for t in trials:
        row: dict[tuple[str, str], Any] = {("number", ""): t.number}
        if n_obj == 1:
            row[("value", "")] = t.values[0] if t.values else None
        else:
            for i in range(n_obj):
                row[("values", str(i))] = t.values[i] if t.values else None
        row[("datetime_start", "")] = t.datetime_start
        row[("datetime_complete", "")] = t.datetime_complete
        row[("duration", "")] = t.duration
        for k, v in t.params.items():
            row[("params", k)] = v
        for k, v in t.user_attrs.items():
            row[("user_attrs", k)] = v
        for k, v in t.system_attrs.items():
            row[("system_attrs", k)] = v
        for k, v in t.constraints.items():
            row[("constraints", k)] = v
        row[("state", "")] = t.state.name
        rows.append(row)
    columns: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        for c in row:
            if c not in seen:
                seen.add(c)
                columns.append(c)
    order = [
        "number",
        "value",
        "values",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params",
        "user_attrs",
        "system_attrs",
        "constraints",
        "state",
    ]
    columns.sort(key=lambda c: order.index(c[0]))
    df = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns) if columns else None)
    if not multi_index and len(columns):
        df.columns = ["_".join(p for p in c if p) for c in columns]
    return df
