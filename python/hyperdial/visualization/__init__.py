"""Figures of a study: interactive ones with plotly, static ones in :mod:`.matplotlib`.

The names and signatures follow ``optuna.visualization`` (and ``optuna.visualization.matplotlib``
for the static flavour), so switching is one import line. plotly and matplotlib are optional
(``pip install 'hyperdial[plot]'``) and imported only when a plot function is called; importing
this package loads neither. :func:`report` writes a study's summary, importances and figures
into one self-contained HTML file.

Both flavours draw from the same arrays (``_data.py`` reads the study and validates the
arguments; ``_plotly.py`` and ``matplotlib/_render.py`` only draw), so they show the same data
and raise the same errors. A study with nothing to draw (no trial, none completed) gives a
figure that says so rather than an error.

Example:
    >>> import hyperdial
    >>> study = hyperdial.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    >>> fig = hyperdial.visualization.plot_optimization_history(study)  # doctest: +SKIP
    >>> ax = hyperdial.visualization.matplotlib.plot_slice(study)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from hyperdial.visualization import matplotlib
from hyperdial.visualization._plotly import (
    is_available,
    plot_contour,
    plot_edf,
    plot_hypervolume_history,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)
from hyperdial.visualization._report import report
from hyperdial.visualization._terminator import plot_terminator_improvement

__all__ = [
    "is_available",
    "matplotlib",
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
    "plot_terminator_improvement",
    "plot_timeline",
    "report",
]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)
