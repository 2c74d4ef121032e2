"""Static figures of a study with matplotlib, named and called like
``optuna.visualization.matplotlib``.

Each function returns the ``matplotlib.axes.Axes`` it drew on (a NumPy array of Axes for the
multi-panel slice, contour and rank plots). matplotlib is imported when a function is called,
not when this package is imported. The data are prepared by the same code as the plotly flavour
(``hyperdial.visualization._data``).

Example:
    >>> import hyperdial
    >>> from hyperdial.visualization.matplotlib import plot_optimization_history
    >>> study = hyperdial.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    >>> ax = plot_optimization_history(study)  # doctest: +SKIP
    >>> ax.figure.savefig("history.png")  # doctest: +SKIP
"""

from __future__ import annotations

from hyperdial.visualization.matplotlib._render import (
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
from hyperdial.visualization.matplotlib._terminator import plot_terminator_improvement

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
    "plot_terminator_improvement",
    "plot_timeline",
]
