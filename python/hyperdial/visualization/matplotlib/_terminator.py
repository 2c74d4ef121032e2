"""The terminator's improvement (and error) estimates with matplotlib; the data are
:func:`hyperdial.visualization._terminator.terminator_info`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hyperdial.terminator._improvement import DEFAULT_MIN_N_TRIALS
from hyperdial.visualization._data import COLORS
from hyperdial.visualization._terminator import (
    ERROR_COLOR,
    IMPROVEMENT_LABEL,
    TITLE,
    terminator_info,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hyperdial.study import Study
    from hyperdial.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

__all__ = ["plot_terminator_improvement"]


def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Axes:
    """Plots the terminator's improvement estimate after each complete trial, and its error.

    See :func:`hyperdial.visualization.plot_terminator_improvement` for the arguments and
    errors. Returns the ``matplotlib.axes.Axes`` drawn on.
    """
    from hyperdial.visualization.matplotlib._render import _axes, _finish, _note_axes

    info = terminator_info(study, plot_error, improvement_evaluator, error_evaluator, min_n_trials)
    if info.note is not None:
        return _note_axes(TITLE, info.note)
    ax = _axes()
    ax.set_title(TITLE)
    n, early = info.number.size, info.n_early
    color = COLORS["COMPLETE"]
    if early > 0:
        stop = min(early + 1, n)  # joined to the first solid point
        ax.plot(
            info.number[:stop], info.improvement[:stop], marker=".", color=color, alpha=0.3,
            label=IMPROVEMENT_LABEL if early >= n else None,
        )  # fmt: skip
    if early < n:
        ax.plot(
            info.number[early:], info.improvement[early:], marker=".", color=color,
            label=IMPROVEMENT_LABEL,
        )  # fmt: skip
    if info.error is not None:
        ax.plot(info.number, info.error, marker=".", color=ERROR_COLOR, label="Error")
    if info.y_range is not None:
        ax.set_ylim(*info.y_range)
    ax.set_xlabel("Trial")
    ax.set_ylabel(IMPROVEMENT_LABEL)
    ax.legend(loc="best")
    _finish(ax)
    return ax
