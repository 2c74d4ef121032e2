"""Interactive figures with plotly: thin renderers of what ``_data.py`` prepares.

plotly is imported inside each function (through :func:`_go`), never when this module is
imported. Every function builds a fixed, small number of traces whatever the number of trials:
one trace per kind of point, with the trials as arrays (curves of several trials in one trace are
separated by NaN gaps).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.visualization import _data
from hyperdial.visualization._data import COLORS, INFEASIBLE

if TYPE_CHECKING:
    from hyperdial.study import Study
    from hyperdial.trial import FrozenTrial

__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]

Figure = Any  # plotly.graph_objects.Figure; plotly ships no type information.


def is_available() -> bool:
    """True when plotly is installed (checked without importing it).

    Example:
        >>> import hyperdial.visualization as vis
        >>> isinstance(vis.is_available(), bool)
        True
    """
    import importlib.util

    return importlib.util.find_spec("plotly") is not None


def _go() -> Any:
    try:
        import plotly.graph_objects as go  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as e:
        raise ImportError(
            "hyperdial.visualization draws with plotly, which is not installed: "
            "pip install 'hyperdial[plot]' (or plotly)."
        ) from e
    return go


def _subplots(**kwargs: Any) -> Any:
    _go()
    from plotly.subplots import make_subplots  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return make_subplots(**kwargs)


def _note_figure(title: str, note: str) -> Figure:
    go = _go()
    return go.Figure(
        layout={
            "title": {"text": title},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": note,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "showarrow": False,
                    "font": {"size": 14},
                }
            ],
        }
    )


# -- optimisation history -------------------------------------------------------------------------
def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
    error_bar: bool = False,
) -> Figure:
    """Plots each completed trial's value against its number, with the best value so far.

    Args:
        study: A study, or several studies drawn on one figure (they must share a direction).
        target: What to plot for each trial; required for a multi-objective study. With a
            target, the best-so-far line is not drawn (its direction is unknown).
        target_name: The y-axis title.
        error_bar: With several studies, draw the mean and standard deviation over the studies
            at each trial number instead of every study's points.

    Returns:
        A ``plotly.graph_objects.Figure``. Infeasible trials (constraints > 0) are grey and
        never the best.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study, or the studies'
            directions differ.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
        >>> fig = hyperdial.visualization.plot_optimization_history(study)
    """
    info = _data.history_info(study, target, target_name, error_bar)
    title = "Optimization History Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    traces = []
    several = len(info.series) > 1
    if info.band is not None:
        b = info.band
        traces.append(
            go.Scatter(
                x=b.number,
                y=b.mean,
                mode="markers",
                name=target_name,
                marker={"color": COLORS["COMPLETE"]},
                error_y={"type": "data", "array": b.std, "visible": True},
            )
        )
        if b.best_mean is not None and b.best_std is not None:
            upper, lower = b.best_mean + b.best_std, b.best_mean - b.best_std
            traces.append(
                go.Scatter(
                    x=np.concatenate([b.number, b.number[::-1]]),
                    y=np.concatenate([upper, lower[::-1]]),
                    fill="toself",
                    line={"width": 0},
                    fillcolor="rgba(214,39,40,0.2)",
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
            traces.append(
                go.Scatter(
                    x=b.number, y=b.best_mean, name="Best Value", line={"color": COLORS["BEST"]}
                )
            )
    else:
        palette = [
            "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
        ]  # fmt: skip
        for k, s in enumerate(info.series):
            color = palette[k % len(palette)] if several else COLORS["COMPLETE"]
            label = f"{target_name} of {s.name}" if several else target_name
            traces.append(
                go.Scatter(
                    x=s.number[s.feasible],
                    y=s.value[s.feasible],
                    mode="markers",
                    name=label,
                    marker={"color": color},
                )
            )
            if not s.feasible.all():
                traces.append(
                    go.Scatter(
                        x=s.number[~s.feasible],
                        y=s.value[~s.feasible],
                        mode="markers",
                        name="Infeasible Trial",
                        marker={"color": COLORS["INFEASIBLE"]},
                    )
                )
            if s.best is not None:
                traces.append(
                    go.Scatter(
                        x=s.number,
                        y=s.best,
                        mode="lines",
                        name=f"Best Value of {s.name}" if several else "Best Value",
                        line={"color": COLORS["BEST"] if not several else color},
                    )
                )
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": "Trial"}},
            "yaxis": {"title": {"text": target_name}},
        },
    )


# -- slice ----------------------------------------------------------------------------------------
def _axis(col: _data.ParamColumn) -> dict[str, Any]:
    if col.categorical:
        return {
            "type": "linear",
            "tickvals": list(range(len(col.labels))),
            "ticktext": list(col.labels),
            "range": [-0.5, len(col.labels) - 0.5],
        }
    return {"type": "log"} if col.log else {}


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Figure:
    """Plots the target against each parameter, one panel per parameter.

    Points are coloured by trial number. A conditional parameter's panel shows only the trials
    that have it. Categorical parameters are drawn on an axis of their choices, log-scale
    parameters on a log axis.

    Args:
        study: The study.
        params: Parameter names to plot, in this order (default: every parameter).
        target: What to plot; required for a multi-objective study.
        target_name: The y-axis title.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study, or ``params`` names an
            unknown parameter.
    """
    info = _data.slice_info(study, params, target, target_name)
    title = "Slice Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    k = len(info.columns)
    fig = _subplots(rows=1, cols=k, shared_yaxes=True, horizontal_spacing=min(0.08, 0.3 / k))
    vmax = max(float(n.max()) if n.size else 0.0 for n in info.number)
    for i, (col, x, y, num) in enumerate(
        zip(info.columns, info.x, info.y, info.number, strict=True), start=1
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                name=col.name,
                showlegend=False,
                marker={
                    "color": num,
                    "colorscale": "Blues",
                    "cmin": 0,
                    "cmax": vmax,
                    "showscale": i == k,
                    "colorbar": {"title": {"text": "Trial"}},
                    "line": {"width": 0.5, "color": "Grey"},
                },
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title_text=col.name, row=1, col=i, **_axis(col))
    fig.update_yaxes(title_text=target_name, row=1, col=1)
    fig.update_layout(title={"text": title}, width=max(500, 300 * k) if k > 3 else None)
    return fig


# -- contour and rank -----------------------------------------------------------------------------
def _pair_figure(info: _data.PairsInfo, title: str, contour: bool) -> Figure:
    go = _go()
    cols = info.columns
    k = len(cols)
    single = k <= 2
    grid = 1 if single else k
    fig = _subplots(
        rows=grid,
        cols=grid,
        horizontal_spacing=0.15 / grid if not single else 0.1,
        vertical_spacing=0.15 / grid if not single else 0.1,
    )
    lo, hi = info.z_range
    positions = [(0, 1)] if k == 2 else [(0, 0)] if k == 1 else list(info.pairs)
    first = True
    for i, j in positions:
        p = info.pairs[(i, j)]
        r, c = (1, 1) if single else (j + 1, i + 1)
        if contour and p.grid_z is not None:
            fig.add_trace(
                go.Contour(
                    x=p.grid_x,
                    y=p.grid_y,
                    z=p.grid_z,
                    colorscale="Blues",
                    reversescale=not info.reverse_scale,
                    zmin=lo,
                    zmax=hi,
                    showscale=first,
                    colorbar={"title": {"text": info.target_name}},
                    contours={"coloring": "heatmap"},
                    line={"width": 0.5},
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
            first = False
        marker: dict[str, Any]
        if contour:
            marker = {"color": "black", "size": 4}
        else:
            marker = {
                "color": p.z,
                "colorscale": "RdYlBu",
                "reversescale": not info.reverse_scale,
                "cmin": 0.0,
                "cmax": 1.0,
                "showscale": first,
                "size": 6,
                "line": {"width": 0.5, "color": "Grey"},
                "colorbar": {
                    "title": {"text": f"{info.target_name} (rank)"},
                    "tickvals": [0.0, 1.0],
                    "ticktext": [f"{lo:.3g}", f"{hi:.3g}"],
                },
            }
            first = False
        fig.add_trace(
            go.Scatter(x=p.x, y=p.y, mode="markers", marker=marker, showlegend=False),
            row=r,
            col=c,
        )
        xcol = cols[i]
        fig.update_xaxes(row=r, col=c, **_axis(xcol))
        if k == 1:
            fig.update_yaxes(row=r, col=c, title_text=info.target_name)
        else:
            fig.update_yaxes(row=r, col=c, **_axis(cols[j]))
        label_x, label_y = (True, True) if single else _data.labelled_edges(i, j, k)
        if label_x:
            fig.update_xaxes(row=r, col=c, title_text=xcol.name)
        if k > 1 and label_y:
            fig.update_yaxes(row=r, col=c, title_text=cols[j].name)
    if not single:
        for d in range(k):
            fig.update_xaxes(row=d + 1, col=d + 1, visible=False)
            fig.update_yaxes(row=d + 1, col=d + 1, visible=False)
    size = None if single else max(600, 220 * k)
    fig.update_layout(title={"text": title}, width=size, height=size)
    return fig


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Figure:
    """Plots the target over pairs of parameters as filled contours, with the trials on top.

    With two parameters, one panel; with more, a matrix with one panel per ordered pair (the
    column's parameter on x, the row's on y). The surface interpolates the trials that have
    both parameters (inverse-distance weighting of per-cell means; ``_data._interpolate``), so it
    never leaves the range of values the trials reached.

    Args:
        study: The study.
        params: Parameter names to plot (default: every parameter).
        target: What to plot; required for a multi-objective study.
        target_name: The colour bar's title.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study, or ``params`` names an
            unknown parameter.
    """
    info = _data.pairs_info(study, params, target, target_name, contour=True)
    title = "Contour Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    return _pair_figure(info, title, contour=True)


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Figure:
    """Plots pairs of parameters with each trial coloured by the rank of its target value.

    Ranks spread the colours evenly over the trials whatever the distribution of the values,
    so a few very bad trials do not wash out the rest. With one parameter, the parameter is
    plotted against the target.

    Args:
        study: The study.
        params: Parameter names to plot (default: every parameter).
        target: What to plot; required for a multi-objective study.
        target_name: The colour bar's title.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study, or ``params`` names an
            unknown parameter.
    """
    info = _data.pairs_info(study, params, target, target_name, contour=False)
    title = "Rank Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    return _pair_figure(info, title, contour=False)


# -- parallel coordinates -------------------------------------------------------------------------
def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Figure:
    """Plots each completed trial as a line through its target and parameter values.

    Categorical parameters are axes of their choices; log-scale parameters are log axes. A
    trial without a conditional parameter passes through an ``(inactive)`` tick below that
    axis's range, so conditional branches stay visible and apart from real values.

    Args:
        study: The study.
        params: Parameter names to plot (default: every parameter).
        target: What to plot; required for a multi-objective study.
        target_name: The first axis's title.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study, or ``params`` names an
            unknown parameter.
    """
    info = _data.parallel_info(study, params, target, target_name)
    title = "Parallel Coordinate Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    dims = [
        {
            "label": d.label,
            "values": d.values,
            "range": list(d.bounds),
            "tickvals": d.ticks,
            "ticktext": d.tick_text,
        }
        for d in info.dims
    ]
    line = {
        "color": info.color,
        "colorscale": "Blues",
        "reversescale": not info.reverse_scale,
        "showscale": True,
        "colorbar": {"title": {"text": target_name}},
    }
    return go.Figure(
        data=[go.Parcoords(dimensions=dims, line=line, labelangle=30, labelside="bottom")],
        layout={"title": {"text": title}},
    )


# -- parameter importances ------------------------------------------------------------------------
def plot_param_importances(
    study: Study,
    evaluator: Any = None,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
    importances: Mapping[str, float] | None = None,
) -> Figure:
    """Plots hyperparameter importances as horizontal bars, most important on top.

    Importances come from ``hyperdial.importance.get_param_importances(study,
    evaluator=evaluator, params=params, target=target)``. For a multi-objective study without a
    ``target``, each objective gets its own bars.

    Args:
        study: The study.
        evaluator: An importance evaluator (default: that of ``get_param_importances``).
        params: Parameter names to evaluate (default: every parameter).
        target: What to evaluate; by default the objective (each objective of a
            multi-objective study).
        target_name: The legend's label for the bars.
        importances: ``{name: importance}`` computed beforehand (hyperdial only; Optuna has no
            such argument): drawn as given, with no call to ``hyperdial.importance``.

    Raises:
        ImportError: ``importances`` is not given and ``hyperdial.importance`` is not available.
    """
    info = _data.importance_info(study, evaluator, params, target, target_name, importances)
    title = "Hyperparameter Importances"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    names = info.params[::-1]
    traces = []
    for k, label in enumerate(info.names):
        vals = info.importances[k][::-1]
        err = None
        if info.errors is not None:
            err = {"type": "data", "array": info.errors[k][::-1], "visible": True}
        traces.append(
            go.Bar(
                x=vals,
                y=names,
                orientation="h",
                name=label,
                text=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in vals],
                textposition="outside",
                cliponaxis=False,
                error_x=err,
                marker={"color": COLORS["COMPLETE"]} if len(info.names) == 1 else {},
            )
        )
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": "Hyperparameter Importance"}},
            "yaxis": {"title": {"text": "Hyperparameter"}},
            "barmode": "group",
            "showlegend": len(info.names) > 1,
        },
    )


# -- intermediate values --------------------------------------------------------------------------
def plot_intermediate_values(study: Study) -> Figure:
    """Plots the learning curves (``Trial.report``) of every trial, coloured by its state.

    Each state's curves are one trace (curves separated by gaps), so the figure stays light
    with thousands of trials.
    """
    info = _data.intermediate_info(study)
    title = "Intermediate Values Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    traces = [
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            name=f"{state.capitalize()} ({info.n_trials[state]} trials)",
            line={"color": COLORS[state], "width": 1},
            marker={"size": 3},
            opacity=0.7,
        )
        for state, (x, y) in info.curves.items()
    ]
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": "Step"}},
            "yaxis": {"title": {"text": "Intermediate Value"}},
        },
    )


# -- Pareto front ---------------------------------------------------------------------------------
def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Figure:
    """Plots the completed trials in objective space with the Pareto front highlighted.

    The front is that of the feasible trials; infeasible trials are grey. Feasibility comes
    from ``constraints_func`` when given, else from the constraints the trials recorded with
    ``Trial.set_constraint`` (a value > 0 is a violation).

    Args:
        study: A study with 2 or 3 objectives (any number with ``targets``).
        target_names: Axis titles (default: ``"Objective 0"``, …).
        include_dominated_trials: Also draw the trials off the front.
        constraints_func: ``trial -> constraint values``, as in Optuna.
        targets: ``trial -> the 2 or 3 numbers to plot`` (default: the objective values).
            The front is still computed on the objectives.

    Raises:
        ValueError: the study does not have 2 or 3 objectives and ``targets`` is not given,
            ``targets`` returns a number of values other than 2 or 3, or ``target_names`` has
            the wrong length.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(directions=["minimize", "minimize"])
        >>> study.optimize(
        ...     lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1)),
        ...     n_trials=10)
        >>> fig = hyperdial.visualization.plot_pareto_front(study)
    """
    info = _data.pareto_info(
        study, target_names, include_dominated_trials, constraints_func, targets
    )
    title = "Pareto-front Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    three = info.values.shape[1] == 3
    groups = [("Best Trial", info.best, COLORS["BEST"])]
    if include_dominated_trials:
        groups.insert(0, ("Trial", info.feasible & ~info.best, COLORS["COMPLETE"]))
        if info.has_constraints:
            groups.insert(0, ("Infeasible Trial", ~info.feasible, COLORS["INFEASIBLE"]))
    traces = []
    for name, sel, color in groups:
        v = info.values[sel]
        common = {
            "mode": "markers",
            "name": name,
            "marker": {"color": color, "line": {"width": 0.5, "color": "Grey"}},
            "text": [f"Trial {n}" for n in info.number[sel].tolist()],
            "hovertemplate": "%{text}<extra></extra>",
        }
        if three:
            traces.append(go.Scatter3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], **common))
        else:
            traces.append(go.Scatter(x=v[:, 0], y=v[:, 1], **common))
    n = info.target_names
    layout: dict[str, Any] = {"title": {"text": title}}
    if three:
        layout["scene"] = {
            "xaxis": {"title": {"text": n[0]}},
            "yaxis": {"title": {"text": n[1]}},
            "zaxis": {"title": {"text": n[2]}},
        }
    else:
        layout["xaxis"] = {"title": {"text": n[0]}}
        layout["yaxis"] = {"title": {"text": n[1]}}
    return go.Figure(data=traces, layout=layout)


# -- EDF ------------------------------------------------------------------------------------------
def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Figure:
    """Plots the empirical distribution function of the completed trials' values.

    The curve at ``v`` is the fraction of trials whose value is ≤ ``v``; with several studies,
    one curve each, which compares how often each setting reaches a given value.

    Args:
        study: A study or several.
        target: What to plot; required for a multi-objective study.
        target_name: The x-axis title.

    Raises:
        ValueError: ``target`` is missing for a multi-objective study.
    """
    info = _data.edf_info(study, target, target_name)
    title = "Empirical Distribution Function Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    traces = [
        go.Scatter(
            x=v,
            y=np.arange(1, v.size + 1) / v.size,
            mode="lines",
            line_shape="hv",
            name=name,
        )
        for name, v in zip(info.names, info.values, strict=True)
        if v.size
    ]
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": target_name}},
            "yaxis": {"title": {"text": "Cumulative Probability"}, "range": [0, 1.02]},
            "showlegend": len(traces) > 1,
        },
    )


# -- timeline -------------------------------------------------------------------------------------
def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Figure:
    """Plots each trial as a bar from its start to its end (now, while running), by state.

    Args:
        study: The study.
        n_recent_trials: Plot only the most recent trials (a positive integer).

    Raises:
        ValueError: ``n_recent_trials`` is not a positive integer.
    """
    info = _data.timeline_info(study, n_recent_trials)
    title = "Timeline Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    traces = []
    for state, (number, start, end) in info.groups.items():
        color = COLORS["INFEASIBLE"] if state == INFEASIBLE else COLORS[state]
        traces.append(
            go.Bar(
                x=(end - start) / np.timedelta64(1, "ms"),
                base=start.astype(str),
                y=number,
                orientation="h",
                name=state.capitalize() if state != INFEASIBLE else "Infeasible",
                marker={"color": color},
            )
        )
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": "Datetime"}, "type": "date"},
            "yaxis": {"title": {"text": "Trial"}},
            "barmode": "overlay",
        },
    )


# -- hypervolume ----------------------------------------------------------------------------------
def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Figure:
    """Plots the hypervolume of the feasible completed trials so far, trial by trial.

    The hypervolume is exact (``_hypervolume.hypervolume``): a sweep for two objectives,
    slicing for more. Points not strictly better than ``reference_point`` in every objective
    add nothing.

    Args:
        study: A study with 2 or more objectives.
        reference_point: One number per objective, worse than the points that should count.

    Raises:
        ValueError: the study has one objective, or ``reference_point`` has the wrong length.
    """
    info = _data.hypervolume_info(study, reference_point)
    title = "Hypervolume History Plot"
    if info.note is not None:
        return _note_figure(title, info.note)
    go = _go()
    return go.Figure(
        data=[
            go.Scatter(
                x=info.number,
                y=info.hypervolume,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": COLORS["COMPLETE"]},
                name="Hypervolume",
            )
        ],
        layout={
            "title": {"text": title},
            "xaxis": {"title": {"text": "Trial"}},
            "yaxis": {"title": {"text": "Hypervolume"}},
        },
    )
