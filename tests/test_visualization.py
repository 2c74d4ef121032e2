"""hyperdial.visualization (plotly) and hyperdial.visualization.matplotlib on small studies.

Every plot function runs on single-objective, multi-objective, constrained, conditional and
pruned studies in both flavours, and on the studies with nothing to draw (empty, one trial, all
failed, pruned only). The figures' data are checked against what the study holds: number of
traces or artists, points per trace, axis titles.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import hyperdial
import hyperdial.visualization as vis
from hyperdial.samplers import RandomSampler
from hyperdial.trial import TrialState

if getattr(vis, "__file__", None) is None:  # pragma: no cover - environment check
    pytest.skip(
        "hyperdial.visualization loads as a namespace package: the editable install predates "
        "it; run `pip install --no-build-isolation -e . -Cbuild-dir=build/dev`.",
        allow_module_level=True,
    )

from hyperdial.visualization._hypervolume import hypervolume, nondominated_mask

go = pytest.importorskip("plotly.graph_objects")
mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

import hyperdial.visualization.matplotlib as mvis  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


# -- studies --------------------------------------------------------------------------------------
def _conditional(trial: hyperdial.Trial) -> float:
    """Two branches with their own parameters, a log-scale float, and reported steps."""
    model = trial.suggest_categorical("model", ["linear", "tree"])
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    if model == "linear":
        extra = trial.suggest_float("alpha", 0.0, 1.0)
    else:
        extra = trial.suggest_int("depth", 1, 8) / 8
    value = 0.0
    for step in range(4):
        value = (np.log10(lr) + 2.5) ** 2 + extra + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise hyperdial.TrialPruned()
    return value


@pytest.fixture(scope="module")
def conditional() -> hyperdial.Study:
    study = hyperdial.create_study(
        sampler=RandomSampler(seed=1),
        pruner=hyperdial.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    study.optimize(_conditional, n_trials=30)
    return study


@pytest.fixture(scope="module")
def constrained() -> hyperdial.Study:
    def objective(trial: hyperdial.Trial) -> float:
        x = trial.suggest_float("x", -2, 2)
        y = trial.suggest_float("y", -2, 2)
        trial.set_constraint("circle", x * x + y * y - 1.0)
        return x + y

    study = hyperdial.create_study(sampler=RandomSampler(seed=2))
    study.optimize(objective, n_trials=25)
    return study


def _multi(n_obj: int, constrained: bool = False) -> hyperdial.Study:
    def objective(trial: hyperdial.Trial) -> tuple[float, ...]:
        x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(2)]
        if constrained:
            trial.set_constraint("c", x[0] - 0.8)
        vals = (x[0], 1 - x[0] * x[1], (x[1] - 0.5) ** 2)
        return vals[:n_obj]

    study = hyperdial.create_study(directions=["minimize"] * n_obj, sampler=RandomSampler(seed=3))
    study.optimize(objective, n_trials=30)
    return study


@pytest.fixture(scope="module")
def multi() -> hyperdial.Study:
    return _multi(2, constrained=True)


@pytest.fixture(scope="module")
def multi3() -> hyperdial.Study:
    return _multi(3)


def _edge_study(kind: str, n_obj: int = 1) -> hyperdial.Study:
    study = hyperdial.create_study(directions=["minimize"] * n_obj, sampler=RandomSampler(seed=0))
    if kind == "empty":
        return study
    if kind == "one":
        study.optimize(lambda t: [t.suggest_float("x", 0, 1)] * n_obj, n_trials=1)
        return study
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        if n_obj == 1:
            trial.report(0.5, 0)
        study.tell(trial, state=TrialState.FAIL if kind == "failed" else TrialState.PRUNED)
    return study


EDGE_KINDS = ["empty", "one", "failed", "pruned"]


# -- helpers --------------------------------------------------------------------------------------
def _n_complete(study: hyperdial.Study) -> int:
    return len(study.get_trials(states=(TrialState.COMPLETE,)))


def _note(fig: Any) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def _axes_text(ax: Axes) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def _first_axes(result: Any) -> Axes:
    if isinstance(result, np.ndarray):
        first = result.flat[0]
        assert isinstance(first, Axes)
        return first
    assert isinstance(result, Axes)
    return result


# Every plot function with the arguments each kind of study needs (name, call).
def _calls(mod: Any, kind: str) -> list[tuple[str, Callable[[hyperdial.Study], Any]]]:
    target = (lambda t: t.values[0]) if kind.startswith("multi") else None
    calls: list[tuple[str, Callable[[hyperdial.Study], Any]]] = [
        ("history", lambda s: mod.plot_optimization_history(s, target=target)),
        ("slice", lambda s: mod.plot_slice(s, target=target)),
        ("contour", lambda s: mod.plot_contour(s, target=target)),
        ("parallel", lambda s: mod.plot_parallel_coordinate(s, target=target)),
        ("importances", lambda s: mod.plot_param_importances(s, importances={"x": 1.0})),
        ("intermediate", mod.plot_intermediate_values),
        ("edf", lambda s: mod.plot_edf(s, target=target)),
        ("timeline", mod.plot_timeline),
        ("rank", lambda s: mod.plot_rank(s, target=target)),
    ]
    if kind.startswith("multi"):
        n = 3 if kind == "multi3" else 2
        calls += [
            ("pareto", mod.plot_pareto_front),
            ("hypervolume", lambda s: mod.plot_hypervolume_history(s, [2.0] * n)),
        ]
    return calls


# -- every function, every kind of study, both flavours -------------------------------------------
@pytest.mark.parametrize("flavour", ["plotly", "matplotlib"])
@pytest.mark.parametrize("kind", ["conditional", "constrained", "multi", "multi3"])
def test_every_plot_draws_every_kind_of_study(
    flavour: str, kind: str, request: pytest.FixtureRequest
) -> None:
    study = request.getfixturevalue(kind)
    mod = vis if flavour == "plotly" else mvis
    for name, call in _calls(mod, kind):
        result = call(study)
        reported = any(t.intermediate_values for t in study.trials)
        if name == "intermediate" and not reported:
            continue  # a note, tested below
        if flavour == "plotly":
            assert isinstance(result, go.Figure), name
            assert len(result.data) >= 1, name
            assert _note(result) == "", name
        else:
            ax = _first_axes(result)
            assert ax.collections or ax.lines or ax.patches or ax.get_children(), name


@pytest.mark.parametrize("flavour", ["plotly", "matplotlib"])
@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_nothing_to_draw_gives_a_readable_figure(flavour: str, kind: str) -> None:
    mod = vis if flavour == "plotly" else mvis
    for n_obj, calls in ((1, _calls(mod, "single")), (2, _calls(mod, "multi"))):
        study = _edge_study(kind, n_obj)
        for name, call in calls:
            result = call(study)
            if name == "importances" or (kind == "one" and name != "intermediate"):
                continue  # given importances, or one completed trial: drawn
            text = _note(result) if flavour == "plotly" else _axes_text(_first_axes(result))
            reported = n_obj == 1 and name == "intermediate"
            if kind in ("failed", "pruned") and (reported or name == "timeline"):
                assert text == "", (name, text)  # curves and bars exist for these trials
            else:
                assert text, (name, kind)


@pytest.mark.parametrize("flavour", ["plotly", "matplotlib"])
def test_one_trial_is_drawn(flavour: str) -> None:
    study = _edge_study("one")
    mod = vis if flavour == "plotly" else mvis
    fig = mod.plot_optimization_history(study)
    if flavour == "plotly":
        assert [len(t.x) for t in fig.data] == [1, 1]
    else:
        assert len(fig.collections[0].get_offsets()) == 1


def test_empty_note_counts_the_states() -> None:
    fig = vis.plot_slice(_edge_study("pruned"))
    assert "No completed trials" in _note(fig) and "3 pruned" in _note(fig)
    assert _note(vis.plot_slice(_edge_study("empty"))) == "The study has no trials yet."


# -- plotly: the data in the figures --------------------------------------------------------------
def test_history_points_and_best_line(constrained: hyperdial.Study) -> None:
    fig = vis.plot_optimization_history(constrained, target_name="loss")
    names = [t.name for t in fig.data]
    assert names == ["loss", "Infeasible Trial", "Best Value"]
    n = _n_complete(constrained)
    assert len(fig.data[0].x) + len(fig.data[1].x) == n
    best = np.asarray(fig.data[2].y, dtype=float)
    feasible = [t.value for t in constrained.trials if t.is_feasible()]
    assert np.nanmin(best) == pytest.approx(min(feasible))
    assert np.all(np.diff(best[~np.isnan(best)]) <= 0)
    assert fig.layout.xaxis.title.text == "Trial"
    assert fig.layout.yaxis.title.text == "loss"


def test_history_of_several_studies_and_error_bar(constrained: hyperdial.Study) -> None:
    other = hyperdial.create_study(sampler=RandomSampler(seed=5))
    other.optimize(lambda t: t.suggest_float("x", -2, 2), n_trials=10)
    fig = vis.plot_optimization_history([constrained, other])
    assert len([t for t in fig.data if t.name.startswith("Best Value of")]) == 2
    band = vis.plot_optimization_history([constrained, other], error_bar=True)
    mean = band.data[0]
    assert mean.error_y.array is not None
    assert len(mean.x) == 25  # trial numbers 0..24, the union of both studies
    # At a number both studies reached, the mean is the mean of the two values.
    a = constrained.trials[3].value
    b = other.trials[3].value
    assert mean.y[3] == pytest.approx((a + b) / 2)
    with pytest.raises(ValueError, match="`study`"):
        vis.plot_optimization_history([constrained, hyperdial.create_study(direction="maximize")])
    with pytest.raises(ValueError, match="`study`"):
        vis.plot_optimization_history([])


def test_slice_one_panel_per_parameter(conditional: hyperdial.Study) -> None:
    fig = vis.plot_slice(conditional)
    complete = conditional.get_trials(states=(TrialState.COMPLETE,))
    assert [t.name for t in fig.data] == ["alpha", "depth", "lr", "model"]
    for trace in fig.data:
        assert len(trace.x) == sum(trace.name in t.params for t in complete)
    assert fig.layout.xaxis3.type == "log"  # lr
    assert list(fig.layout.xaxis4.ticktext) == ["linear", "tree"]
    assert fig.layout.yaxis.title.text == "Objective Value"
    fig = vis.plot_slice(conditional, params=["lr"], target_name="loss")
    assert len(fig.data) == 1 and fig.layout.yaxis.title.text == "loss"


def test_contour_surface_stays_within_the_data(constrained: hyperdial.Study) -> None:
    fig = vis.plot_contour(constrained)
    kinds = [type(t).__name__ for t in fig.data]
    assert kinds == ["Contour", "Scatter"]
    z = np.asarray(fig.data[0].z)
    values = [t.value for t in constrained.get_trials(states=(TrialState.COMPLETE,))]
    assert z.min() >= min(values) - 1e-9 and z.max() <= max(values) + 1e-9
    assert len(fig.data[1].x) == len(values)
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "y"


def test_contour_matrix_for_three_parameters(conditional: hyperdial.Study) -> None:
    params = ["lr", "alpha", "model"]
    fig = vis.plot_contour(conditional, params=params)
    # 3 × 3 panels, 6 off the diagonal: one scatter each, a contour where two complete trials
    # share both parameters (how many do depends on what the fixture's pruner stopped).
    complete = conditional.get_trials(states=(TrialState.COMPLETE,))
    shared = [
        sum(a in t.params and b in t.params for t in complete) >= 2
        for a, b in itertools.permutations(params, 2)
    ]
    assert 0 < sum(shared) < 6  # the fixture has pairs of each kind
    assert sum(type(t).__name__ == "Scatter" for t in fig.data) == 6
    assert sum(type(t).__name__ == "Contour" for t in fig.data) == sum(shared)
    note = _note(vis.plot_contour(conditional, params=["lr"]))
    assert "two parameters" in note


def test_parallel_coordinate_marks_inactive_parameters(conditional: hyperdial.Study) -> None:
    fig = vis.plot_parallel_coordinate(conditional)
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["Objective Value", "alpha", "depth", "lr", "model"]
    n = _n_complete(conditional)
    assert all(len(d.values) == n for d in dims)
    alpha = dims[1]
    assert alpha.ticktext[0] == "(inactive)"
    has_alpha = [
        "alpha" in t.params for t in conditional.get_trials(states=(TrialState.COMPLETE,))
    ]
    inactive = np.isclose(np.asarray(alpha.values), alpha.tickvals[0])
    assert inactive.tolist() == [not h for h in has_alpha]
    assert list(dims[4].ticktext) == ["linear", "tree"]
    lr = np.asarray(dims[3].values)
    assert lr.max() <= -1 and lr.min() >= -4  # log10 of the values, ticks say the values


def test_param_importances_from_given_values(conditional: hyperdial.Study) -> None:
    fig = vis.plot_param_importances(conditional, importances={"lr": 0.2, "model": 0.7})
    assert list(fig.data[0].y) == ["lr", "model"]  # most important at the top
    assert list(fig.data[0].x) == [0.2, 0.7]
    only = vis.plot_param_importances(
        conditional, params=["lr"], importances={"lr": 0.2, "model": 0.7}
    )
    assert list(only.data[0].y) == ["lr"]


def test_param_importances_without_the_importance_module(conditional: hyperdial.Study) -> None:
    import importlib.util

    if importlib.util.find_spec("hyperdial.importance") is not None:
        fig = vis.plot_param_importances(conditional)
        assert len(fig.data) == 1
        return
    with pytest.raises(ImportError, match="importances="):
        vis.plot_param_importances(conditional)


def test_intermediate_values_one_trace_per_state(conditional: hyperdial.Study) -> None:
    fig = vis.plot_intermediate_values(conditional)
    by_state: dict[str, list[Any]] = {}
    for t in conditional.trials:
        if t.intermediate_values:
            by_state.setdefault(t.state.name, []).append(t)
    assert len(fig.data) == len(by_state) == 2
    for trace in fig.data:
        state = trace.name.split()[0].upper()
        trials = by_state[state]
        x = np.asarray(trace.x, dtype=float)
        assert np.isnan(x).sum() == len(trials) - 1  # gaps between curves
        assert (~np.isnan(x)).sum() == sum(len(t.intermediate_values) for t in trials)


def test_pareto_front_2d_with_constraints(multi: hyperdial.Study) -> None:
    fig = vis.plot_pareto_front(multi, target_names=["a", "b"])
    assert [t.name for t in fig.data] == ["Infeasible Trial", "Trial", "Best Trial"]
    assert sum(len(t.x) for t in fig.data) == _n_complete(multi)
    best = {int(s.split()[1]) for s in fig.data[2].text}
    assert best == {t.number for t in multi.best_trials}
    assert fig.layout.xaxis.title.text == "a" and fig.layout.yaxis.title.text == "b"
    only = vis.plot_pareto_front(multi, include_dominated_trials=False)
    assert [t.name for t in only.data] == ["Best Trial"]
    # constraints_func overrides the recorded constraints: here nothing is feasible.
    none = vis.plot_pareto_front(multi, constraints_func=lambda t: [1.0])
    assert len(none.data[-1].x) == 0 and len(none.data[0].x) == _n_complete(multi)


def test_pareto_front_3d_and_targets(multi3: hyperdial.Study) -> None:
    fig = vis.plot_pareto_front(multi3)
    assert {type(t).__name__ for t in fig.data} == {"Scatter3d"}
    assert fig.layout.scene.zaxis.title.text == "Objective 2"
    fig = vis.plot_pareto_front(
        multi3, targets=lambda t: (t.values[0], t.values[2]), target_names=["u", "w"]
    )
    assert {type(t).__name__ for t in fig.data} == {"Scatter"}
    assert fig.layout.xaxis.title.text == "u"


def test_edf_reaches_one(constrained: hyperdial.Study, conditional: hyperdial.Study) -> None:
    fig = vis.plot_edf([constrained, conditional])
    assert len(fig.data) == 2
    for trace in fig.data:
        assert trace.y[-1] == 1.0 and np.all(np.diff(trace.x) >= 0)


def test_timeline_one_bar_per_trial(conditional: hyperdial.Study) -> None:
    fig = vis.plot_timeline(conditional)
    assert sum(len(t.y) for t in fig.data) == len(conditional.trials)
    assert {t.name for t in fig.data} == {"Complete", "Pruned"}
    recent = vis.plot_timeline(conditional, n_recent_trials=5)
    assert sorted(n for t in recent.data for n in t.y) == list(range(25, 30))


def test_rank_colours_span_zero_to_one(constrained: hyperdial.Study) -> None:
    fig = vis.plot_rank(constrained)
    c = np.asarray(fig.data[0].marker.color, dtype=float)
    assert c.min() == 0.0 and c.max() == 1.0
    one = vis.plot_rank(constrained, params=["x"])
    assert one.layout.yaxis.title.text == "Objective Value"


def test_hypervolume_history_ends_at_the_front(multi: hyperdial.Study) -> None:
    ref = [1.5, 1.5]
    fig = vis.plot_hypervolume_history(multi, ref)
    y = np.asarray(fig.data[0].y)
    assert np.all(np.diff(y) >= 0)
    front = np.array([t.values for t in multi.best_trials])
    assert y[-1] == pytest.approx(hypervolume(front, np.array(ref)))


# -- matplotlib: the artists ----------------------------------------------------------------------
def test_mpl_history_and_labels(constrained: hyperdial.Study) -> None:
    ax = mvis.plot_optimization_history(constrained, target_name="loss")
    assert ax.get_xlabel() == "Trial" and ax.get_ylabel() == "loss"
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == _n_complete(constrained)
    assert len(ax.lines) == 1  # the best-so-far step line


def test_mpl_slice_and_rank_return_arrays(conditional: hyperdial.Study) -> None:
    axes = mvis.plot_slice(conditional)
    assert isinstance(axes, np.ndarray) and axes.shape == (4,)
    assert [a.get_xlabel() for a in axes] == ["alpha", "depth", "lr", "model"]
    assert axes[2].get_xscale() == "log"
    assert isinstance(mvis.plot_slice(conditional, params=["lr"]), Axes)
    ranks = mvis.plot_rank(conditional, params=["lr", "alpha", "depth"])
    assert ranks.shape == (3, 3)


def test_mpl_contour(constrained: hyperdial.Study) -> None:
    ax = mvis.plot_contour(constrained)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    scatter = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatter[-1].get_offsets()) == _n_complete(constrained)


def test_mpl_parallel_coordinate(conditional: hyperdial.Study) -> None:
    ax = mvis.plot_parallel_coordinate(conditional)
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == _n_complete(conditional)
    assert "(inactive)" in _axes_text(ax)
    assert ax.get_xticklabels()[0].get_text() == "Objective Value"


def test_mpl_intermediate_pareto_edf_timeline_hypervolume(
    conditional: hyperdial.Study, multi: hyperdial.Study, multi3: hyperdial.Study
) -> None:
    assert len(mvis.plot_intermediate_values(conditional).lines) == 2
    ax = mvis.plot_pareto_front(multi)
    assert len(ax.collections) == 3 and ax.get_xlabel() == "Objective 0"
    ax3 = mvis.plot_pareto_front(multi3)
    assert ax3.name == "3d" and ax3.get_zlabel() == "Objective 2"
    assert len(mvis.plot_edf([conditional, conditional]).lines) == 2
    ax = mvis.plot_timeline(conditional)
    assert sum(len(c.get_paths()) for c in ax.collections) == len(conditional.trials)
    ax = mvis.plot_hypervolume_history(multi, [1.5, 1.5])
    assert len(ax.lines[0].get_xdata()) == _n_complete(multi)
    ax = mvis.plot_param_importances(multi, importances={"x0": 0.6, "x1": 0.4})
    widths = {p.get_width(): p.get_y() for p in ax.patches}
    assert widths[0.6] > widths[0.4]  # the most important on top
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["x0", "x1"]


# -- bad arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize("mod", [vis, mvis], ids=["plotly", "matplotlib"])
def test_multi_objective_needs_a_target(mod: Any, multi: hyperdial.Study) -> None:
    for f in (
        mod.plot_optimization_history,
        mod.plot_slice,
        mod.plot_contour,
        mod.plot_parallel_coordinate,
        mod.plot_edf,
        mod.plot_rank,
    ):
        with pytest.raises(ValueError, match="`target` must be given"):
            f(multi)


@pytest.mark.parametrize("mod", [vis, mvis], ids=["plotly", "matplotlib"])
def test_bad_arguments_name_the_parameter(
    mod: Any, constrained: hyperdial.Study, multi: hyperdial.Study, multi3: hyperdial.Study
) -> None:
    with pytest.raises(ValueError, match=r"`params`.*'nope'"):
        mod.plot_slice(constrained, params=["nope"])
    with pytest.raises(TypeError, match="`params`"):
        mod.plot_contour(constrained, params="x")
    with pytest.raises(ValueError, match="`study` must have 2 or 3 objectives"):
        mod.plot_pareto_front(constrained)
    with pytest.raises(ValueError, match="`target_names`"):
        mod.plot_pareto_front(multi, target_names=["only one"])
    with pytest.raises(ValueError, match="`targets`"):
        mod.plot_pareto_front(multi3, targets=lambda t: t.values[:1])
    with pytest.raises(ValueError, match="`reference_point`"):
        mod.plot_hypervolume_history(multi, [1.0])
    with pytest.raises(ValueError, match="`study` must have 2 or more"):
        mod.plot_hypervolume_history(constrained, [1.0])
    with pytest.raises(ValueError, match="`n_recent_trials`"):
        mod.plot_timeline(constrained, n_recent_trials=0)
    with pytest.raises(TypeError, match="`target`"):
        mod.plot_slice(constrained, target=3)


# -- the numerics behind the plots ----------------------------------------------------------------
def _brute_front(loss: np.ndarray) -> np.ndarray:
    le = np.all(loss[:, None, :] <= loss[None, :, :], axis=2)
    lt = np.any(loss[:, None, :] < loss[None, :, :], axis=2)
    dominated = np.any(le & lt, axis=0)
    return ~dominated


def _brute_hypervolume(loss: np.ndarray, ref: np.ndarray) -> float:
    """Sums the cells of the grid the points' coordinates span, each dominated or not."""
    m = loss.shape[1]
    edges = [np.unique(np.append(loss[:, k][loss[:, k] < ref[k]], ref[k])) for k in range(m)]
    lows = np.meshgrid(*[e[:-1] for e in edges], indexing="ij")
    widths = np.meshgrid(*[np.diff(e) for e in edges], indexing="ij")
    corner = np.stack([g.ravel() for g in lows], axis=1)
    vol = np.prod(np.stack([w.ravel() for w in widths], axis=1), axis=1)
    covered = np.any(np.all(loss[None, :, :] <= corner[:, None, :], axis=2), axis=1)
    return float(vol[covered].sum())


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hypervolume_and_front_match_brute_force(m: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    loss = rng.random((12, m))
    loss[3] = loss[5]  # duplicates
    loss = np.round(loss, 1)  # ties in single coordinates
    ref = np.full(m, 0.95)
    assert nondominated_mask(loss).tolist() == _brute_front(loss).tolist()
    assert hypervolume(loss, ref) == pytest.approx(_brute_hypervolume(loss, ref), abs=1e-12)


def test_hypervolume_known_values() -> None:
    assert hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([3.0, 3.0])) == 3.0
    cube = np.array([[0.0, 0.0, 0.0]])
    assert hypervolume(cube, np.array([1.0, 2.0, 3.0])) == 6.0
    assert hypervolume(np.array([[5.0, 5.0]]), np.array([1.0, 1.0])) == 0.0
    with pytest.raises(ValueError, match="`reference`"):
        hypervolume(cube, np.array([1.0]))


# -- optional dependencies ------------------------------------------------------------------------
def test_importing_loads_neither_plotting_library() -> None:
    code = (
        "import json, sys\n"
        "import hyperdial\n"
        "assert 'hyperdial.visualization' not in sys.modules  # a lazy attribute\n"
        "assert callable(hyperdial.visualization.plot_slice)\n"
        "import hyperdial.visualization.matplotlib\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & {"plotly", "matplotlib", "sklearn", "scipy", "pandas"}


def test_is_available() -> None:
    assert vis.is_available() is True
    assert mvis.is_available() is True
