"""Study → arrays: the data preparation the plotly and matplotlib renderers share.

Each plot has one ``*_info`` function here that validates the arguments (errors name the
parameter), reads the study once into a :class:`TrialTable` and returns a small dataclass of
NumPy arrays and labels. The renderers (``_plotly.py`` and ``matplotlib/_render.py``) only draw
what it holds, so both flavours show the same data and raise the same errors. When there is
nothing to draw (no trial, none completed, all pruned or failed) an info carries a ``note``
instead, and the renderers draw that sentence in an otherwise empty figure.

Arrays, for a table of ``n`` trials (ordered by number) and ``m`` objectives:
    number: (n,) int64; state: (n,) int64 (``TrialState`` values)
    values: (n, m) float64, NaN unless the trial is COMPLETE
    feasible: (n,) bool, every constraint ≤ 0 (True without constraints)
    start / end: (n,) float64 POSIX seconds, NaN when unknown
    a parameter column: (n,) float64, the value (numbers) or the choice's index (categoricals),
    NaN where the trial does not have the parameter (conditional search spaces).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.trial import FrozenTrial, TrialState
from hyperdial.visualization._hypervolume import hypervolume, nondominated_mask

if TYPE_CHECKING:
    from hyperdial.study import Study

Target = Callable[[FrozenTrial], float] | None

NO_TRIALS = "The study has no trials yet."
NO_COMPLETE = "No completed trials to plot ({counts})."

_STATE_NAMES = {int(s): s.name for s in TrialState}

# One colour per kind of point, the same in both flavours.
COLORS = {
    "COMPLETE": "#1f77b4",
    "BEST": "#d62728",
    "PRUNED": "#ff7f0e",
    "FAIL": "#7f7f7f",
    "RUNNING": "#2ca02c",
    "WAITING": "#9467bd",
    "INFEASIBLE": "#c7c7c7",
}


# -- reading a study ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamColumn:
    """One parameter across the table's trials.

    ``kind`` is ``"float"``, ``"int"`` or ``"categorical"``; ``low``/``high`` span every
    distribution the parameter had (``0`` and ``len(labels) - 1`` for categoricals); ``labels``
    are the choices as text, in the order of their indices.
    """

    name: str
    kind: str
    values: np.ndarray
    log: bool
    low: float
    high: float
    labels: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return self.kind == "categorical"


@dataclass
class TrialTable:
    """A study's trials as arrays (see the module docstring for the shapes)."""

    trials: list[FrozenTrial]
    directions: list[StudyDirection]
    number: np.ndarray
    state: np.ndarray
    values: np.ndarray
    feasible: np.ndarray
    has_constraints: bool
    start: np.ndarray
    end: np.ndarray
    params: dict[str, ParamColumn]
    study_name: str = ""

    def rows(self, state: TrialState) -> np.ndarray:
        """Row indices of the trials in ``state``."""
        return np.flatnonzero(self.state == int(state))

    def counts(self) -> str:
        """``"3 pruned, 2 failed"``: the trials by state, for notes."""
        if self.state.size == 0:
            return "no trials"
        states, n = np.unique(self.state, return_counts=True)
        return ", ".join(
            f"{c} {_STATE_NAMES[int(s)].lower()}" for s, c in zip(states, n, strict=True)
        )


def _timestamp(d: datetime.datetime | None) -> float:
    if d is None:
        return math.nan
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def read_study(study: Study) -> TrialTable:
    """Reads every trial of ``study`` into a :class:`TrialTable` (one pass over the trials)."""
    trials = study.get_trials(deepcopy=False)
    directions = study.directions
    n, m = len(trials), len(directions)
    number = np.fromiter((t.number for t in trials), dtype=np.int64, count=n)
    state = np.fromiter((int(t.state) for t in trials), dtype=np.int64, count=n)
    values = np.full((n, m), np.nan)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    feasible = np.ones(n, dtype=bool)
    has_constraints = False
    raw: dict[str, tuple[list[int], list[Any], list[Any]]] = {}
    for i, t in enumerate(trials):
        if t.state == TrialState.COMPLETE and t.values is not None and len(t.values) == m:
            values[i] = t.values
        start[i] = _timestamp(t.datetime_start)
        end[i] = _timestamp(t.datetime_complete)
        cons = t.constraints
        if cons:
            has_constraints = True
            feasible[i] = t.is_feasible()
        for name, value in t.params.items():
            col = raw.setdefault(name, ([], [], []))
            col[0].append(i)
            col[1].append(value)
            col[2].append(t.distributions[name])
    params = {name: _column(name, n, *raw[name]) for name in sorted(raw)}
    return TrialTable(
        trials=trials,
        directions=directions,
        number=number,
        state=state,
        values=values,
        feasible=feasible,
        has_constraints=has_constraints,
        start=start,
        end=end,
        params=params,
        study_name=getattr(study, "study_name", ""),
    )


