"""A study's report: one self-contained HTML file to open offline or send by email.

:func:`report` writes the study's summary (directions, trials by state, duration, the best trial
or the Pareto set), the parameter importances with their uncertainty, and the figures of
:mod:`hyperdial.visualization` that suit the study, into a single HTML file that needs no server
and no network when opened:

* With plotly, plotly.js is inlined once in the page's head and every figure is a ``<div>``
  drawn by it; the figures stay interactive.
* Without plotly (or with ``engine="matplotlib"``), each figure is a PNG drawn by
  :mod:`hyperdial.visualization.matplotlib`, embedded as a ``data:`` URI.

A Content-Security-Policy in the page's head forbids fetching anything (scripts, styles, images,
fonts, connections) other than what the file itself holds, so a browser refuses any outside
request even if one slipped in. Every string that comes from the study (its name, metric names,
parameter names and values, attributes) is HTML-escaped; plotly escapes ``<`` and ``/`` in the
JSON it embeds.

Each section degrades on its own: a study with no trials, only failed or pruned ones, a single
trial, constraints, several objectives or a conditional search space still gives a report, with
a sentence where a figure cannot be drawn. A figure whose drawing raises is replaced by a sentence
naming the error, so one bad figure does not cost the user the rest of the report.

Large studies: figures that draw one mark per trial (slice, contour, parallel coordinates, rank,
intermediate values, timeline, Pareto front) read a uniform random subset of at most
``max_points`` trials that always holds the best trial (or the whole Pareto set); the report says
so. The history, EDF and hypervolume plots, which draw one curve, read every trial.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import math
import os
import pathlib
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from hyperdial import logging as _logging
from hyperdial._direction import StudyDirection
from hyperdial.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from hyperdial.importance import BaseImportanceEvaluator
    from hyperdial.study import Study

__all__ = ["report"]

_logger = _logging.get_logger(__name__)

_ENGINES = ("auto", "plotly", "matplotlib")

#: Parameters the slice and parallel-coordinate plots show at most, the most important first.
_SLICE_PARAMS = 8
#: Parameters of the rank plot's matrix (its panels grow with the square of this).
_RANK_PARAMS = 3
#: Rows of the Pareto-set table at most.
_PARETO_ROWS = 100

# Nothing is fetched: every script and style is inline, images are data: URIs. plotly's WebGL
# figures (parallel coordinates, 3-D scatter) compile their draw calls with ``new Function``
# (regl), hence 'unsafe-eval'.
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 0 1.5em 3em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-top: 1.2em; word-break: break-word; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; background: #f7f7f2; border-left: 3px solid #c9c28a; padding: .4em .8em; }
.plot { margin: 1em 0 2em; }
.plot img { max-width: 100%; height: auto; }
nav ul { columns: 2; }
code { background: #f4f4f4; padding: 0 .2em; }
footer { margin-top: 3em; color: #777; font-size: .85em; }
"""


def _e(value: object) -> str:
    """HTML-escapes any value's text (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def _num(v: float | None) -> str:
    if v is None:
        return "–"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    return f"{float(v):.6g}"


def _value(v: Any) -> str:
    """A parameter or attribute value as text (floats to 6 significant digits)."""
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, (str, int, bool)) or v is None:
        return str(v)
    try:
        return json.dumps(v, default=str)
    except (TypeError, ValueError):
        return repr(v)


def _when(ts: float) -> str:
    d = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    """``1 h 02 min 03 s`` / ``4.2 s``."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {s:02d} s"
    return f"{m} min {s:02d} s"


def _table(
    header: Sequence[str] | None, rows: Sequence[Sequence[str]], numeric: Container[int] = ()
) -> str:
    """A table of already escaped cells (no header row when ``header`` is None); columns in
    ``numeric`` are right-aligned."""
    head = "" if header is None else "<thead><tr>" + "".join(f"<th>{h}</th>" for h in header)
    head += "" if header is None else "</tr></thead>"
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if k in numeric else f"<td>{c}</td>"
            for k, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


