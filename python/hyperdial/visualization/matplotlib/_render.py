"""Static figures with matplotlib: thin renderers of what ``hyperdial.visualization._data``
prepares.

matplotlib is imported inside each function (through :func:`_plt`). Figures are created with
``pyplot`` so that ``plt.show()`` and notebooks display them as they do Optuna's. Each function
draws a fixed number of artists whatever the number of trials: one scatter (a
``PathCollection``) per kind of point, one ``Line2D`` per group of curves (NaN-separated), one
``LineCollection`` for the parallel coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.visualization import _data
from hyperdial.visualization._data import COLORS, INFEASIBLE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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


def is_available() -> bool:
    """True when matplotlib is installed (checked without importing it).

    Example:
        >>> from hyperdial.visualization import matplotlib as vis
        >>> isinstance(vis.is_available(), bool)
        True
    """
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _plt() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "hyperdial.visualization.matplotlib draws with matplotlib, which is not installed: "
            "pip install 'hyperdial[plot]' (or matplotlib)."
        ) from e
    return plt


def _axes(figsize: tuple[float, float] = (6.4, 4.8)) -> Axes:
    plt = _plt()
    _, ax = plt.subplots(figsize=figsize)
    result: Axes = ax
    return result


def _note_axes(title: str, note: str) -> Axes:
    ax = _axes()
    ax.set_title(title)
    ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _finish(ax: Axes) -> None:
    ax.grid(True, alpha=0.3)


# -- optimisation history -------------------------------------------------------------------------
def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
    error_bar: bool = False,
) -> Axes:
    """Plots each completed trial's value against its number, with the best value so far.

    See :func:`hyperdial.visualization.plot_optimization_history` for the arguments.

    Example:
        >>> import hyperdial
        >>> from hyperdial.visualization.matplotlib import plot_optimization_history
        >>> study = hyperdial.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
        >>> ax = plot_optimization_history(study)
    """
    info = _data.history_info(study, target, target_name, error_bar)
    title = "Optimization History Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    plt = _plt()
    ax = _axes()
    ax.set_title(title)
    several = len(info.series) > 1
    if info.band is not None:
        b = info.band
        ax.errorbar(
            b.number, b.mean, yerr=b.std, fmt="o", ms=3, color=COLORS["COMPLETE"],
            ecolor="#9ecae1", label=target_name,
        )  # fmt: skip
        if b.best_mean is not None and b.best_std is not None:
            ax.plot(b.number, b.best_mean, color=COLORS["BEST"], label="Best Value")
            ax.fill_between(
                b.number, b.best_mean - b.best_std, b.best_mean + b.best_std,
                color=COLORS["BEST"], alpha=0.2,
            )  # fmt: skip
    else:
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, s in enumerate(info.series):
            color = cycle[k % len(cycle)] if several else COLORS["COMPLETE"]
            label = f"{target_name} of {s.name}" if several else target_name
            ax.scatter(s.number[s.feasible], s.value[s.feasible], s=12, color=color, label=label)
            if not s.feasible.all():
                ax.scatter(
                    s.number[~s.feasible],
                    s.value[~s.feasible],
                    s=12,
                    color=COLORS["INFEASIBLE"],
                    label="Infeasible Trial",
                )
            if s.best is not None:
                ax.step(
                    s.number,
                    s.best,
                    where="post",
                    color=color if several else COLORS["BEST"],
                    label=f"Best Value of {s.name}" if several else "Best Value",
                )
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    ax.legend(loc="best", fontsize="small")
    _finish(ax)
    return ax


# -- slice ----------------------------------------------------------------------------------------
def _set_axis(ax: Axes, col: _data.ParamColumn, which: str, pad: float = 0.5) -> None:
    """Categorical axes show their choices (``pad`` beyond the first and last); log axes are
    log-scaled."""
    if col.categorical:
        ticks = np.arange(len(col.labels))
        lim = (-pad, len(col.labels) - 1 + pad)
        if which == "x":
            crowded = sum(len(c) for c in col.labels) > 16
            ax.set_xticks(ticks, list(col.labels), rotation=30 if crowded else 0)
            if crowded:
                for label in ax.get_xticklabels():
                    label.set_horizontalalignment("right")
            ax.set_xlim(*lim)
        else:
            ax.set_yticks(ticks, list(col.labels))
            ax.set_ylim(*lim)
    elif col.log:
        if which == "x":
            ax.set_xscale("log")
        else:
            ax.set_yscale("log")


def plot_slice(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Axes | np.ndarray:
    """Plots the target against each parameter, one panel per parameter.

    Returns the Axes for one parameter, else a NumPy array of Axes. See
    :func:`hyperdial.visualization.plot_slice` for the arguments.
    """
    info = _data.slice_info(study, params, target, target_name)
    title = "Slice Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    plt = _plt()
    k = len(info.columns)
    fig, axes = plt.subplots(
        1, k, sharey=True, figsize=(max(6.4, 3.0 * k), 4.2), squeeze=False, layout="constrained"
    )
    fig.suptitle(title)
    vmax = max(float(n.max()) if n.size else 0.0 for n in info.number)
    sc = None
    for ax, col, x, y, num in zip(axes[0], info.columns, info.x, info.y, info.number, strict=True):
        sc = ax.scatter(
            x, y, c=num, cmap="Blues", vmin=0, vmax=vmax, s=14, edgecolors="grey", linewidths=0.3
        )
        _set_axis(ax, col, "x")
        ax.set_xlabel(col.name)
        _finish(ax)
    axes[0, 0].set_ylabel(target_name)
    if sc is not None:
        fig.colorbar(sc, ax=axes[0, -1], label="Trial")
    result: Axes | np.ndarray = axes[0, 0] if k == 1 else axes[0]
    return result


# -- contour and rank -----------------------------------------------------------------------------
def _pair_axes(info: _data.PairsInfo, title: str, contour: bool) -> Axes | np.ndarray:
    plt = _plt()
    cols = info.columns
    k = len(cols)
    single = k <= 2
    grid = 1 if single else k
    size = (6.4, 4.8) if single else (2.6 * k + 1.0, 2.4 * k)
    fig, axes = plt.subplots(grid, grid, figsize=size, squeeze=False, layout="constrained")
    fig.suptitle(title)
    lo, hi = info.z_range
    positions = [(0, 1)] if k == 2 else [(0, 0)] if k == 1 else list(info.pairs)
    cmap = "Blues" if info.reverse_scale else "Blues_r"
    mappable = None
    for i, j in positions:
        p = info.pairs[(i, j)]
        ax = axes[0, 0] if single else axes[j, i]
        if p.x.size == 0:
            ax.text(
                0.5, 0.5, "no trial has both", ha="center", va="center",
                transform=ax.transAxes, fontsize=8, color="grey",
            )  # fmt: skip
        if contour:
            if p.grid_z is not None:
                levels = np.linspace(lo, hi, 16) if hi > lo else 15
                mappable = ax.contourf(
                    p.grid_x, p.grid_y, p.grid_z, levels=levels, cmap=cmap, extend="both"
                )
            ax.scatter(p.x, p.y, s=6, color="black", linewidths=0)
        else:
            mappable = ax.scatter(
                p.x, p.y, c=p.z, cmap="RdYlBu" if info.reverse_scale else "RdYlBu_r",
                vmin=0.0, vmax=1.0, s=14, edgecolors="grey", linewidths=0.3,
            )  # fmt: skip
        pad = 0.05 if contour else 0.5
        _set_axis(ax, cols[i], "x", pad)
        if k > 1:
            _set_axis(ax, cols[j], "y", pad)
        label_x, label_y = (True, True) if single else _data.labelled_edges(i, j, k)
        if label_x:
            ax.set_xlabel(cols[i].name)
        else:
            ax.tick_params(labelbottom=False)
        if k == 1:
            ax.set_ylabel(info.target_name)
        elif label_y:
            ax.set_ylabel(cols[j].name)
        else:
            ax.tick_params(labelleft=False)
    if not single:
        for d in range(k):
            axes[d, d].set_axis_off()
    if mappable is not None:
        if contour:
            cb = fig.colorbar(mappable, ax=axes, label=info.target_name, shrink=0.8)
        else:
            cb = fig.colorbar(
                mappable, ax=axes, label=f"{info.target_name} (rank)", ticks=[0.0, 1.0]
            )
            cb.ax.set_yticklabels([f"{lo:.3g}", f"{hi:.3g}"])
    result: Axes | np.ndarray = axes[0, 0] if single else axes
    return result


def plot_contour(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Axes | np.ndarray:
    """Plots the target over pairs of parameters as filled contours, with the trials on top.

    Returns the Axes for two parameters, else a ``(k, k)`` array of Axes (diagonal blank). See
    :func:`hyperdial.visualization.plot_contour` for the arguments.
    """
    info = _data.pairs_info(study, params, target, target_name, contour=True)
    title = "Contour Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    return _pair_axes(info, title, contour=True)


def plot_rank(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Axes | np.ndarray:
    """Plots pairs of parameters with each trial coloured by the rank of its target value.

    Returns the Axes for one or two parameters, else a ``(k, k)`` array of Axes. See
    :func:`hyperdial.visualization.plot_rank` for the arguments.
    """
    info = _data.pairs_info(study, params, target, target_name, contour=False)
    title = "Rank Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    return _pair_axes(info, title, contour=False)


# -- parallel coordinates -------------------------------------------------------------------------
def plot_parallel_coordinate(
    study: Study,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Axes:
    """Plots each completed trial as a line through its target and parameter values.

    Each axis is scaled to its own range; trials without a conditional parameter pass through
    an ``(inactive)`` tick below it. See
    :func:`hyperdial.visualization.plot_parallel_coordinate` for the arguments.
    """
    info = _data.parallel_info(study, params, target, target_name)
    title = "Parallel Coordinate Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    plt = _plt()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    d = len(info.dims)
    ax = _axes(figsize=(max(6.4, 1.6 * d + 1.5), 4.8))
    ax.set_title(title)
    ys = np.stack([(x.values - x.bounds[0]) / (x.bounds[1] - x.bounds[0]) for x in info.dims])
    segments = np.stack([np.broadcast_to(np.arange(d, dtype=float), ys.T.shape), ys.T], axis=-1)
    # Blues without its near-white end, so the worst trials stay visible on a white background.
    from matplotlib.colors import ListedColormap

    shades = plt.get_cmap("Blues")(np.linspace(0.3, 1.0, 256))
    cmap = ListedColormap(shades if info.reverse_scale else shades[::-1])
    norm = Normalize(float(info.color.min()), float(info.color.max()))
    lines = LineCollection(list(segments), cmap=cmap, norm=norm, linewidths=0.8, alpha=0.7)
    lines.set_array(info.color)
    ax.add_collection(lines)
    for k, dim in enumerate(info.dims):
        ax.axvline(k, color="black", linewidth=0.8)
        pos = (dim.ticks - dim.bounds[0]) / (dim.bounds[1] - dim.bounds[0])
        for p, text in zip(pos.tolist(), dim.tick_text, strict=True):
            ax.text(
                k - 0.03, p, text, ha="right", va="center", fontsize=7,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7,
                      "linewidth": 0},
            )  # fmt: skip
    ax.set_xlim(-0.4, d - 0.6)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xticks(range(d), [x.label for x in info.dims], rotation=20 if d > 5 else 0)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.figure.colorbar(lines, ax=ax, label=target_name)
    return ax


# -- parameter importances ------------------------------------------------------------------------
def plot_param_importances(
    study: Study,
    evaluator: Any = None,
    params: list[str] | None = None,
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
    importances: Mapping[str, float] | None = None,
) -> Axes:
    """Plots hyperparameter importances as horizontal bars, most important on top.

    See :func:`hyperdial.visualization.plot_param_importances` for the arguments.
    """
    info = _data.importance_info(study, evaluator, params, target, target_name, importances)
    title = "Hyperparameter Importances"
    if info.note is not None:
        return _note_axes(title, info.note)
    n_targets, n_params = info.importances.shape
    ax = _axes(figsize=(6.4, max(3.0, 0.45 * n_params * n_targets + 1.5)))
    ax.set_title(title)
    height = 0.8 / n_targets
    y = np.arange(n_params)[::-1].astype(float)
    for k, label in enumerate(info.names):
        offset = (n_targets - 1 - 2 * k) * height / 2
        err = None if info.errors is None else info.errors[k]
        bars = ax.barh(
            y + offset,
            info.importances[k],
            height=height,
            xerr=err,
            label=label,
            color=COLORS["COMPLETE"] if n_targets == 1 else None,
        )
        ax.bar_label(
            bars,
            labels=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in info.importances[k]],
            padding=3,
            fontsize=8,
        )
    ax.set_yticks(y, info.params)
    ax.set_xlabel("Hyperparameter Importance")
    ax.set_ylabel("Hyperparameter")
    ax.set_xlim(0, max(float(info.importances.max()), 1e-12) * 1.18)
    if n_targets > 1:
        ax.legend(loc="lower right", fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    return ax


# -- intermediate values --------------------------------------------------------------------------
def plot_intermediate_values(study: Study) -> Axes:
    """Plots the learning curves (``Trial.report``) of every trial, coloured by its state."""
    info = _data.intermediate_info(study)
    title = "Intermediate Values Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    ax = _axes()
    ax.set_title(title)
    for state, (x, y) in info.curves.items():
        ax.plot(
            x,
            y,
            marker=".",
            ms=3,
            linewidth=0.8,
            alpha=0.6,
            color=COLORS[state],
            label=f"{state.capitalize()} ({info.n_trials[state]} trials)",
        )
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    ax.legend(loc="best", fontsize="small")
    _finish(ax)
    return ax


# -- Pareto front ---------------------------------------------------------------------------------
def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Axes:
    """Plots the completed trials in objective space with the Pareto front highlighted.

    Three plotted values give a 3-d Axes. See :func:`hyperdial.visualization.plot_pareto_front`
    for the arguments.
    """
    info = _data.pareto_info(
        study, target_names, include_dominated_trials, constraints_func, targets
    )
    title = "Pareto-front Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    plt = _plt()
    three = info.values.shape[1] == 3
    if three:
        fig = plt.figure(figsize=(6.4, 5.6))
        ax: Any = fig.add_subplot(projection="3d")
    else:
        ax = _axes()
    ax.set_title(title)
    groups = [("Best Trial", info.best, COLORS["BEST"])]
    if include_dominated_trials:
        groups.insert(0, ("Trial", info.feasible & ~info.best, COLORS["COMPLETE"]))
        if info.has_constraints:
            groups.insert(0, ("Infeasible Trial", ~info.feasible, COLORS["INFEASIBLE"]))
    for name, sel, color in groups:
        v = info.values[sel]
        ax.scatter(*v.T, s=16, color=color, edgecolors="grey", linewidths=0.3, label=name)
    ax.set_xlabel(info.target_names[0])
    ax.set_ylabel(info.target_names[1])
    if three:
        ax.set_zlabel(info.target_names[2])
    else:
        _finish(ax)
    ax.legend(loc="best", fontsize="small")
    result: Axes = ax
    return result


# -- EDF ------------------------------------------------------------------------------------------
def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Callable[[FrozenTrial], float] | None = None,
    target_name: str = "Objective Value",
) -> Axes:
    """Plots the empirical distribution function of the completed trials' values.

    See :func:`hyperdial.visualization.plot_edf` for the arguments.
    """
    info = _data.edf_info(study, target, target_name)
    title = "Empirical Distribution Function Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    ax = _axes()
    ax.set_title(title)
    for name, v in zip(info.names, info.values, strict=True):
        if v.size:
            ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label=name)
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1.02)
    if len(info.names) > 1:
        ax.legend(loc="best", fontsize="small")
    _finish(ax)
    return ax


# -- timeline -------------------------------------------------------------------------------------
def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Axes:
    """Plots each trial as a bar from its start to its end (now, while running), by state.

    See :func:`hyperdial.visualization.plot_timeline` for the arguments.
    """
    info = _data.timeline_info(study, n_recent_trials)
    title = "Timeline Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    import matplotlib.dates

    mdates: Any = matplotlib.dates  # partly untyped

    from matplotlib.collections import PolyCollection

    ax = _axes()
    ax.set_title(title)
    # One PolyCollection of rectangles per state: a Rectangle patch per trial is far slower
    # to draw with thousands of trials.
    lo, hi = np.inf, -np.inf
    for state, (number, start, end) in info.groups.items():
        color = COLORS["INFEASIBLE"] if state == INFEASIBLE else COLORS[state]
        left = np.asarray(mdates.date2num(start), dtype=float)
        right = np.maximum(np.asarray(mdates.date2num(end), dtype=float), left)
        y0, y1 = number - 0.4, number + 0.4
        verts = np.stack(
            [np.stack(c, axis=-1) for c in ((left, y0), (left, y1), (right, y1), (right, y0))],
            axis=1,
        )
        label = state.capitalize() if state != INFEASIBLE else "Infeasible"
        # An edge as wide as a line keeps bars of sub-pixel duration visible.
        bars = PolyCollection(
            list(verts), facecolors=color, edgecolors=color, linewidths=0.8, label=label
        )
        ax.add_collection(bars)
        lo, hi = min(lo, float(left.min())), max(hi, float(right.max()))
        ax.update_datalim([(lo, float(y0.min())), (hi, float(y1.max()))])
    ax.xaxis_date()
    ax.autoscale_view()
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    ax.legend(loc="best", fontsize="small")
    _finish(ax)
    return ax


# -- hypervolume ----------------------------------------------------------------------------------
def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Axes:
    """Plots the hypervolume of the feasible completed trials so far, trial by trial.

    See :func:`hyperdial.visualization.plot_hypervolume_history` for the arguments.
    """
    info = _data.hypervolume_info(study, reference_point)
    title = "Hypervolume History Plot"
    if info.note is not None:
        return _note_axes(title, info.note)
    ax = _axes()
    ax.set_title(title)
    ax.plot(
        info.number, info.hypervolume, marker=".", ms=4, color=COLORS["COMPLETE"],
        label="Hypervolume",
    )  # fmt: skip
    ax.set_xlabel("Trial")
    ax.set_ylabel("Hypervolume")
    _finish(ax)
    return ax