def _column(
    name: str, n: int, rows: list[int], values: list[Any], dists: list[Any]
) -> ParamColumn:
    out = np.full(n, np.nan)
    idx = np.asarray(rows, dtype=np.int64)
    if all(isinstance(d, CategoricalDistribution) for d in dists):
        codes: dict[str, int] = {}
        for d in dict.fromkeys(dists):  # the distributions in first-seen order, each once
            for c in d.choices:
                codes.setdefault(str(c), len(codes))
        out[idx] = [codes[str(v)] for v in values]
        return ParamColumn(name, "categorical", out, False, 0.0, len(codes) - 1.0, tuple(codes))
    if any(isinstance(d, CategoricalDistribution) for d in dists):
        # A name that was categorical in some trials and numeric in others: draw it as
        # categories, the only axis every value fits on.
        labels = tuple(dict.fromkeys(str(v) for v in values))
        lookup = {s: k for k, s in enumerate(labels)}
        out[idx] = [lookup[str(v)] for v in values]
        return ParamColumn(name, "categorical", out, False, 0.0, len(labels) - 1.0, labels)
    out[idx] = np.asarray(values, dtype=float)
    numeric = [d for d in dists if isinstance(d, (FloatDistribution, IntDistribution))]
    low = min(float(d.low) for d in numeric)
    high = max(float(d.high) for d in numeric)
    log = any(d.log for d in numeric)
    kind = "int" if all(isinstance(d, IntDistribution) for d in numeric) else "float"
    return ParamColumn(name, kind, out, log, low, high)


# -- shared argument checks -------------------------------------------------------------------
def check_target(study: Study, target: Target, *, name: str = "target") -> None:
    """A multi-objective study needs ``target`` to say which number to plot."""
    n = len(study.directions)
    if target is None and n > 1:
        raise ValueError(
            f"`{name}` must be given for a multi-objective study (it has {n} objectives), e.g. "
            f"{name}=lambda t: t.values[0]."
        )
    if target is not None and not callable(target):
        raise TypeError(f"`{name}` must be a callable taking a FrozenTrial, got {target!r}.")


def target_values(table: TrialTable, rows: np.ndarray, target: Target) -> np.ndarray:
    """The plotted number of each row: the objective value, or ``target(trial)``."""
    if target is None:
        return np.asarray(table.values[rows, 0], dtype=float)
    return np.fromiter(
        (float(target(table.trials[i])) for i in rows), dtype=float, count=rows.size
    )


def _finite_complete(table: TrialTable, target: Target) -> tuple[np.ndarray, np.ndarray]:
    rows = table.rows(TrialState.COMPLETE)
    y = target_values(table, rows, target)
    ok = np.isfinite(y)
    return rows[ok], y[ok]


def _empty_note(table: TrialTable) -> str:
    return NO_TRIALS if table.state.size == 0 else NO_COMPLETE.format(counts=table.counts())


def select_params(
    table: TrialTable, rows: np.ndarray, params: Sequence[str] | None
) -> list[ParamColumn]:
    """The columns to plot: ``params`` in the order given, or every parameter the rows have."""
    present = [c for c in table.params.values() if np.any(~np.isnan(c.values[rows]))]
    if params is None:
        return present
    if isinstance(params, str):
        raise TypeError(f"`params` must be a list of parameter names, got the string {params!r}.")
    unknown = [p for p in params if p not in table.params]
    if unknown:
        raise ValueError(
            f"`params` names parameters the study does not have: {unknown}; "
            f"it has {sorted(table.params)}."
        )
    return [table.params[p] for p in params]