# -- the trials the plots of single trials read ---------------------------------------------------
class _Subset:
    """Stands in for a :class:`Study` in the plotting functions (which read ``get_trials``,
    ``directions``, ``direction`` and ``study_name``), with only some of its trials."""

    def __init__(self, study: Study, trials: list[FrozenTrial]) -> None:
        self._study = study
        self._trials = trials
        self.study_name = study.study_name

    @property
    def directions(self) -> list[StudyDirection]:
        return self._study.directions

    @property
    def direction(self) -> StudyDirection:
        return self._study.direction

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        del deepcopy  # the records are only read
        if states is None:
            return list(self._trials)
        return [t for t in self._trials if t.state in states]


def _subsample(
    study: Study, trials: list[FrozenTrial], keep: list[FrozenTrial], max_points: int
) -> tuple[Study, int]:
    """``study`` itself when it has at most ``max_points`` trials, else a :class:`_Subset` of
    ``max_points`` trials drawn uniformly (seeded, so a report is reproducible) that holds every
    trial of ``keep``; with the number of trials it holds."""
    if len(trials) <= max_points:
        return study, len(trials)
    must = {t.number for t in keep}
    rng = np.random.default_rng(0)
    others = np.array([i for i, t in enumerate(trials) if t.number not in must], dtype=np.int64)
    n_more = max(0, max_points - len(must))
    chosen = set(rng.choice(others, size=min(n_more, others.size), replace=False).tolist())
    subset = [t for i, t in enumerate(trials) if i in chosen or t.number in must]
    return cast("Study", _Subset(study, subset)), len(subset)


# -- renderers ------------------------------------------------------------------------------------
class _Renderer:
    """Turns what a plotting module returns into an HTML fragment."""

    name = ""
    module: Any = None

    def head(self) -> str:
        return ""

    def fragment(self, figure: Any, key: str) -> str:
        raise NotImplementedError

    def add_errors(self, figure: Any, errors: Sequence[float | None]) -> None:
        """Draws error bars on a single-target importance figure (bars in ``errors`` order)."""

    def discard(self, figure: Any) -> None:
        """Frees a figure that will not be embedded."""


class _PlotlyRenderer(_Renderer):
    name = "plotly"

    def __init__(self) -> None:
        import plotly.io as pio  # type: ignore[import-untyped,import-not-found,unused-ignore]

        import hyperdial.visualization as vis

        self.module = vis
        self._pio = pio
        self.count = 0

    def head(self) -> str:
        from plotly.offline import get_plotlyjs  # type: ignore[import-untyped,import-not-found,unused-ignore]

        js: str = get_plotlyjs()
        return f'<script type="text/javascript">{js}</script>'

    def fragment(self, figure: Any, key: str) -> str:
        self.count += 1
        if figure.layout.height is None or figure.layout.width != figure.layout.height:
            figure.layout.width = None  # the page's width (square matrices keep their size)
        height = figure.layout.height
        out: str = self._pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{self.count}-{key}",
            default_width="100%",
            default_height=f"{int(height) if height else 480}px",
            config={"displaylogo": False, "responsive": True},
        )
        return out

    def add_errors(self, figure: Any, errors: Sequence[float | None]) -> None:
        if len(figure.data) != 1:
            return
        bar = figure.data[0]
        # The bars are drawn bottom-up (most important on top), ``errors`` is top-down.
        plus = [0.0 if e is None else e for e in errors][::-1]
        minus = [min(e, float(v)) for e, v in zip(plus, bar.x, strict=True)]  # not below 0
        bar.error_x = {
            "type": "data",
            "symmetric": False,
            "array": plus,
            "arrayminus": minus,
            "visible": True,
            "color": "#444",
        }


class _MatplotlibRenderer(_Renderer):
    name = "matplotlib"

    def __init__(self) -> None:
        import matplotlib.pyplot as plt

        import hyperdial.visualization.matplotlib as mvis

        self.module = mvis
        self._plt = plt

    @staticmethod
    def _figure_of(result: Any) -> Any:
        ax = result.flat[0] if isinstance(result, np.ndarray) else result
        return ax.figure

    def discard(self, figure: Any) -> None:
        self._plt.close(self._figure_of(figure))

    def fragment(self, figure: Any, key: str) -> str:
        fig = self._figure_of(figure)
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        finally:
            self._plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        return f'<img alt="{_e(key)}" src="data:image/png;base64,{data}">'

    def add_errors(self, figure: Any, errors: Sequence[float | None]) -> None:
        bars = figure.containers[0] if figure.containers else None
        if bars is None or len(bars) != len(errors):
            return
        xs = [p.get_width() for p in bars]
        ys = [p.get_y() + p.get_height() / 2 for p in bars]
        err = [0.0 if e is None else e for e in errors]
        minus = [min(e, x) for e, x in zip(err, xs, strict=True)]  # not below 0
        figure.errorbar(xs, ys, xerr=[minus, err], fmt="none", ecolor="#444", capsize=3)
        reach = max((x + e for x, e in zip(xs, err, strict=True)), default=0.0)
        low, high = figure.get_xlim()
        figure.set_xlim(low, max(high, 1.05 * reach))


