"""Hyperparameter importance: which parameters explain a study's objective.

:func:`get_param_importances` ranks a study's parameters with an evaluator:

* :class:`GPSobolImportanceEvaluator` (default): Sobol' indices of the GP surrogate GPSampler
  fits, integrated in C++, with bootstrap standard deviations; handles conditional parameters.
* :class:`PedAnovaImportanceEvaluator`: PED-ANOVA (Watanabe et al. 2023), the importance of
  each parameter for reaching the top quantile, on TPE's Parzen estimators.
* :class:`FanovaImportanceEvaluator`: functional ANOVA of a random forest (Hutter et al.
  2014); needs scikit-learn.

The names and arguments follow Optuna's ``optuna.importance``.

Example:
    >>> import hyperdial
    >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0.1 * t.suggest_int("n", 0, 3),
    ...                n_trials=30)
    >>> ranks = hyperdial.importance.get_param_importances(
    ...     study, evaluator=hyperdial.importance.PedAnovaImportanceEvaluator())
    >>> list(ranks)
    ['x', 'n']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial.importance._base import BaseImportanceEvaluator, Target, read_trials
from hyperdial.importance._fanova import FanovaImportanceEvaluator
from hyperdial.importance._gp_sobol import GPSobolImportanceEvaluator
from hyperdial.importance._ped_anova import PedAnovaImportanceEvaluator

if TYPE_CHECKING:
    from hyperdial.study._study import Study

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "GPSobolImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Target = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, most important first.

    Reads the study's COMPLETE trials with a finite target. In a constrained study (trials
    that called ``Trial.set_constraint``) only the feasible trials are read: those whose
    constraint values are all <= 0; trials without constraint values count as feasible. (The
    evaluators' own ``evaluate`` take ``feasible_only=False`` to read every trial.)

    Args:
        study: The study to analyse.
        evaluator: How to compute the importances; None: a
            :class:`GPSobolImportanceEvaluator` with its defaults.
        params: Names of the parameters to rank; None: the evaluator's default set (every
            parameter for GP-Sobol and PED-ANOVA, the ones all trials share for fANOVA).
        target: Maps a FrozenTrial to the value to explain; required for a multi-objective
            study. None: the trial's value.
        normalize: Scale the importances to sum to 1 (equal shares if they are all 0).

    Returns:
        ``{name: importance}`` in decreasing order of importance (ties by name).

    Raises:
        ValueError: ``target`` missing for a multi-objective study, fewer than two usable
            trials, or ``params`` naming a parameter the trials do not have.
    """
    if evaluator is None:
        evaluator = GPSobolImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(
            "`evaluator` must be a hyperdial.importance.BaseImportanceEvaluator, got "
            f"{type(evaluator).__name__}."
        )
    read_trials(study, params, target)  # the argument checks, before any model is fitted
    if params is not None and len(params) == 0:
        return {}
    raw = evaluator.evaluate(study, params=params, target=target)
    values = {k: max(0.0, float(v)) for k, v in raw.items()}
    if normalize and values:
        total = sum(values.values())
        values = (
            {k: v / total for k, v in values.items()}
            if total > 0
            else {k: 1.0 / len(values) for k in values}
        )
    return dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0])))


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)