# -- optimisation history -------------------------------------------------------------------------
@dataclass
class HistorySeries:
    """One study's completed trials: ``number``, ``value``, ``feasible`` and the best-so-far
    ``best`` (NaN before the first feasible trial; None when a ``target`` is plotted)."""

    name: str
    number: np.ndarray
    value: np.ndarray
    feasible: np.ndarray
    best: np.ndarray | None


@dataclass
class HistoryBand:
    """Mean and standard deviation over several studies, per trial number."""

    number: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    best_mean: np.ndarray | None
    best_std: np.ndarray | None


@dataclass
class HistoryInfo:
    series: list[HistorySeries]
    band: HistoryBand | None
    target_name: str
    note: str | None = None


def _as_studies(study: Study | Sequence[Study]) -> list[Study]:
    if isinstance(study, Sequence):
        studies = list(study)
        if not studies:
            raise ValueError("`study` must be a Study or a non-empty sequence of studies.")
        return studies
    return [study]


def _best_so_far(value: np.ndarray, ok: np.ndarray, maximize: bool) -> np.ndarray:
    fill = -np.inf if maximize else np.inf
    v = np.where(ok, value, fill)
    acc = np.maximum.accumulate(v) if maximize else np.minimum.accumulate(v)
    return np.where(np.isinf(acc) & (acc == fill), np.nan, acc)