def _renderer(engine: str) -> _Renderer | None:
    """The renderer for ``engine``; None when ``"auto"`` finds neither plotting library."""
    import importlib.util

    has_plotly = importlib.util.find_spec("plotly") is not None
    has_mpl = importlib.util.find_spec("matplotlib") is not None
    if engine == "plotly" or (engine == "auto" and has_plotly):
        if not has_plotly:
            raise ImportError(
                "report(engine='plotly') needs plotly, which is not installed: "
                "pip install 'hyperdial[plot]' (or use engine='matplotlib')."
            )
        return _PlotlyRenderer()
    if engine == "matplotlib" or (engine == "auto" and has_mpl):
        if not has_mpl:
            raise ImportError(
                "report(engine='matplotlib') needs matplotlib, which is not installed: "
                "pip install 'hyperdial[plot]'."
            )
        return _MatplotlibRenderer()
    return None


# -- the page -------------------------------------------------------------------------------------
@dataclass
class _Page:
    renderer: _Renderer | None
    sections: list[tuple[str, str, list[str]]] = field(default_factory=list)
    n_figures: int = 0

    def section(self, anchor: str, title: str) -> list[str]:
        parts: list[str] = []
        self.sections.append((anchor, title, parts))
        return parts

    def figure(
        self,
        parts: list[str],
        key: str,
        title: str,
        plot: str,
        *args: Any,
        errors: Sequence[float | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Draws one figure into ``parts`` with the plotting module's function ``plot`` called
        with ``args`` and ``kwargs`` (then the importance error bars ``errors`` if given); a
        sentence instead when it cannot be drawn."""
        if self.renderer is None:
            return
        figure = None
        try:
            figure = getattr(self.renderer.module, plot)(*args, **kwargs)
            if errors is not None:
                self.renderer.add_errors(figure, errors)
            html_ = self.renderer.fragment(figure, key)
        except Exception as e:  # one figure must not cost the rest of the report
            if figure is not None:
                self.renderer.discard(figure)
            _logger.warning(
                "report: the %s could not be drawn: %s: %s", title, type(e).__name__, e
            )
            _logger.debug("report: the %s", title, exc_info=True)
            parts.append(_note(f"The {title} could not be drawn: {type(e).__name__}: {e}"))
            return
        self.n_figures += 1
        parts.append(f'<div class="plot" data-figure="{_e(key)}">{html_}</div>')

    def write(self, title: str, intro: str, path: pathlib.Path) -> None:
        head = self.renderer.head() if self.renderer is not None else ""
        nav = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in self.sections)
        body = "".join(
            f'<section id="{a}"><h2>{_e(t)}</h2>{"".join(p)}</section>'
            for a, t, p in self.sections
        )
        import hyperdial

        engine = self.renderer.name if self.renderer is not None else "none"
        generated = _when(datetime.datetime.now(datetime.timezone.utc).timestamp())
        page = (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="hyperdial {_e(hyperdial.__version__)}">'
            f"<title>{_e(title)}</title><style>{_STYLE}</style>{head}</head>"
            f'<body data-figures="{self.n_figures}" data-engine="{engine}">'
            f"<h1>{_e(title)}</h1>{intro}<nav><ul>{nav}</ul></nav>{body}"
            f"<footer>Written by hyperdial {_e(hyperdial.__version__)} on {generated}; "
            "this file needs no network to be read.</footer></body></html>\n"
        )
        path.write_text(page, encoding="utf-8")


# -- the study's facts ----------------------------------------------------------------------------
def _objective_names(study: Study) -> list[str]:
    names = study.metric_names
    n = len(study.directions)
    if names is not None and len(names) == n:
        return list(names)
    return ["Objective Value"] if n == 1 else [f"Objective {k}" for k in range(n)]


def _objective(k: int) -> Callable[[FrozenTrial], float]:
    def value(t: FrozenTrial) -> float:
        assert t.values is not None
        return t.values[k]

    return value


def _timestamp(d: datetime.datetime | None) -> float:
    if d is None:
        return math.nan
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def _best(study: Study, complete: list[FrozenTrial]) -> list[FrozenTrial]:
    """The best feasible trial (one objective) or the Pareto set, [] when there is none."""
    if not complete:
        return []
    if len(study.directions) == 1:
        try:
            return [study.best_trial]
        except ValueError:  # none of the completed trials is feasible
            return []
    return study.best_trials


def _summary(
    study: Study, trials: list[FrozenTrial], names: list[str], describe_sampler: bool
) -> str:
    rows: list[tuple[str, str]] = [("Study", _e(study.study_name))]
    dirs = [
        f"{_e(d.name.lower())} ({_e(n)})" for d, n in zip(study.directions, names, strict=True)
    ]
    rows.append(("Directions" if len(dirs) > 1 else "Direction", ", ".join(dirs)))
    counts = dict.fromkeys(TrialState, 0)
    for t in trials:
        counts[t.state] += 1
    by_state = ", ".join(f"{c} {s.name.lower()}" for s, c in counts.items() if c)
    rows.append(("Trials", f"{len(trials)}" + (f" ({by_state})" if by_state else "")))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if any(t.constraints for t in trials):
        n_ok = sum(t.is_feasible() for t in complete)
        rows.append(("Feasible", f"{n_ok} of the {len(complete)} completed trials"))
    starts = [s for s in (_timestamp(t.datetime_start) for t in trials) if math.isfinite(s)]
    ends = [e for e in (_timestamp(t.datetime_complete) for t in trials) if math.isfinite(e)]
    if starts and ends:
        first, last = min(starts), max(ends)
        rows.append(
            ("Duration", f"{_span(max(last - first, 0.0))}: {_when(first)} to {_when(last)}")
        )
    elif starts:
        rows.append(("Duration", f"started {_when(min(starts))}, no trial finished"))
    if describe_sampler:
        rows.append(("Sampler", _e(type(study.sampler).__name__)))
        rows.append(("Pruner", _e(type(study.pruner).__name__)))
    out = _table(None, [(f"<b>{k}</b>", v) for k, v in rows])
    attrs = study.user_attrs
    if attrs:
        out += "<h3>Study attributes</h3>" + _table(
            ["Key", "Value"], [(_e(k), _e(_value(v))) for k, v in sorted(attrs.items())]
        )
    return out


def _best_html(study: Study, best: list[FrozenTrial], names: list[str], n_complete: int) -> str:
    if not best:
        if n_complete == 0:
            return _note("No trial is completed, so there is no best trial yet.")
        return _note(f"None of the {n_complete} completed trials is feasible.")
    if len(study.directions) == 1:
        t = best[0]
        rows = [("Trial", str(t.number)), (_e(names[0]), _num(t.value))]
        d = t.duration
        if d is not None:
            rows.append(("Duration", _span(d.total_seconds())))
        rows += [(f"<code>{_e(k)}</code>", _e(_value(v))) for k, v in t.params.items()]
        rows += [
            (f"user attr <code>{_e(k)}</code>", _e(_value(v)))
            for k, v in sorted(t.user_attrs.items())
        ]
        return _table(["Best trial", ""], rows)
    shown = sorted(best, key=lambda t: (t.values or [math.inf])[0])[:_PARETO_ROWS]
    params = sorted({p for t in shown for p in t.params})
    header = ["Trial", *(_e(n) for n in names), *(f"<code>{_e(p)}</code>" for p in params)]
    rows2 = [
        [
            str(t.number),
            *(_num(v) for v in (t.values or [])),
            *(_e(_value(t.params[p])) if p in t.params else "–" for p in params),
        ]
        for t in shown
    ]
    text = f"<p>The Pareto set: {len(best)} trial(s) no other feasible trial dominates"
    text += (
        f"; the first {_PARETO_ROWS} by {_e(names[0])} are listed."
        if len(best) > len(shown)
        else "."
    )
    return text + "</p>" + _table(header, rows2, numeric=range(1 + len(names)))


@dataclass
class _Importance:
    """One target's importances (normalised, most important first) and their standard
    deviations in the same normalised units (None when the evaluator gives none)."""

    values: dict[str, float]
    std: dict[str, float] | None
    raw: dict[str, float]
    raw_std: dict[str, float] | None
    index: str = ""


def _importance(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    target: Callable[[FrozenTrial], float] | None,
) -> _Importance:
    """``get_param_importances`` with the evaluator's uncertainty, when it has one.

    GP-Sobol's ``last_std`` is the half-sampling standard deviation of its raw index; the
    normalised importance divides the raw index by the sum of all of them, and its standard
    deviation is scaled by the same factor (the uncertainty of that sum is not propagated).
    """
    from hyperdial.importance import GPSobolImportanceEvaluator, get_param_importances

    ev = evaluator if evaluator is not None else GPSobolImportanceEvaluator(seed=0)
    multi = len(study.directions) > 1
    values = get_param_importances(study, evaluator=ev, target=target if multi else None)
    raw_std = getattr(ev, "last_std", None)
    raw: dict[str, float] = {}
    index = ""
    if isinstance(ev, GPSobolImportanceEvaluator):
        raw = dict(ev.last_total if ev.index == "total" else ev.last_first)
        index = "Total" if ev.index == "total" else "First-order"
    if not raw or not isinstance(raw_std, dict):
        return _Importance(values, None, raw, None, index)
    total = sum(max(0.0, v) for v in raw.values())
    scale = 1.0 / total if total > 0 else 0.0
    std = {k: float(raw_std.get(k, 0.0)) * scale for k in values}
    return _Importance(values, std, raw, {k: float(v) for k, v in raw_std.items()}, index)


def _importance_table(imp: _Importance) -> str:
    with_raw = bool(imp.raw)
    header = ["Rank", "Parameter", "Importance"]
    if imp.std is not None:
        header.append("± std")
    if with_raw:
        header.append(f"{imp.index} Sobol' index")
        if imp.raw_std is not None:
            header.append("± std")
    rows = []
    for k, (name, v) in enumerate(imp.values.items(), start=1):
        row = [str(k), f"<code>{_e(name)}</code>", f"{v:.3f}"]
        if imp.std is not None:
            row.append(f"{imp.std.get(name, 0.0):.3f}")
        if with_raw:
            row.append(f"{imp.raw.get(name, 0.0):.3f}")
            if imp.raw_std is not None:
                row.append(f"{imp.raw_std.get(name, 0.0):.3f}")
        rows.append(row)
    numeric = set(range(2, len(header)))
    return _table(header, rows, numeric=numeric)


def _reference_point(study: Study, complete: list[FrozenTrial]) -> list[float] | None:
    """A hypervolume reference point: per objective, the worst value of the feasible completed
    trials, moved 10 % of the objective's range further (1 when the range is 0)."""
    vals = np.array(
        [t.values for t in complete if t.values is not None and t.is_feasible()], dtype=float
    )
    if vals.size == 0:
        return None
    vals = vals[np.all(np.isfinite(vals), axis=1)]
    if vals.size == 0:
        return None
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
    loss = vals * signs
    worst, best = loss.max(axis=0), loss.min(axis=0)
    span = np.where(worst > best, worst - best, 1.0)
    ref: list[float] = ((worst + 0.1 * span) * signs).tolist()
    return ref


# -- the report -----------------------------------------------------------------------------------
def report(
    study: Study,
    path: str | os.PathLike[str],
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    engine: str = "auto",
    max_points: int = 2000,
    title: str | None = None,
    describe_sampler: bool = True,
) -> pathlib.Path:
    """Writes a self-contained HTML report of ``study`` to ``path``.

    The report holds the study's summary (name, directions and metric names, trials by state,
    duration from the first start to the last completion, sampler and pruner), the best trial
    or the Pareto set, the parameter importances with their standard deviations, and the
    figures that suit the study: optimisation history, importances, slice, contour of the two
    most important parameters, parallel coordinates, rank, EDF (per objective), the Pareto front
    and hypervolume history (several objectives), intermediate values (when trials reported
    some) and the timeline. The file needs no server and no network: plotly.js is inlined once,
    or the figures are PNGs (matplotlib) embedded in the page. See the module docstring.

    Args:
        study: The study to report on.
        path: The HTML file to write (its folder must exist).
        evaluator: The importance evaluator (default:
            ``GPSobolImportanceEvaluator(seed=0)``, whose half-sampling standard deviations the
            report shows).
        engine: ``"plotly"`` (interactive figures), ``"matplotlib"`` (static PNGs) or
            ``"auto"``: plotly when installed, else matplotlib, else a report without figures.
        max_points: Figures that draw a mark per trial read at most this many trials (a
            random subset holding the best ones); the report says when it subsamples.
        title: The page's title (default: ``"hyperdial report: <study name>"``).
        describe_sampler: Name the study object's sampler and pruner in the summary. Pass False
            for a study loaded from storage without them (its sampler is then the loader's
            default, not the one that ran).

    Returns:
        The path written.

    Raises:
        ValueError: ``engine`` or ``max_points`` is not allowed.
        ImportError: ``engine`` names a plotting library that is not installed.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
        >>> path = hyperdial.visualization.report(study, "report.html")  # doctest: +SKIP
        >>> study.report("report.html")  # the same  # doctest: +SKIP
    """
    if engine not in _ENGINES:
        raise ValueError(f"`engine` must be one of {list(_ENGINES)}, got {engine!r}.")
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
        raise ValueError(f"`max_points` must be a positive integer, got {max_points!r}.")
    out = pathlib.Path(path)
    if not out.parent.is_dir():
        raise ValueError(f"`path`: the folder {str(out.parent)!r} does not exist.")
    renderer = _renderer(engine)
    page = _Page(renderer)

    trials = study.get_trials(deepcopy=False)
    names = _objective_names(study)
    n_obj = len(names)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = _best(study, complete)

    page.section("summary", "Summary").append(_summary(study, trials, names, describe_sampler))
    page.section("best", "Best trial" if n_obj == 1 else "Pareto set").append(
        _best_html(study, best, names, len(complete))
    )

    # Importances, one ranking per objective; the first ranking orders the parameters of the
    # figures below.
    imp_parts = page.section("importance", "Parameter importances")
    importances: list[_Importance | None] = []
    for k in range(n_obj):
        if n_obj > 1:
            imp_parts.append(f"<h3>{_e(names[k])}</h3>")
        try:
            imp = _importance(study, evaluator, _objective(k))
        except ValueError as e:  # too few usable trials
            imp_parts.append(_note(f"No importances: {e}"))
            importances.append(None)
            continue
        except Exception as e:  # a numerical failure, …: the rest of the report still counts
            _logger.warning("report: no importances: %s: %s", type(e).__name__, e)
            imp_parts.append(_note(f"No importances: {type(e).__name__}: {e}"))
            importances.append(None)
            continue
        importances.append(imp)
        if not imp.values:
            imp_parts.append(_note("The trials have no parameters to rank."))
            continue
        # The columns are explained once, above the first table that has them.
        if imp.std is not None and not any(i is not None and i.std for i in importances[:-1]):
            imp_parts.append(
                "<p>Importance: the parameter's share of the explained variance (sums to 1); "
                "± std: the standard deviation over half-samples of the trials (GP-Sobol's "
                "uncertainty), in the same units.</p>"
            )
        imp_parts.append(_importance_table(imp))
        errors = None if imp.std is None else [imp.std.get(p) for p in imp.values]
        page.figure(
            imp_parts,
            f"importances-{k}",
            "importance plot",
            "plot_param_importances",
            study,
            importances=imp.values,
            target_name=names[k],
            errors=errors,
        )

    plots = page.section("plots", "Figures")
    if page.renderer is None:
        plots.append(
            _note(
                "No figures: neither plotly nor matplotlib is installed "
                "(pip install 'hyperdial[plot]')."
            )
        )
    else:
        _figures(page, plots, study, trials, complete, best, names, importances, max_points)

    heading = title if title is not None else f"hyperdial report: {study.study_name}"
    intro = "<p>" + _e(f"{len(trials)} trial(s), {n_obj} objective(s).") + "</p>"
    page.write(heading, intro, out)
    return out


def _figures(
    page: _Page,
    parts: list[str],
    study: Study,
    trials: list[FrozenTrial],
    complete: list[FrozenTrial],
    best: list[FrozenTrial],
    names: list[str],
    importances: list[_Importance | None],
    max_points: int,
) -> None:
    n_obj = len(names)
    sub, n_sub = _subsample(study, trials, best, max_points)
    if n_sub < len(trials):
        parts.append(
            _note(
                f"The figures that draw one mark per trial (slice, contour, parallel "
                f"coordinates, rank, Pareto front, intermediate values, timeline) show a random "
                f"{n_sub} of the {len(trials)} trials, the best ones always among them. The "
                "history, EDF and hypervolume figures show every trial."
            )
        )
    order = _param_order(complete, importances)

    if n_obj > 1:
        parts.append("<h3>Pareto front</h3>")
        if n_obj in (2, 3):
            page.figure(
                parts,
                "pareto-front",
                "Pareto-front plot",
                "plot_pareto_front",
                sub,
                target_names=names,
            )
        else:
            parts.append(_note(f"A Pareto-front plot needs 2 or 3 objectives; there are {n_obj}."))
        ref = _reference_point(study, complete)
        if ref is None:
            parts.append(_note("No feasible completed trial: no hypervolume history."))
        else:
            parts.append(
                "<p>Hypervolume reference point: "
                + _e(", ".join(_num(v) for v in ref))
                + " (the worst feasible value of each objective, 10 % of its range further).</p>"
            )
            page.figure(
                parts,
                "hypervolume",
                "hypervolume history",
                "plot_hypervolume_history",
                study,
                ref,
            )

    for k in range(n_obj):
        target = _objective(k) if n_obj > 1 else None
        name = names[k]
        if n_obj > 1:
            parts.append(f"<h3>{_e(name)}</h3>")
        if not complete:
            parts.append(_note("No completed trial: nothing to plot against the objective."))
            break
        page.figure(
            parts,
            f"history-{k}",
            "optimization history",
            "plot_optimization_history",
            study,
            target=target,
            target_name=name,
        )
        if not order:
            parts.append(_note("The completed trials have no parameters."))
        else:
            shown = order[:_SLICE_PARAMS]
            if len(order) > len(shown):
                parts.append(
                    _note(
                        f"The slice and parallel-coordinate plots show the {len(shown)} most "
                        f"important of the {len(order)} parameters."
                    )
                )
            page.figure(
                parts,
                f"slice-{k}",
                "slice plot",
                "plot_slice",
                sub,
                params=shown,
                target=target,
                target_name=name,
            )
            if len(order) >= 2:
                page.figure(
                    parts,
                    f"contour-{k}",
                    "contour plot",
                    "plot_contour",
                    sub,
                    params=order[:2],
                    target=target,
                    target_name=name,
                )
            else:
                parts.append(_note("A contour plot needs two parameters; the study has one."))
            page.figure(
                parts,
                f"parallel-{k}",
                "parallel-coordinate plot",
                "plot_parallel_coordinate",
                sub,
                params=shown,
                target=target,
                target_name=name,
            )
            page.figure(
                parts,
                f"rank-{k}",
                "rank plot",
                "plot_rank",
                sub,
                params=order[:_RANK_PARAMS],
                target=target,
                target_name=name,
            )
        page.figure(
            parts,
            f"edf-{k}",
            "EDF plot",
            "plot_edf",
            study,
            target=target,
            target_name=name,
        )

    parts.append("<h3>Trials</h3>")
    if any(t.intermediate_values for t in trials):
        page.figure(
            parts,
            "intermediate",
            "intermediate-values plot",
            "plot_intermediate_values",
            sub,
        )
    else:
        parts.append(_note("No trial reported intermediate values (Trial.report)."))
    if any(t.datetime_start is not None for t in trials):
        page.figure(parts, "timeline", "timeline", "plot_timeline", sub)
    else:
        parts.append(_note("No trial has started: no timeline."))


def _param_order(complete: list[FrozenTrial], importances: list[_Importance | None]) -> list[str]:
    """The completed trials' parameters, most important first (by the first ranking there is;
    parameters it lacks follow by name)."""
    present = sorted({p for t in complete for p in t.params})
    ranked = next((list(i.values) for i in importances if i is not None and i.values), [])
    return [p for p in ranked if p in present] + [p for p in present if p not in ranked]
