"""The terminator's improvement (and error) estimates trial by trial: data and plotly figure.

:func:`terminator_info` evaluates the estimates on the first ``1, 2, ..., n`` complete trials
(one evaluation per complete trial; FAIL, PRUNED and running trials are ignored, as the
terminator ignores them) and is shared with the matplotlib flavour
(``matplotlib/_terminator.py``), so both draw the same numbers and raise the same errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.terminator._improvement import DEFAULT_MIN_N_TRIALS, check_positive_int
from hyperdial.trial._state import TrialState
from hyperdial.visualization._data import COLORS, NO_COMPLETE, NO_TRIALS

if TYPE_CHECKING:
    from hyperdial.study import Study
    from hyperdial.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

__all__ = ["TerminatorInfo", "plot_terminator_improvement", "terminator_info"]

TITLE = "Terminator Improvement Plot"
IMPROVEMENT_LABEL = "Terminator Improvement"
ERROR_COLOR = "#ef553b"
#: Share of the value range added above and below it.
_PADDING = 0.05


@dataclass
class TerminatorInfo:
    """Estimates after each complete trial.

    ``number`` ``(k,)``: the complete trials' numbers; ``improvement`` ``(k,)`` and ``error``
    ``(k,)`` or None: the estimates on the complete trials up to and including that one (NaN
    where an evaluator returns a non-finite value, e.g. ``inf`` before it can judge);
    ``n_early``: how many leading points come before the terminator would act (fewer than
    ``min_n_trials`` complete trials); ``y_range``: the axis range, set by the points from
    ``min_n_trials`` on when there are any (early estimates can be huge).
    """

    number: np.ndarray
    improvement: np.ndarray
    error: np.ndarray | None
    n_early: int
    y_range: tuple[float, float] | None
    note: str | None = None


def terminator_info(
    study: Study,
    plot_error: bool,
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
    min_n_trials: int,
) -> TerminatorInfo:
    """Validates the arguments and evaluates the estimates (see :class:`TerminatorInfo`)."""
    from hyperdial.terminator import BaseErrorEvaluator, BaseImprovementEvaluator
    from hyperdial.terminator._terminator import check_single_objective, default_error_evaluator

    check_single_objective(study, "plot_terminator_improvement")
    min_n = check_positive_int("min_n_trials", min_n_trials)
    if improvement_evaluator is None:
        from hyperdial.terminator import RegretBoundEvaluator

        improvement_evaluator = RegretBoundEvaluator()
    elif not isinstance(improvement_evaluator, BaseImprovementEvaluator):
        raise TypeError(
            "`improvement_evaluator` must be a BaseImprovementEvaluator, got "
            f"{type(improvement_evaluator).__name__}."
        )
    if error_evaluator is None:
        error_evaluator = default_error_evaluator(improvement_evaluator)
    elif not isinstance(error_evaluator, BaseErrorEvaluator):
        raise TypeError(
            "`error_evaluator` must be a BaseErrorEvaluator, got "
            f"{type(error_evaluator).__name__}."
        )
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    empty = np.zeros(0)
    if not complete:
        if not trials:
            note = NO_TRIALS
        else:
            states, counts = np.unique([t.state.name.lower() for t in trials], return_counts=True)
            listed = ", ".join(f"{c} {s}" for s, c in zip(states, counts, strict=True))
            note = NO_COMPLETE.format(counts=listed)
        return TerminatorInfo(empty, empty, None, 0, None, note=note)
    direction = study.direction
    k = len(complete)
    improvement = np.array(
        [improvement_evaluator.evaluate(complete[: i + 1], direction) for i in range(k)],
        dtype=np.float64,
    )
    error = None
    if plot_error:
        error = np.array(
            [error_evaluator.evaluate(complete[: i + 1], direction) for i in range(k)],
            dtype=np.float64,
        )
        error[~np.isfinite(error)] = np.nan
    improvement[~np.isfinite(improvement)] = np.nan
    n_early = min(min_n - 1, k)
    others = [] if error is None else [error]
    upper = np.concatenate([improvement[n_early:] if n_early < k else improvement, *others])
    lower = np.concatenate([improvement, *others])
    upper, lower = upper[np.isfinite(upper)], lower[np.isfinite(lower)]
    y_range = None
    if upper.size and lower.size:
        lo, hi = float(lower.min()), float(upper.max())
        pad = (hi - lo) * _PADDING if hi > lo else max(abs(hi), 1.0) * _PADDING
        y_range = (lo - pad, hi + pad)
    number = np.array([t.number for t in complete], dtype=np.int64)
    return TerminatorInfo(number, improvement, error, n_early, y_range)


def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Any:
    """Plots the terminator's improvement estimate after each complete trial, and its error.

    The study should stop where the improvement falls below the error
    (:class:`hyperdial.terminator.Terminator`). Each point evaluates the estimate on the complete
    trials so far, so a regret bound or EMMR fits one or two GPs per complete trial. Points
    before ``min_n_trials`` complete trials, where the terminator would not act yet, are drawn
    lighter.

    Args:
        study: A single-objective study.
        plot_error: Also plot ``error_evaluator``'s estimate.
        improvement_evaluator: Default: ``RegretBoundEvaluator()``.
        error_evaluator: Default: as :class:`~hyperdial.terminator.Terminator` chooses
            (``StaticErrorEvaluator(0)`` with a ``BestValueStagnationEvaluator``, the
            cross-validation error otherwise, which needs
            :func:`~hyperdial.terminator.report_cross_validation_scores`).
        min_n_trials: Complete trials before the terminator acts (an integer >= 1).

    Returns:
        A ``plotly.graph_objects.Figure``; a figure with a note when no trial is complete.

    Raises:
        ValueError: the study has several objectives, ``min_n_trials`` is not a positive
            integer, or an evaluator cannot evaluate the trials (e.g. no cross-validation
            scores, no parameter shared by the complete trials).
        TypeError: an evaluator of the wrong kind.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
        >>> fig = hyperdial.visualization.plot_terminator_improvement(study)  # doctest: +SKIP
    """
    from hyperdial.visualization._plotly import _go, _note_figure

    info = terminator_info(study, plot_error, improvement_evaluator, error_evaluator, min_n_trials)
    if info.note is not None:
        return _note_figure(TITLE, info.note)
    go = _go()
    traces = []
    n, early = info.number.size, info.n_early
    light = "rgba(31,119,180,0.3)"
    if early > 0:
        stop = min(early + 1, n)  # joined to the first solid point
        traces.append(
            go.Scatter(
                x=info.number[:stop],
                y=info.improvement[:stop],
                mode="lines+markers",
                name=IMPROVEMENT_LABEL,
                marker={"color": light},
                line={"color": light},
                legendgroup="improvement",
                showlegend=early >= n,
            )
        )
    if early < n:
        traces.append(
            go.Scatter(
                x=info.number[early:],
                y=info.improvement[early:],
                mode="lines+markers",
                name=IMPROVEMENT_LABEL,
                marker={"color": COLORS["COMPLETE"]},
                line={"color": COLORS["COMPLETE"]},
                legendgroup="improvement",
            )
        )
    if info.error is not None:
        traces.append(
            go.Scatter(
                x=info.number,
                y=info.error,
                mode="lines+markers",
                name="Error",
                marker={"color": ERROR_COLOR},
                line={"color": ERROR_COLOR},
            )
        )
    yaxis: dict[str, Any] = {"title": {"text": IMPROVEMENT_LABEL}}
    if info.y_range is not None:
        yaxis["range"] = list(info.y_range)
    return go.Figure(
        data=traces,
        layout={"title": {"text": TITLE}, "xaxis": {"title": {"text": "Trial"}}, "yaxis": yaxis},
    )