def _nan_mean_std(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and standard deviation ignoring NaN (NaN for an all-NaN column)."""
    ok = ~np.isnan(a)
    cnt = ok.sum(axis=0)
    s = np.where(ok, a, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
        dev = np.where(ok, a - mean, 0.0)
        std = np.where(cnt > 0, np.sqrt((dev**2).sum(axis=0) / np.maximum(cnt, 1)), np.nan)
    return mean, std


def history_info(
    study: Study | Sequence[Study], target: Target, target_name: str, error_bar: bool
) -> HistoryInfo:
    studies = _as_studies(study)
    for s in studies:
        check_target(s, target)
    if target is None:
        dirs = {s.direction for s in studies}
        if len(dirs) > 1:
            raise ValueError(
                "`study`: every study must have the same direction to share one plot, got "
                f"{sorted(d.name for d in dirs)}."
            )
    series = []
    notes = []
    for s in studies:
        table = read_study(s)
        rows, y = _finite_complete(table, target)
        if rows.size == 0:
            notes.append(_empty_note(table))
        feas = table.feasible[rows]
        best = None
        if target is None:
            best = _best_so_far(y, feas, s.direction == StudyDirection.MAXIMIZE)
        series.append(HistorySeries(table.study_name, table.number[rows], y, feas, best))
    if all(x.number.size == 0 for x in series):
        return HistoryInfo(series, None, target_name, note=notes[0])
    band = None
    if error_bar:
        n = 1 + max(int(x.number.max()) for x in series if x.number.size)
        vals = np.full((len(series), n), np.nan)
        bests = np.full((len(series), n), np.nan)
        for k, x in enumerate(series):
            vals[k, x.number] = x.value
            if x.best is not None:
                bests[k, x.number] = x.best
        number = np.flatnonzero(np.any(~np.isnan(vals), axis=0))
        mean, std = _nan_mean_std(vals[:, number])
        best_mean = best_std = None
        if target is None:
            # The best so far is defined at every number after a study's first trial.
            maximize = studies[0].direction == StudyDirection.MAXIMIZE
            filled = np.stack([_best_so_far(b, ~np.isnan(b), maximize) for b in bests], axis=0)
            best_mean, best_std = _nan_mean_std(filled[:, number])
        band = HistoryBand(number, mean, std, best_mean, best_std)
    return HistoryInfo(series, band, target_name)


# -- slice and rank -------------------------------------------------------------------------------
@dataclass
class SliceInfo:
    """Per parameter: the rows that have it, the parameter's values there and the target."""

    target_name: str
    columns: list[ParamColumn]
    x: list[np.ndarray]
    y: list[np.ndarray]
    number: list[np.ndarray]
    note: str | None = None


def slice_info(
    study: Study, params: Sequence[str] | None, target: Target, target_name: str
) -> SliceInfo:
    check_target(study, target)
    table = read_study(study)
    rows, y = _finite_complete(table, target)
    if rows.size == 0:
        return SliceInfo(target_name, [], [], [], [], note=_empty_note(table))
    cols = select_params(table, rows, params)
    xs, ys, ns = [], [], []
    for c in cols:
        v = c.values[rows]
        has = ~np.isnan(v)
        xs.append(v[has])
        ys.append(y[has])
        ns.append(table.number[rows][has])
    note = None if cols else "The completed trials have no parameters."
    return SliceInfo(target_name, cols, xs, ys, ns, note)


@dataclass
class PairInfo:
    """Trials that have both parameters of a pair (x is the column, y the row parameter)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    grid_x: np.ndarray | None = None
    grid_y: np.ndarray | None = None
    grid_z: np.ndarray | None = None


@dataclass
class PairsInfo:
    """Contour and rank plots: ``pairs[(i, j)]`` for column ``i`` on x and ``j`` on y.

    With one parameter, ``pairs[(0, 0)]`` holds the parameter against the target itself.
    ``rank`` is the colour of each point in the rank plot: the target's rank scaled to [0, 1].
    """

    target_name: str
    columns: list[ParamColumn]
    pairs: dict[tuple[int, int], PairInfo] = field(default_factory=dict)
    z_range: tuple[float, float] = (0.0, 1.0)
    reverse_scale: bool = False
    note: str | None = None


def labelled_edges(i: int, j: int, k: int) -> tuple[bool, bool]:
    """In a k × k matrix of pair panels with a blank diagonal, whether panel (x=i, y=j) carries
    the x-axis labels (the lowest panel of its column) and the y-axis labels (the leftmost
    panel of its row)."""
    bottom = k - 1 if i != k - 1 else k - 2
    left = 0 if j != 0 else 1
    return j == bottom, i == left


def _to_plot(col: ParamColumn, v: np.ndarray) -> np.ndarray:
    """Values in the axis's own linear coordinate: log10 for log axes."""
    return np.log10(v) if col.log else v


def _grid(col: ParamColumn, v: np.ndarray, n: int) -> np.ndarray:
    """Grid points along one axis in data units: the choices, or ``n`` points over the range
    the trials span (log-spaced on log axes)."""
    if col.categorical:
        return np.arange(len(col.labels), dtype=float)
    lo, hi = float(np.min(v)), float(np.max(v))
    if lo == hi:
        lo, hi = col.low, col.high
    if col.log:
        return np.logspace(math.log10(lo), math.log10(hi), n)
    return np.linspace(lo, hi, n)


def _interpolate(
    px: np.ndarray, py: np.ndarray, z: np.ndarray, gx: np.ndarray, gy: np.ndarray
) -> np.ndarray:
    """``z`` at the points (px, py), spread over the grid gx × gy (all in [0, 1] units).

    Points are averaged per grid cell first, so the work is bounded by the grid size whatever
    the number of trials; then inverse-distance weighting (power 2; Shepard, "A two-dimensional
    interpolation function for irregularly-spaced data", ACM 1968) fills every cell. It passes
    through the cell means and stays within the range of the data, so the contour never
    shows a value no trial reached.
    """
    nx, ny = gx.size, gy.size
    ix = np.clip(np.searchsorted((gx[1:] + gx[:-1]) / 2, px), 0, nx - 1)
    iy = np.clip(np.searchsorted((gy[1:] + gy[:-1]) / 2, py), 0, ny - 1)
    cell = iy * nx + ix
    cnt = np.bincount(cell, minlength=nx * ny)
    total = np.bincount(cell, weights=z, minlength=nx * ny)
    known = np.flatnonzero(cnt)
    kz = total[known] / cnt[known]
    kx, ky = gx[known % nx], gy[known // nx]
    mx, my = np.meshgrid(gx, gy)
    mx, my = mx.ravel(), my.ravel()
    out = np.empty(nx * ny)
    chunk = max(1, 2_000_000 // max(known.size, 1))
    for s in range(0, out.size, chunk):
        d2 = (mx[s : s + chunk, None] - kx) ** 2 + (my[s : s + chunk, None] - ky) ** 2
        w = 1.0 / np.maximum(d2, 1e-12)
        out[s : s + chunk] = (w @ kz) / w.sum(axis=1)
    out[known] = kz
    return out.reshape(ny, nx)


def _unit(col: ParamColumn, v: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Maps data values onto [0, 1] using the span of ``ref`` (log10 on log axes)."""
    a, r = _to_plot(col, v), _to_plot(col, ref)
    lo, hi = float(np.min(r)), float(np.max(r))
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def pairs_info(
    study: Study,
    params: Sequence[str] | None,
    target: Target,
    target_name: str,
    *,
    contour: bool,
    grid_size: int = 40,
) -> PairsInfo:
    check_target(study, target)
    table = read_study(study)
    rows, y = _finite_complete(table, target)
    if rows.size == 0:
        return PairsInfo(target_name, [], note=_empty_note(table))
    cols = select_params(table, rows, params)
    if not cols:
        return PairsInfo(target_name, [], note="The completed trials have no parameters.")
    if contour and len(cols) < 2:
        return PairsInfo(
            target_name,
            cols,
            note=f"A contour plot needs two parameters; there is only {cols[0].name!r}.",
        )
    maximize = target is None and study.direction == StudyDirection.MAXIMIZE
    info = PairsInfo(target_name, cols, reverse_scale=maximize)
    info.z_range = (float(np.min(y)), float(np.max(y)))
    # Rank of each completed trial's target, scaled to [0, 1] (0: the smallest).
    order = np.argsort(y, kind="stable")
    rank = np.empty(y.size)
    rank[order] = np.arange(y.size) / max(y.size - 1, 1)
    zs = y if contour else rank
    if len(cols) == 1:
        v = cols[0].values[rows]
        has = ~np.isnan(v)
        info.pairs[(0, 0)] = PairInfo(v[has], y[has], zs[has])
        return info
    for i, cx in enumerate(cols):
        for j, cy in enumerate(cols):
            if i == j:
                continue
            if contour and (j, i) in info.pairs:
                t = info.pairs[(j, i)]
                info.pairs[(i, j)] = PairInfo(
                    t.y, t.x, t.z, t.grid_y, t.grid_x, None if t.grid_z is None else t.grid_z.T
                )
                continue
            vx, vy = cx.values[rows], cy.values[rows]
            has = ~np.isnan(vx) & ~np.isnan(vy)
            p = PairInfo(vx[has], vy[has], zs[has])
            if contour and has.sum() >= 2:
                gx = _grid(cx, p.x, grid_size)
                gy = _grid(cy, p.y, grid_size)
                if gx.size >= 2 and gy.size >= 2:
                    p.grid_x, p.grid_y = gx, gy
                    p.grid_z = _interpolate(
                        _unit(cx, p.x, gx),
                        _unit(cy, p.y, gy),
                        p.z,
                        _unit(cx, gx, gx),
                        _unit(cy, gy, gy),
                    )
            info.pairs[(i, j)] = p
    return info


# -- parallel coordinates -------------------------------------------------------------------------
INACTIVE = "(inactive)"


@dataclass
class Dimension:
    """One vertical axis: ``values`` in the axis's own coordinate (log10 on log axes, the
    index for categoricals), ``ticks`` and ``tick_text`` to label it, ``bounds`` its range.

    Trials that do not have a conditional parameter sit on an extra tick just below the range,
    labelled ``(inactive)``, so they stay visible without being mistaken for a value."""

    label: str
    values: np.ndarray
    ticks: np.ndarray
    tick_text: list[str]
    bounds: tuple[float, float]


@dataclass
class ParallelInfo:
    target_name: str
    dims: list[Dimension]
    color: np.ndarray
    reverse_scale: bool
    note: str | None = None


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _numeric_ticks(lo: float, hi: float, log: bool) -> tuple[np.ndarray, list[str]]:
    if hi <= lo:
        return np.array([lo]), [_fmt(10**lo if log else lo)]
    if log:
        first, last = math.ceil(lo), math.floor(hi)
        if last - first >= 1:
            step = max(1, math.ceil((last - first + 1) / 6))
            t = np.arange(first, last + 1, step, dtype=float)
            return t, [_fmt(10**x) for x in t]
        t = np.linspace(lo, hi, 5)
        return t, [_fmt(10**x) for x in t]
    t = np.linspace(lo, hi, 5)
    return t, [_fmt(x) for x in t]


def _dimension(label: str, v: np.ndarray, col: ParamColumn | None) -> Dimension:
    if col is not None and col.categorical:
        ticks = np.arange(len(col.labels), dtype=float)
        text = list(col.labels)
        lo, hi = 0.0, max(len(col.labels) - 1.0, 0.0)
        coord = v.copy()
    else:
        log = col is not None and col.log
        coord = np.log10(v) if log else v.copy()
        finite = coord[np.isfinite(coord)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        ticks, text = _numeric_ticks(lo, hi, log)
    missing = np.isnan(coord)
    if missing.any():
        span = hi - lo if hi > lo else 1.0
        below = lo - 0.15 * span
        coord[missing] = below
        ticks = np.append(below, ticks)
        text = [INACTIVE, *text]
        lo = below
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return Dimension(label, coord, ticks, text, (lo, hi))


def parallel_info(
    study: Study, params: Sequence[str] | None, target: Target, target_name: str
) -> ParallelInfo:
    check_target(study, target)
    table = read_study(study)
    rows, y = _finite_complete(table, target)
    if rows.size == 0:
        return ParallelInfo(target_name, [], y, False, note=_empty_note(table))
    cols = select_params(table, rows, params)
    dims = [_dimension(target_name, y, None)]
    dims += [_dimension(c.name, c.values[rows], c) for c in cols]
    maximize = target is None and study.direction == StudyDirection.MAXIMIZE
    note = None if cols else "The completed trials have no parameters."
    return ParallelInfo(target_name, dims, y, maximize, note)


# -- parameter importances ------------------------------------------------------------------------
@dataclass
class ImportanceInfo:
    """``importances[k]`` are the importances for ``names[k]`` (one target per row, in the
    parameter order of ``params``, most important first for the first target). ``errors``, when
    known, are one standard error per importance in the same layout."""

    params: list[str]
    names: list[str]
    importances: np.ndarray
    errors: np.ndarray | None = None
    note: str | None = None


def importance_info(
    study: Study,
    evaluator: Any,
    params: Sequence[str] | None,
    target: Target,
    target_name: str,
    importances: Mapping[str, float] | None = None,
) -> ImportanceInfo:
    """Reads the importances from ``importances`` or computes them with
    ``hyperdial.importance.get_param_importances`` (one call per objective of a
    multi-objective study when no ``target`` is given)."""
    if target is not None and not callable(target):
        raise TypeError(f"`target` must be a callable taking a FrozenTrial, got {target!r}.")
    per_target: list[Mapping[str, float]]
    if importances is not None:
        if params is not None:
            importances = {p: v for p, v in importances.items() if p in params}
        per_target, names = [importances], [target_name]
    else:
        table = read_study(study)
        if table.rows(TrialState.COMPLETE).size == 0:
            return ImportanceInfo([], [], np.zeros((0, 0)), note=_empty_note(table))
        from hyperdial.importance import get_param_importances as get

        n_obj = len(study.directions)
        if target is None and n_obj > 1:
            targets: list[Target] = [_objective(k) for k in range(n_obj)]
            names = [f"{target_name} {k}" for k in range(n_obj)]
        else:
            targets, names = [target], [target_name]
        per_target = [get(study, evaluator=evaluator, params=params, target=t) for t in targets]
    first = per_target[0]
    order = sorted(first, key=lambda p: -float(first[p]))
    for d in per_target[1:]:
        order += [p for p in d if p not in order]
    imp = np.array([[float(d.get(p, 0.0)) for p in order] for d in per_target]).reshape(
        len(per_target), len(order)
    )
    note = None if order else "No parameter to rank."
    return ImportanceInfo(order, names, imp, note=note)


def _objective(k: int) -> Callable[[FrozenTrial], float]:
    def value(t: FrozenTrial) -> float:
        assert t.values is not None
        return t.values[k]

    return value


# -- intermediate values --------------------------------------------------------------------------
@dataclass
class IntermediateInfo:
    """Learning curves grouped by the trial's state: ``curves[state name] = (step, value)``,
    each curve's points in step order and consecutive curves separated by a NaN (so a whole
    group is one polyline with gaps)."""

    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    n_trials: dict[str, int]
    note: str | None = None


def intermediate_info(study: Study) -> IntermediateInfo:
    table = read_study(study)
    tid: list[int] = []
    steps: list[int] = []
    vals: list[float] = []
    for i, t in enumerate(table.trials):
        iv = t.intermediate_values
        if iv:
            tid.extend([i] * len(iv))
            steps.extend(iv.keys())
            vals.extend(iv.values())
    if not tid:
        note = NO_TRIALS if not table.trials else "No trial reported intermediate values."
        return IntermediateInfo({}, {}, note=note)
    t_arr = np.asarray(tid, dtype=np.int64)
    s_arr = np.asarray(steps, dtype=float)
    v_arr = np.asarray(vals, dtype=float)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    n_trials: dict[str, int] = {}
    for st in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.FAIL):
        sel = table.state[t_arr] == int(st)
        if not sel.any():
            continue
        tt, ss, vv = t_arr[sel], s_arr[sel], v_arr[sel]
        order = np.lexsort((ss, tt))
        tt, ss, vv = tt[order], ss[order], vv[order]
        breaks = np.flatnonzero(np.diff(tt)) + 1
        curves[st.name] = (np.insert(ss, breaks, np.nan), np.insert(vv, breaks, np.nan))
        n_trials[st.name] = int(np.unique(tt).size)
    return IntermediateInfo(curves, n_trials)


# -- Pareto front ---------------------------------------------------------------------------------
@dataclass
class ParetoInfo:
    """``values`` ``(n, k)`` of the plotted trials (k = 2 or 3); ``best``: on the Pareto front
    of the feasible trials; ``feasible``; ``number``."""

    target_names: list[str]
    values: np.ndarray
    number: np.ndarray
    best: np.ndarray
    feasible: np.ndarray
    has_constraints: bool
    include_dominated_trials: bool
    note: str | None = None


def _loss(table: TrialTable, rows: np.ndarray) -> np.ndarray:
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in table.directions])
    out: np.ndarray = table.values[rows] * signs
    return out


def pareto_info(
    study: Study,
    target_names: Sequence[str] | None,
    include_dominated_trials: bool,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
) -> ParetoInfo:
    table = read_study(study)
    n_obj = len(study.directions)
    if targets is None and n_obj not in (2, 3):
        raise ValueError(
            f"`study` must have 2 or 3 objectives to plot its Pareto front, it has {n_obj}; "
            "pass `targets` to choose 2 or 3 numbers to plot."
        )
    if targets is not None and not callable(targets):
        raise TypeError(f"`targets` must be a callable taking a FrozenTrial, got {targets!r}.")
    rows = table.rows(TrialState.COMPLETE)
    if constraints_func is not None:
        feasible = np.fromiter(
            (all(c <= 0.0 for c in constraints_func(table.trials[i])) for i in rows),
            dtype=bool,
            count=rows.size,
        )
        has_constraints = True
    else:
        feasible = table.feasible[rows]
        has_constraints = table.has_constraints
    if targets is None:
        values = table.values[rows]
        k = n_obj
    else:
        values = np.asarray([list(targets(table.trials[i])) for i in rows], dtype=float)
        k = values.shape[1] if rows.size else len(target_names or ())
        if rows.size and (values.ndim != 2 or k not in (2, 3)):
            raise ValueError(
                f"`targets` must return 2 or 3 numbers per trial, it returned {values.shape[-1]}."
            )
        values = values.reshape(rows.size, k)
    if target_names is None:
        if targets is not None and rows.size == 0:
            raise ValueError(
                "`target_names` must be given when `targets` is and no trial is completed."
            )
        names = [f"Objective {i}" for i in range(k)]
    else:
        names = list(target_names)
        if len(names) != k:
            raise ValueError(
                f"`target_names` must name each of the {k} plotted values, got {len(names)}: "
                f"{names}."
            )
    best = np.zeros(rows.size, dtype=bool)
    feas_rows = np.flatnonzero(feasible)
    best[feas_rows[nondominated_mask(_loss(table, rows[feas_rows]))]] = True
    note = None if rows.size else _empty_note(table)
    return ParetoInfo(
        names,
        values,
        table.number[rows],
        best,
        feasible,
        has_constraints,
        include_dominated_trials,
        note,
    )


# -- empirical distribution -----------------------------------------------------------------------
@dataclass
class EdfInfo:
    """Per study: its name and its completed trials' target values, sorted."""

    names: list[str]
    values: list[np.ndarray]
    target_name: str
    note: str | None = None


def edf_info(study: Study | Sequence[Study], target: Target, target_name: str) -> EdfInfo:
    studies = _as_studies(study)
    names, values, notes = [], [], []
    for s in studies:
        check_target(s, target)
        table = read_study(s)
        rows, y = _finite_complete(table, target)
        if rows.size == 0:
            notes.append(_empty_note(table))
        names.append(table.study_name)
        values.append(np.sort(y))
    note = notes[0] if all(v.size == 0 for v in values) else None
    return EdfInfo(names, values, target_name, note)


# -- timeline -------------------------------------------------------------------------------------
@dataclass
class TimelineInfo:
    """Per category (a state name, or ``"COMPLETE (infeasible)"``): trial numbers, starts and
    ends as ``datetime64[us]`` (a running trial ends now)."""

    groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    note: str | None = None


INFEASIBLE = "COMPLETE (infeasible)"


def timeline_info(study: Study, n_recent_trials: int | None) -> TimelineInfo:
    if n_recent_trials is not None and (
        isinstance(n_recent_trials, bool)
        or not isinstance(n_recent_trials, (int, np.integer))
        or n_recent_trials <= 0
    ):
        raise ValueError(
            f"`n_recent_trials` must be a positive integer or None, got {n_recent_trials!r}."
        )
    table = read_study(study)
    started = np.flatnonzero(~np.isnan(table.start))
    if n_recent_trials is not None:
        started = started[-int(n_recent_trials) :]
    if started.size == 0:
        note = NO_TRIALS if not table.trials else "No trial has started yet."
        return TimelineInfo({}, note=note)
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    end = np.where(np.isnan(table.end[started]), now, table.end[started])
    start_us = (table.start[started] * 1e6).astype("int64").astype("datetime64[us]")
    end_us = (end * 1e6).astype("int64").astype("datetime64[us]")
    state = table.state[started]
    infeasible = (state == int(TrialState.COMPLETE)) & ~table.feasible[started]
    groups = {}
    for st in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING):
        sel = (state == int(st)) & ~infeasible
        if sel.any():
            groups[st.name] = (table.number[started][sel], start_us[sel], end_us[sel])
    if infeasible.any():
        groups[INFEASIBLE] = (
            table.number[started][infeasible],
            start_us[infeasible],
            end_us[infeasible],
        )
    return TimelineInfo(groups)


# -- hypervolume history --------------------------------------------------------------------------
@dataclass
class HypervolumeInfo:
    number: np.ndarray
    hypervolume: np.ndarray
    note: str | None = None


def hypervolume_info(study: Study, reference_point: Sequence[float]) -> HypervolumeInfo:
    n_obj = len(study.directions)
    if n_obj < 2:
        raise ValueError(
            f"`study` must have 2 or more objectives for a hypervolume history, it has {n_obj}."
        )
    ref = np.asarray(reference_point, dtype=float)
    if ref.shape != (n_obj,) or not np.all(np.isfinite(ref)):
        raise ValueError(
            f"`reference_point` must hold {n_obj} finite numbers (one per objective), got "
            f"{list(np.ravel(ref))}."
        )
    table = read_study(study)
    rows = table.rows(TrialState.COMPLETE)
    if rows.size == 0:
        return HypervolumeInfo(rows, np.zeros(0), note=_empty_note(table))
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in table.directions])
    loss = _loss(table, rows)
    ref_loss = ref * signs
    ok = table.feasible[rows] & np.all(loss < ref_loss, axis=1)
    hv = np.zeros(rows.size)
    front = np.empty((0, n_obj))
    current = 0.0
    # The hypervolume changes only when a trial is not weakly dominated by the current front,
    # so it is recomputed only then.
    for k in np.flatnonzero(ok):
        v = loss[k]
        if front.shape[0] and np.any(np.all(front <= v, axis=1)):
            hv[k] = current
            continue
        front = np.vstack([front[~np.all(v <= front, axis=1)], v])
        current = hypervolume(front, ref_loss)
        hv[k] = current
    # Infeasible trials and those beyond the reference point carry the previous value.
    idx = np.where(ok, np.arange(rows.size), -1)
    idx = np.maximum.accumulate(idx)
    out = np.where(idx >= 0, hv[np.maximum(idx, 0)], 0.0)
    return HypervolumeInfo(table.number[rows], out)
