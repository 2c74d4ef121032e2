"""Stop a study when further trials are unlikely to beat the best one by more than noise.

Optuna's ``optuna.terminator`` under the same names. A :class:`Terminator` compares an
*improvement evaluator* (how much better the best trial could still get) with an *error
evaluator* (how large a difference the objective's noise makes) and says to stop once the first
is below the second. :class:`TerminatorCallback` applies it inside ``Study.optimize``.

Improvement evaluators: :class:`RegretBoundEvaluator` (an upper bound on the regret from a GP's
confidence bounds, Makarova et al. 2022; the default), :class:`EMMREvaluator` (expected minimum
model regret, Ishibashi et al. 2023), :class:`BestValueStagnationEvaluator` (trials since the
best one). The GPs are fitted by hyperdial's C++ core as GPSampler fits its model
(``hyperdial.terminator._gp``). Error evaluators: :class:`CrossValidationErrorEvaluator` (from
the scores :func:`report_cross_validation_scores` stores), :class:`StaticErrorEvaluator`,
:class:`MedianErrorEvaluator`.

Every rule reads the COMPLETE trials only and supports single-objective studies.

Example:
    >>> import hyperdial
    >>> from hyperdial.terminator import TerminatorCallback, report_cross_validation_scores
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -2, 2)
    ...     scores = [(x - 0.5) ** 2 + e for e in (-0.05, 0.0, 0.05)]  # per-fold losses
    ...     report_cross_validation_scores(trial, scores)
    ...     return sum(scores) / 3
    >>> study = hyperdial.create_study()
    >>> study.optimize(objective, n_trials=60, callbacks=[TerminatorCallback()])
    >>> len(study.trials) < 60
    True
"""

from __future__ import annotations

from typing import Any

from hyperdial.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    MedianErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from hyperdial.terminator._improvement import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    EMMREvaluator,
    RegretBoundEvaluator,
)
from hyperdial.terminator._terminator import BaseTerminator, Terminator, TerminatorCallback

__all__ = [
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
    "Terminator",
    "TerminatorCallback",
    "report_cross_validation_scores",
]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)
